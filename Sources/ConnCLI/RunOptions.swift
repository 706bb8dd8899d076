import ArgumentParser
import ConnEngine
import ConnSys

/// Every option of a run, apart from what it is run by: `run` parses these, and
/// `compare` parses the same set as the base that each of its settings varies.
struct RunOptions: ParsableArguments {
    @Option(help: "Connects per second over all workers (50000, 50k), or 'max' for closed loop.", transform: ParseValue.rate)
    var rate: Rate = .fixed(perSecond: 1000)

    @Option(help: "Measured time: 10s, 500ms, 2m (default 10s; sweep: 3s per step).", transform: ParseValue.positiveDuration)
    var duration: UInt64?

    @Option(help: "Time before measuring starts, excluded from the figures (default 0; sweep: 500ms per step).", transform: ParseValue.duration)
    var warmup: UInt64?

    @Option(help: "Worker threads (default: one per CPU in --cpus, or per CPU this process may use). sweep: a list or range of them (1..4) to fit scalability.", transform: { try ParseValue.loadList($0, flag: "--workers", max: 1024) })
    var workers: [Int]?

    @Option(help: "CPUs to pin workers to through libnuma: 0,1 or 0-3.", transform: ParseValue.cpus)
    var cpus: [Int]?

    @Option(help: "Connects in flight per worker, at most (default: 16 with --rate max, 1024 with a fixed rate). sweep: a list or range (1..64/x2) to fit scalability.", transform: { try ParseValue.loadList($0, flag: "--concurrency", max: 1 << 20) })
    var concurrency: [Int]?

    @Option(help: "Per-connect timeout; counted as ETIMEDOUT (call 'timeout').", transform: ParseValue.positiveDuration)
    var timeout: UInt64 = 3_000_000_000

    @Option(help: "fin (normal close, TIME_WAIT on the closer) or rst (SO_LINGER 0, no TIME_WAIT).")
    var close: CloseMode = .fin

    @Option(help: "epoll, io_uring (socket, options, connect and a kernel timeout as one linked chain per attempt; stops with one line where io_uring is unavailable) or auto (io_uring if available, else epoll, noted in the report).")
    var engine: EngineChoice = .epoll

    @Option(name: .customLong("uring-socket"), help: "io_uring only: ring (socket, options and bind in the chain), syscalls (socket(), setsockopt() and bind() as on epoll, then the connect by the ring) or auto (ring where this kernel can do every step, else syscalls, noted in the report).")
    var uringSocket: UringSocketSetup = .auto

    @Option(help: "Length of one time-series interval.", transform: ParseValue.positiveDuration)
    var interval: UInt64 = 1_000_000_000

    @Option(help: "HOST:PORT (address or host name), [IPv6]:PORT or unix:/path; repeat for round-robin. Default: a built-in loopback listener.", transform: ParseValue.target)
    var target: [TargetSpec] = []

    @Option(help: "For a --target host name: first (its first address) or all (every address it resolves to, each a target). Names are resolved once, before the run.")
    var resolve: ResolveMode = .first

    @Option(help: "Folder for summary.txt, summary.csv, timeseries.csv, errors.csv, report.html (default: Results/<UTC time>).")
    var output: String?

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

    @Option(name: .customLong("max-attempts"), help: "Stop each worker after this many attempts.", transform: { try ParseValue.positiveInt($0, max: Int.max) })
    var maxAttempts: Int?

    @Option(name: .customLong("listener-threads"), help: "Accept threads of the built-in listener (default: one per worker CPU).", transform: { try ParseValue.positiveInt($0, max: 1024) })
    var listenerThreads: Int?

    @Option(name: .customLong("listener-cpus"), help: "CPUs for the built-in listener's threads (default: the workers' CPUs).", transform: ParseValue.cpus)
    var listenerCPUs: [Int]?

    @Option(name: .customLong("listener-mode"), help: "Built-in listener: accept-close, wait-fin, hold or never-accept (see `connbench listen --help`). Default: wait-fin, so that with --close fin the client always holds TIME_WAIT.")
    var listenerMode: ListenerMode?

    @Option(name: .customLong("listener-close"), help: "Older name for --listener-mode: immediate = accept-close, peer = wait-fin.")
    var listenerClose: ListenerClose?

    @Option(name: .customLong("listener-hold-limit"), help: "Built-in listener in hold mode: connections held open at once.", transform: { try ParseValue.positiveInt($0, max: 1 << 30) })
    var listenerHoldLimit: Int = ListenerConfig.defaultHoldLimit

    @Option(name: .customLong("listener-stats"), help: "IP:PORT of a `connbench listen --stats-port`: read its side report before and after the run and print a 'listener side' section.", transform: ParseValue.numericTarget)
    var listenerStats: SocketAddress?

    @Option(name: .customLong("listener-address"), help: "Address of the built-in listener (127.0.0.1, ::1).", transform: ParseValue.address)
    var listenerAddress: SocketAddress?

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

    @Option(name: .customLong("listener-backlog"), help: "The built-in listener's listen backlog (the kernel caps it at net.core.somaxconn of the listener's namespace).", transform: { try ParseValue.positiveInt($0, max: 1 << 20) })
    var listenerBacklog: Int?

    @Option(help: "With --topology veth: added delay on the generator's veth end (netem), e.g. 10ms. Checked before the run: an error where the kernel has no netem.", transform: ParseValue.positiveDuration)
    var delay: UInt64?

    @Flag(name: .customLong("until-exhausted"), help: "End the run at exhaustion onset (plus --tail) instead of at --duration.")
    var untilExhausted = false

    @Option(help: "With --until-exhausted: how long to keep measuring after onset.", transform: ParseValue.duration)
    var tail: UInt64 = 300_000_000

    @Flag(help: "No status lines on stderr: no progress line, no 'running'/'wrote' lines (the report still goes to stdout and the files).")
    var quiet = false

    @Flag(help: "Print the progress line (one per --interval on stderr) even when stderr is not a terminal. By default it is on for a terminal only.")
    var progress = false

    @Flag(name: .customLong("trace-kernel"), help: "Also take the kernel's own clock with bpftrace (root; Debian's bpftrace): time inside connect(), the SYN_SENT→ESTABLISHED handshake and the workers' run-queue delay, filtered to the worker threads.")
    var traceKernel = false

    @Option(help: "Open loop: spin (poll without sleeping) through waits shorter than this, e.g. 200us, for µs-exact starts; costs a core per worker. Default 0: sleep.", transform: ParseValue.duration)
    var spin: UInt64 = 0

    /// Whether any `--target` is a host name (resolved in ``run()``, not in parsing).
    var hasNames: Bool {
        target.contains { if case .name = $0 { true } else { false } }
    }

    /// Resolves the `--target` host names, once, before anything of the run exists.
    ///
    /// Here, in the CLI, and not while parsing or in the engine: with `--netns` the run
    /// happens in a fresh namespace whose resolver may not reach the name server (or see
    /// this host's view of names), so names are resolved in the caller's namespace, where
    /// the user typed them; and a value's transform runs before the namespace exists
    /// anyway. The engine gets addresses only and never resolves per connect.
    func resolveTargets(into config: inout RunConfig) throws(TargetParser.Failure) {
        let resolved = try TargetResolution.resolve(target, mode: resolve)
        config.targets = resolved.targets
        config.resolvedNames = resolved.names
        config.resolve = resolve
        if !resolved.names.isEmpty { config.targetsAsTyped = target.map(\.text) }
    }

    /// The configuration with numeric targets only; ``resolveTargets(into:)`` adds names.
    func makeConfig() -> RunConfig {
        // validate() has rejected a clash; wait-fin is the default.
        let mode = (try? ListenerModeArguments.resolve(mode: listenerMode, modeFlag: "--listener-mode",
                                                       close: listenerClose, closeFlag: "--listener-close")) ?? .waitFin
        var c = RunConfig()
        c.targets = target.compactMap { if case .address(let a) = $0 { a } else { nil } }
        c.rate = rate
        c.durationNs = duration ?? RunOptions.defaultDurationNs
        c.warmupNs = warmup ?? 0
        c.workers = workers?.first
        c.cpus = cpus
        c.concurrency = concurrency?.first
        c.timeoutNs = timeout
        c.close = close
        c.engine = engine
        c.uringSocket = uringSocket
        c.intervalNs = interval
        c.strategy = SocketStrategy(sources: source ?? bind.map { [$0] } ?? [], reuseAddress: reuseaddr,
                                    bindAddressNoPort: bindNoPort, portRange: portRange)
        c.maxAttemptsPerWorker = UInt64(maxAttempts ?? 0)
        c.listener.threads = listenerThreads
        c.listener.mode = mode
        c.listener.holdLimit = listenerHoldLimit
        c.listener.cpus = listenerCPUs
        if let a = listenerAddress { c.listener.address = a }
        c.isolation = Isolation(netns: netns, sysctls: sysctl)
        if let b = listenerBacklog { c.listener.backlog = Int32(b) }
        c.topology = topology
        c.veth = VethOptions(family: family ?? 4, listenerSysctls: listenerSysctl, delayNs: delay ?? 0)
        c.untilExhausted = untilExhausted
        c.tailNs = tail
        c.spinNs = spin
        c.traceKernel = traceKernel
        return c
    }

    static let defaultDurationNs: UInt64 = 10_000_000_000

    /// `run` and `compare` take one value of each; only `sweep` steps over a list.
    func requireSingleLoad(for command: String) throws {
        if (workers?.count ?? 1) > 1 { throw ValidationError("--workers takes one value in \(command); step over several with `connbench sweep --workers 1..N`") }
        if (concurrency?.count ?? 1) > 1 { throw ValidationError("--concurrency takes one value in \(command); step over several with `connbench sweep --concurrency 1,2,4`") }
    }

    func validate() throws {
        _ = try ListenerModeArguments.resolve(mode: listenerMode, modeFlag: "--listener-mode",
                                              close: listenerClose, closeFlag: "--listener-close")
        if bind != nil && source != nil { throw ValidationError("--bind and --source: give one of them") }
        if topology == .veth && listenerStats != nil {
            throw ValidationError("--listener-stats cannot be used with --topology veth: the report has the built-in listener's side already")
        }
        if family != nil && topology != .veth { throw ValidationError("--family needs --topology veth") }
        if !listenerSysctl.isEmpty && topology != .veth {
            throw ValidationError("--listener-sysctl needs --topology veth: only there does the listener have a namespace of its own")
        }
        if delay != nil && topology != .veth {
            throw ValidationError("--delay needs --topology veth: the delay is added on the lab's veth, never on a host interface")
        }
        if topology == .veth && !target.isEmpty {
            throw ValidationError("--topology veth runs the built-in listener in its own namespace; it cannot be used with --target")
        }
        // With names, the checks that compare targets (address families) wait for
        // resolution in run(); everything else is checked here as before.
        if hasNames { return }
        let allowed = (try? CPUAffinity.allowedCPUs()) ?? []
        do { _ = try makeConfig().validate(allowedCPUs: allowed) } catch { throw ValidationError(error.description) }
    }
}
