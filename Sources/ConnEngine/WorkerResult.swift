import ConnSys
import Histogram

/// What a worker hands back when it stops; merged with the others afterwards.
struct WorkerResult: Sendable {
    var id: Int
    var cpu: Int?
    var pinMethod: CPUAffinity.Method?
    var pinError: Errno?
    var measured = Tally()
    var warmup = Tally()
    var latency = LatencyHistogram.make()
    var service = LatencyHistogram.make()
    var connectCall = LatencyHistogram.make()
    var startLag = LatencyHistogram.make()
    var late: UInt64 = 0
    /// Attempts that were due while every slot was busy (open loop).
    var capStalls: UInt64 = 0
    var capStallNs: UInt64 = 0
    var errors: [WorkerErrorEntry] = []
    var intervalStarted: [UInt64] = []
    var intervalEstablished: [UInt64] = []
    var intervalFailed: [UInt64] = []
    var intervalTimedOut: [UInt64] = []
    var intervalErrors: [UInt32] = []
    var intervalLatency: [Histogram<UInt32>] = []
    var intervalConnectCall: [Histogram<UInt32>] = []
    var marks: [UInt32] = []
    var selfConnects: UInt64 = 0
    var onsetBucketNs: UInt64 = 5_000_000
    var onsetBuckets: [OnsetBucket] = []
    /// Nanoseconds since the run started of this worker's last attempt.
    var lastStartNs: UInt64 = 0
    var cpuNs: UInt64 = 0
    var wallNs: UInt64 = 0
    /// Set when the worker could not run at all (e.g. epoll_create failed).
    var fatal: String?
}
