import ConnSys
import Histogram
import ConnModel
import ConnAnalysis

/// What a worker hands back when it stops; merged with the others afterwards.
///
/// Its stored properties are one per figure a worker measured, handed over whole once it has
/// joined: grouping them would only add a level the merge reads through.
struct WorkerResult: Sendable {
    var id: Int
    var cpu: Int?
    var pinMethod: CPUAffinity.Method?
    var pinError: Errno?
    var figures = WorkerFigures()
    var errors: [WorkerErrorEntry] = []
    var intervalStarted: [UInt64] = []
    var intervalEstablished: [UInt64] = []
    var intervalFailed: [UInt64] = []
    var intervalTimedOut: [UInt64] = []
    var intervalSynRetransmits: [UInt64] = []
    /// Where the worker's time went (``SchedulerTrack``).
    var scheduling = WorkerScheduling()
    var intervalErrors: [UInt32] = []
    var intervalLatency: [Histogram<UInt32>] = []
    var intervalConnectCall: [Histogram<UInt32>] = []
    /// The measured window's per-interval histograms (``LoggedIntervals``), in ns.
    var loggedIntervalNs: UInt64 = 0
    var loggedLatency: [Histogram<UInt32>] = []
    var loggedService: [Histogram<UInt32>] = []
    var loggedConnectCall: [Histogram<UInt32>] = []
    var loggedCallRunning: [Histogram<UInt32>] = []
    var marks: [UInt32] = []
    /// Open loop: attempts this worker's share of the schedule had due in the measured
    /// window, and how many of them it never started.
    var scheduled: UInt64 = 0
    var notStarted: UInt64 = 0
    /// What the online detector saw (`--until-exhausted`): buckets fed, and what fired.
    var onlineOnset: OnsetDetector.Fired?
    var detectorFed = 0
    var onsetBucketNs: UInt64 = 5_000_000
    var onsetBuckets: [OnsetBucket] = []
    /// Nanoseconds since the run started of this worker's last attempt.
    var lastStartNs: UInt64 = 0
    var cpuNs: UInt64 = 0
    var wallNs: UInt64 = 0
    /// ``KeepOpen``: the connections it keeps open, its steps and its errors run-wide.
    var kept: KeptConnections?
    /// Set when the worker could not run at all (e.g. epoll_create failed).
    var fatal: String?
}

/// One worker's scheduler figures, handed back beside its result.
struct WorkerScheduling: Sendable {
    /// Whether the kernel keeps scheduler statistics for threads (schedstat).
    var available = false
    var cpuWaitNs: UInt64 = 0
    var preemptions: UInt64 = 0
    var intervalWaitNs: [UInt64] = []
    var intervalPreemptions: [UInt64] = []
    var stalls: [WorkerStall] = []
    var stallsDropped = 0
}
