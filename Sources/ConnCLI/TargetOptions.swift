import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `run`'s options, section "Targets and socket strategy" of its help: Where the connects go, and how each socket is bound before its connect.
struct TargetOptions: ParsableArguments {
    @Option(help: "HOST:PORT (address or host name), [IPv6]:PORT or unix:/path; repeat for round-robin. Default: a built-in loopback listener.", transform: ParseValue.target)
    var target: [TargetSpec] = []

    @Option(help: "For a --target host name: first (its first address) or all (every address it resolves to, each a target). Names are resolved once, before the run.")
    var resolve: ResolveMode = .first

    @Option(help: "Bind to ADDR (port 0) before connect.", transform: ParseValue.address)
    var bind: SocketAddress?

    @Option(help: "Source address pool ADDR or ADDR-ADDR, bound before connect round-robin.", transform: ParseValue.sources)
    var source: [SocketAddress]?

    @Flag(help: "Set SO_REUSEADDR on each connecting socket.")
    var reuseaddr = false

    @Flag(name: .customLong("bind-no-port"), help: "Set IP_BIND_ADDRESS_NO_PORT (with --bind/--source).")
    var bindNoPort = false

    @Option(name: .customLong("port-range"), help: "Per-socket ephemeral range LOW-HIGH (IP_LOCAL_PORT_RANGE, Linux 6.3+).", transform: ParseValue.portRange)
    var portRange: ClosedRange<UInt16>?
}
