import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `run`'s options, section "Isolation and kernel" of its help: Where the run happens (a fresh namespace, a veth lab), the tunables set there, and the kernel's own clock.
struct IsolationOptions: ParsableArguments {
    @Flag(help: "Run generator and built-in listener in a fresh network namespace (loopback up), deleted at the end. Needs root.")
    var netns = false

    @Option(help: "KEY=VALUE, repeatable: a net.* tunable set inside the --netns namespace only (e.g. net.ipv4.ip_local_port_range=\"40000 40999\").", transform: ParseValue.sysctl)
    var sysctl: [SysctlSetting] = []

    @Option(help: "loopback (the built-in listener beside the generator) or veth (the listener in a namespace of its own, joined to the generator's by a veth pair: a remote host on one machine). veth needs root and implies a fresh generator namespace.")
    var topology: Topology = .loopback

    @Option(help: "With --topology veth: 4 or 6, the lab address family the listener listens on (default 4).", transform: ParseValue.family)
    var family: Int?

    @Option(name: .customLong("listener-sysctl"), help: "KEY=VALUE, repeatable, with --topology veth: a net.* tunable set in the listener's namespace only (--sysctl sets the generator's).", transform: ParseValue.sysctl)
    var listenerSysctl: [SysctlSetting] = []

    @Option(help: "With --topology veth: added delay on the generator's veth end (netem), e.g. 10ms. Checked before the run: an error where the kernel has no netem.", transform: ParseValue.positiveDuration)
    var delay: UInt64?

    @Flag(name: .customLong("trace-kernel"), help: "Also take the kernel's own clock with bpftrace (root; Debian's bpftrace): time inside connect(), the SYN_SENT→ESTABLISHED handshake and the workers' run-queue delay, filtered to the worker threads.")
    var traceKernel = false
}
