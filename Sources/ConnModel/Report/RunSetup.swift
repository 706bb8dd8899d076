/// What a run was asked to do and what it resolved to (workers, CPUs): the typed half of
/// a report's header. Reporters read these fields directly; the `key=value` lines at the
/// top of summary.txt are derived from it (``keyValues``) and never parsed back.
package struct RunSetup: Sendable, Codable, Equatable {
    package var config: RunConfig
    /// Workers the run started (`--workers`, or one per CPU).
    package var workers: Int
    /// The CPUs the workers ran on.
    package var cpus: [Int]

    package init(config: RunConfig, workers: Int, cpus: [Int]) {
        self.config = config
        self.workers = workers
        self.cpus = cpus
    }

    /// The in-flight cap each worker had.
    package var concurrency: Int { config.resolvedConcurrency }

    /// The `target` setting: the built-in listener, or the targets as typed.
    package var targetText: String {
        config.targets.isEmpty ? "builtin"
            : (config.targetsAsTyped.isEmpty ? config.targets.map(\.description) : config.targetsAsTyped).joined(separator: " ")
    }

    /// The resolved configuration in the order reports print it, enough to repeat the run.
    package var keyValues: [RunReport.Setting] {
        typealias S = RunReport.Setting
        let config = self.config
        var s: [S] = [
            S("rate", config.rate.description),
            S("duration", DurationParser.format(config.durationNs)),
            S("warmup", DurationParser.format(config.warmupNs)),
            S("workers", String(workers)),
            S("cpus", cpus.map(String.init).joined(separator: ",")),
            S("concurrency", String(concurrency)),
            S("timeout", DurationParser.format(config.timeoutNs)),
            S("close", config.close.rawValue),
            S("interval", DurationParser.format(config.intervalNs)),
            S("target", targetText),
            S("strategy", config.strategy.name),
            S("engine", config.engine.rawValue),
        ]
        if let u = config.uringSocket, config.engine == .ioUring { s.append(S("uring-socket", u.rawValue)) }
        if !config.engineNote.isEmpty { s.append(S("engine-note", config.engineNote)) }
        if !config.resolvedNames.isEmpty { s.append(S("resolve", config.resolve.rawValue)) }
        if !config.strategy.sources.isEmpty {
            let srcs = config.strategy.sources
            s.append(S("source", srcs.count == 1 ? srcs[0].host : "\(srcs.first!.host)-\(srcs.last!.host)"))
        }
        if let r = config.strategy.portRange { s.append(S("port-range", "\(r.lowerBound)-\(r.upperBound)")) }
        if config.topology == .veth {
            s.append(S("topology", "veth"))
            s.append(S("family", String(config.veth.family)))
            for x in config.veth.listenerSysctls { s.append(S("listener-sysctl", x.description)) }
            if config.veth.delayNs > 0 { s.append(S("delay", DurationParser.format(config.veth.delayNs))) }
        }
        if config.targets.isEmpty {
            if config.listener.backlog != ListenerConfig().backlog { s.append(S("listener-backlog", String(config.listener.backlog))) }
            if config.topology != .veth { s.append(S("listener-address", config.listener.address.host)) }
            s.append(S("listener-mode", config.listener.mode.rawValue))
            s.append(S("listener-close", config.listener.close.rawValue))
            if config.listener.mode == .hold { s.append(S("listener-hold-limit", String(config.listener.holdLimit))) }
            if let t = config.listener.threads { s.append(S("listener-threads", String(t))) }
            if let c = config.listener.cpus { s.append(S("listener-cpus", c.map(String.init).joined(separator: ","))) }
        }
        if config.strategy.reuseAddress { s.append(S("reuseaddr", "yes")) }
        if config.strategy.bindAddressNoPort { s.append(S("bind-no-port", "yes")) }
        if config.isolation.netns { s.append(S("netns", "yes")) }
        for x in config.isolation.sysctls { s.append(S("sysctl", x.description)) }
        if config.untilExhausted {
            s.append(S("until-exhausted", "yes"))
            s.append(S("tail", DurationParser.format(config.tailNs)))
        }
        if config.spinNs > 0 { s.append(S("spin", DurationParser.format(config.spinNs))) }
        if config.traceKernel { s.append(S("trace-kernel", "yes")) }
        if config.maxAttemptsPerWorker > 0 { s.append(S("max-attempts", String(config.maxAttemptsPerWorker))) }
        if let at = config.startAtEpochNs { s.append(S("start-at", StartAt.format(epochNs: at))) }
        if let share = config.share, share.parts > 1 { s.append(S("processes", String(share.parts))) }
        if !config.tag.isEmpty { s.append(S("tag", config.tag)) }
        return s
    }

}
