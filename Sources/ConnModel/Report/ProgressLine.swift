/// One line of live progress: the interval that just ended, over all workers.
public struct ProgressLine: Sendable, Equatable {
    /// Seconds since the run started, at the end of the interval.
    public var elapsedSeconds: Double
    public var intervalSeconds: Double
    public var inWarmup: Bool
    public var requestedPerSecond: Double?
    public var startedPerSecond: Double
    public var establishedPerSecond: Double
    public var failed: UInt64
    public var timedOut: UInt64
    public var exhaustionErrnos: UInt64
    /// The largest of the workers' interval p99s: the p99 of all of them together is at
    /// most this (each worker has at most 1% above its own).
    public var p99AtMostUs: UInt64
    /// TCP sockets holding a port beyond the baseline (sockstat), at the latest sample.
    public var portsInUse: Int64?
    public var onsetFired: Bool
    /// Workers whose figures are in the line (fewer when one lagged past the grace).
    public var workersReporting: Int
    public var workers: Int

    package init(elapsedSeconds: Double, intervalSeconds: Double, inWarmup: Bool, requestedPerSecond: Double? = nil, startedPerSecond: Double, establishedPerSecond: Double, failed: UInt64, timedOut: UInt64, exhaustionErrnos: UInt64, p99AtMostUs: UInt64, portsInUse: Int64? = nil, onsetFired: Bool, workersReporting: Int, workers: Int) {
        self.elapsedSeconds = elapsedSeconds
        self.intervalSeconds = intervalSeconds
        self.inWarmup = inWarmup
        self.requestedPerSecond = requestedPerSecond
        self.startedPerSecond = startedPerSecond
        self.establishedPerSecond = establishedPerSecond
        self.failed = failed
        self.timedOut = timedOut
        self.exhaustionErrnos = exhaustionErrnos
        self.p99AtMostUs = p99AtMostUs
        self.portsInUse = portsInUse
        self.onsetFired = onsetFired
        self.workersReporting = workersReporting
        self.workers = workers
    }
}
