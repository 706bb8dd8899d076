import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// Every option of a run, apart from what it is run by: `run` parses these, and
/// `compare` parses the same set as the base that each of its settings varies.
struct RunOptions: ParsableArguments {
    @OptionGroup(title: "Load") var load: LoadOptions
    @OptionGroup(title: "Targets and socket strategy") var targets: TargetOptions
    @OptionGroup(title: "Built-in listener") var listener: ListenerOptions
    @OptionGroup(title: "Isolation and kernel") var isolation: IsolationOptions
    @OptionGroup(title: "Output") var report: OutputOptions

    /// Whether any `--target` is a host name (resolved in ``run()``, not in parsing).
    var hasNames: Bool {
        targets.target.contains { if case .name = $0 { true } else { false } }
    }

    /// Resolves the `--target` host names, once, before anything of the run exists.
    ///
    /// Here, in the CLI, and not while parsing or in the engine: with `--netns` the run
    /// happens in a fresh namespace whose resolver may not reach the name server (or see
    /// this host's view of names), so names are resolved in the caller's namespace, where
    /// the user typed them; and a value's transform runs before the namespace exists
    /// anyway. The engine gets addresses only and never resolves per connect.
    func resolveTargets(into config: inout RunConfig) throws(TargetParser.Failure) {
        let resolved = try TargetResolution.resolve(targets.target, mode: targets.resolve)
        config.targets = resolved.targets
        config.resolvedNames = resolved.names
        config.resolve = targets.resolve
        if !resolved.names.isEmpty { config.targetsAsTyped = targets.target.map(\.text) }
    }

    /// The configuration with numeric targets only; ``resolveTargets(into:)`` adds names.
    func makeConfig() -> RunConfig {
        // validate() has rejected a clash; wait-fin is the default.
        let mode = (try? ListenerModeArguments.resolve(mode: listener.listenerMode, modeFlag: "--listener-mode",
                                                       close: listener.listenerClose, closeFlag: "--listener-close")) ?? .waitFin
        var c = RunConfig()
        c.targets = targets.target.compactMap { if case .address(let a) = $0 { a } else { nil } }
        c.rate = load.rate
        c.durationNs = load.duration ?? RunOptions.defaultDurationNs
        c.warmupNs = load.warmup ?? 0
        c.workers = load.workers?.first
        c.cpus = load.cpus
        c.concurrency = load.concurrency?.first
        c.timeoutNs = load.timeout
        c.close = load.close
        c.engine = load.engine
        c.uringSocket = load.uringSocket
        c.intervalNs = report.interval
        c.strategy = SocketStrategy(sources: targets.source ?? targets.bind.map { [$0] } ?? [], reuseAddress: targets.reuseaddr,
                                    bindAddressNoPort: targets.bindNoPort, portRange: targets.portRange)
        c.maxAttemptsPerWorker = UInt64(load.maxAttempts ?? 0)
        c.listener.threads = listener.listenerThreads
        c.listener.mode = mode
        c.listener.holdLimit = listener.listenerHoldLimit
        c.listener.cpus = listener.listenerCPUs
        if let a = listener.listenerAddress { c.listener.address = a }
        c.isolation = Isolation(netns: isolation.netns, sysctls: isolation.sysctl)
        if let b = listener.listenerBacklog { c.listener.backlog = Int32(b) }
        c.topology = isolation.topology
        c.veth = VethOptions(family: isolation.family ?? 4, listenerSysctls: isolation.listenerSysctl, delayNs: isolation.delay ?? 0)
        c.untilExhausted = load.untilExhausted
        c.tailNs = load.tail
        c.spinNs = load.spin
        c.traceKernel = isolation.traceKernel
        return c
    }

    static let defaultDurationNs: UInt64 = 10_000_000_000

    /// `run` and `compare` take one value of each; only `sweep` steps over a list.
    func requireSingleLoad(for command: String) throws {
        if (load.workers?.count ?? 1) > 1 { throw ValidationError("--workers takes one value in \(command); step over several with `connbench sweep --workers 1..N`") }
        if (load.concurrency?.count ?? 1) > 1 { throw ValidationError("--concurrency takes one value in \(command); step over several with `connbench sweep --concurrency 1,2,4`") }
    }

    func validate() throws {
        _ = try ListenerModeArguments.resolve(mode: listener.listenerMode, modeFlag: "--listener-mode",
                                              close: listener.listenerClose, closeFlag: "--listener-close")
        if targets.bind != nil && targets.source != nil { throw ValidationError("--bind and --source: give one of them") }
        if isolation.topology == .veth && listener.listenerStats != nil {
            throw ValidationError("--listener-stats cannot be used with --topology veth: the report has the built-in listener's side already")
        }
        if isolation.family != nil && isolation.topology != .veth { throw ValidationError("--family needs --topology veth") }
        if !isolation.listenerSysctl.isEmpty && isolation.topology != .veth {
            throw ValidationError("--listener-sysctl needs --topology veth: only there does the listener have a namespace of its own")
        }
        if isolation.delay != nil && isolation.topology != .veth {
            throw ValidationError("--delay needs --topology veth: the delay is added on the lab's veth, never on a host interface")
        }
        if isolation.topology == .veth && !targets.target.isEmpty {
            throw ValidationError("--topology veth runs the built-in listener in its own namespace; it cannot be used with --target")
        }
        // With names, the checks that compare targets (address families) wait for
        // resolution in run(); everything else is checked here as before.
        if hasNames { return }
        let allowed = (try? CPUAffinity.allowedCPUs()) ?? []
        do { _ = try makeConfig().validate(allowedCPUs: allowed) } catch { throw ValidationError(error.description) }
    }
}
