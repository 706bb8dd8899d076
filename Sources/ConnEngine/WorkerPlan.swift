import ConnSys
import Synchronization

/// What one worker needs to know, fixed before it starts.
struct WorkerPlan: Sendable {
    var id: Int
    var workerCount: Int
    var cpu: Int?
    var targets: [SocketAddress]
    var config: RunConfig
    /// Open loop: nanoseconds between this worker's intended starts, as a Double so
    /// that rates that do not divide a second stay exact over a long run.
    var perWorkerIntervalNs: Double?
    /// Set (with the run's stop flag) by a worker that ended the run at exhaustion onset
    /// (`--until-exhausted`), so the run is not reported as interrupted.
    var onsetStop = StopFlag()
    /// Where this worker publishes its totals for the live progress line; nil: no line.
    var progress: ProgressSlot? = nil
}

/// Read by every worker once per loop turn, written only to stop: a relaxed load on a
/// line nobody else writes, not an atomic shared on the per-connect path.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .relaxed) }
    public var isStopped: Bool { flag.load(ordering: .relaxed) }
}

/// A counter threads add to when they finish (never per connect).
public final class SharedCounter: Sendable {
    private let atomic = Atomic<UInt64>(0)
    public init() {}
    public func add(_ n: UInt64) { atomic.add(n, ordering: .relaxed) }
    public var value: UInt64 { atomic.load(ordering: .relaxed) }
}
