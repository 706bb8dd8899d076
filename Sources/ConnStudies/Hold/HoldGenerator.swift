import ConnSys
import ConnModel
import ConnEngine

/// What one generator part of a hold does.
///
/// One stored property per figure the supervisor hands a part on its command line.
package struct HoldPartConfig: Sendable {
    package var part: Int
    package var parts: Int
    /// Connections over all parts: part k makes the global attempts k, k + parts, …
    package var connections: Int
    /// Connects per second over all parts: global attempt g is due at go + g / rate.
    package var ratePerSecond: Double
    package var step: Int
    package var sources: [SocketAddress]
    package var targets: [SocketAddress]
    package var timeoutNs: UInt64
    package var buildLimitNs: UInt64
    package var engine: EngineChoice = .epoll
    /// The CPU the part's worker is pinned to; nil: the first allowed one.
    package var cpu: Int?

    package init(part: Int, parts: Int, connections: Int, ratePerSecond: Double, step: Int,
                sources: [SocketAddress], targets: [SocketAddress], timeoutNs: UInt64, buildLimitNs: UInt64) {
        self.part = part; self.parts = parts; self.connections = connections; self.ratePerSecond = ratePerSecond
        self.step = step; self.sources = sources; self.targets = targets; self.timeoutNs = timeoutNs
        self.buildLimitNs = buildLimitNs
    }

    package var planned: Int { (connections - part + parts - 1) / parts }
}

/// A generator part's build-up, on the one engine: a run of one worker that keeps every
/// connection it establishes (``KeepOpen``), with its share of the hold's schedule
/// (``RunShare``), so a hold measures with every instrument a run has — the CPU-wait
/// split, SYN retransmits, the observation gap, io_uring.
///
/// Every socket gets SO_LINGER {1, 0} before its connect (`--close rst`): the close at
/// the end sends RST, and nothing is left in TIME_WAIT. Each socket binds a source
/// address with IP_BIND_ADDRESS_NO_PORT, so connect picks the port per 4-tuple and a
/// source's ports are shared across the listener ports.
package enum HoldGenerator {
    /// The run that builds part k's share.
    package static func runConfig(_ c: HoldPartConfig) -> RunConfig {
        var r = RunConfig()
        r.targets = c.targets
        r.rate = .fixed(perSecond: c.ratePerSecond / Double(c.parts))
        r.durationNs = c.buildLimitNs
        r.timeoutNs = c.timeoutNs
        r.close = .rst
        r.workers = 1
        r.cpus = c.cpu.map { [$0] }
        r.strategy = SocketStrategy(sources: c.sources, bindAddressNoPort: true)
        r.share = RunShare(part: c.part, parts: c.parts)
        r.keepOpen = KeepOpen(attempts: c.connections, stepAttempts: c.step)
        r.engine = c.engine
        r.tag = "part-\(c.part)"
        return r
    }

    /// Builds from the common start `sync.ready` returns until every attempt has ended,
    /// a limit stops it, the build-up time passes or `stop` is set; the connections come
    /// back open.
    package static func build(_ c: HoldPartConfig, stop: StopFlag, sync: BenchmarkRunner.PartSync) throws(BenchmarkRunner.Failure)
        -> (part: HoldPartResult, run: RunReport, kept: KeptConnections) {
        var goNs: UInt64 = 0
        let ready = sync.ready
        let tracked = BenchmarkRunner.PartSync(ready: { let go = ready(); goNs = go ?? 0; return go }, ended: sync.ended)
        let (run, kept) = try BenchmarkRunner.runKeepingOpen(runConfig(c), stop: stop, sync: tracked)
        var r = HoldPartResult(part: c.part, planned: c.planned)
        r.attempts = run.tally.attempts
        r.established = run.tally.established
        r.failed = run.tally.failed
        r.timedOut = run.tally.timedOut
        r.inFlight = run.tally.inFlight
        r.lateStarts = run.lateStarts
        r.errors = kept.errors
        r.latency = kept.latency
        r.service = kept.service
        r.goNs = goNs
        // The build ended with the run's loop, before its report was built.
        r.builtNs = goNs == 0 ? 0 : goNs + UInt64((run.measuredSeconds * 1e9).rounded())
        r.stop = stop.isStopped ? .interrupted : kept.limitHit ? .limit : r.attempts < UInt64(c.planned) ? .deadline : .complete
        return (r, run, kept)
    }
}
