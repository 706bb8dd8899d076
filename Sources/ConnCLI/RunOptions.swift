import ArgumentParser
import ConnEngine
import ConnSys

/// Every option of a run, apart from what it is run by: `run` parses these, and
/// `compare` parses the same set as the base that each of its settings varies.
struct RunOptions: ParsableArguments {
    @Option(help: "Connects per second over all workers (50000, 50k), or 'max' for closed loop.", transform: ParseValue.rate)
    var rate: Rate = .fixed(perSecond: 1000)

    @Option(help: "Measured time: 10s, 500ms, 2m.", transform: ParseValue.positiveDuration)
    var duration: UInt64 = 10_000_000_000

    @Option(help: "Time before measuring starts, excluded from the figures.", transform: ParseValue.duration)
    var warmup: UInt64 = 0

    @Option(help: "Worker threads (default: one per CPU in --cpus, or per CPU this process may use).", transform: { try ParseValue.positiveInt($0, max: 1024) })
    var workers: Int?

    @Option(help: "CPUs to pin workers to through libnuma: 0,1 or 0-3.", transform: ParseValue.cpus)
    var cpus: [Int]?

    @Option(help: "Connects in flight per worker, at most (default: 16 with --rate max, 1024 with a fixed rate).", transform: { try ParseValue.positiveInt($0) })
    var concurrency: Int?

    @Option(help: "Per-connect timeout; counted as ETIMEDOUT (call 'timeout').", transform: ParseValue.positiveDuration)
    var timeout: UInt64 = 3_000_000_000

    @Option(help: "fin (normal close, TIME_WAIT on the closer) or rst (SO_LINGER 0, no TIME_WAIT).")
    var close: CloseMode = .fin

    @Option(help: "Length of one time-series interval.", transform: ParseValue.positiveDuration)
    var interval: UInt64 = 1_000_000_000

    @Option(help: "HOST:PORT (address or host name), [IPv6]:PORT or unix:/path; repeat for round-robin. Default: a built-in loopback listener.", transform: ParseValue.target)
    var target: [TargetSpec] = []

    @Option(help: "For a --target host name: first (its first address) or all (every address it resolves to, each a target). Names are resolved once, before the run.")
    var resolve: ResolveMode = .first

    @Option(help: "Folder for summary.txt, summary.csv, timeseries.csv, errors.csv (default: Results/<UTC time>).")
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

    @Flag(name: .customLong("until-exhausted"), help: "End the run at exhaustion onset (plus --tail) instead of at --duration.")
    var untilExhausted = false

    @Option(help: "With --until-exhausted: how long to keep measuring after onset.", transform: ParseValue.duration)
    var tail: UInt64 = 300_000_000

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
        c.durationNs = duration
        c.warmupNs = warmup
        c.workers = workers
        c.cpus = cpus
        c.concurrency = concurrency
        c.timeoutNs = timeout
        c.close = close
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
        c.untilExhausted = untilExhausted
        c.tailNs = tail
        c.spinNs = spin
        return c
    }

    func validate() throws {
        _ = try ListenerModeArguments.resolve(mode: listenerMode, modeFlag: "--listener-mode",
                                              close: listenerClose, closeFlag: "--listener-close")
        if bind != nil && source != nil { throw ValidationError("--bind and --source: give one of them") }
        // With names, the checks that compare targets (address families) wait for
        // resolution in run(); everything else is checked here as before.
        if hasNames { return }
        let allowed = (try? CPUAffinity.allowedCPUs()) ?? []
        do { _ = try makeConfig().validate(allowedCPUs: allowed) } catch { throw ValidationError(error.description) }
    }
}
