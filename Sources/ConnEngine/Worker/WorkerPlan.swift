import ConnSys
import Synchronization
import ConnModel

/// What one worker needs to know, fixed before it starts.
struct WorkerPlan: Sendable {
    var id: Int
    var workerCount: Int
    var cpu: Int?
    var targets: [SocketAddress]
    var config: RunConfig
    /// This worker's place in the run's schedule, over every process (``RunShare``):
    /// `id` of `workerCount` when the run is all in this process.
    var place: Int
    var places: Int
    /// The most attempts this worker makes (0: no bound).
    var maxAttempts: UInt64
    /// Open loop: nanoseconds between this worker's intended starts, as a Double so
    /// that rates that do not divide a second stay exact over a long run.
    var perWorkerIntervalNs: Double?
    /// Set (with the run's stop flag) by a worker that ended the run at exhaustion onset
    /// (`--until-exhausted`), so the run is not reported as interrupted.
    var onsetStop = StopFlag()
    /// Where this worker publishes its totals for the live progress line; nil: no line.
    var progress: ProgressSlot? = nil
}

