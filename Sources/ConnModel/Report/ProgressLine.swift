/// One line of live progress: the interval that just ended, over all workers.
public struct ProgressLine: Sendable, Equatable {
    /// Seconds since the run started, at the end of the interval.
    package var elapsedSeconds: Double
    package var intervalSeconds: Double
    package var inWarmup: Bool
    package var requestedPerSecond: Double?
    package var startedPerSecond: Double
    package var establishedPerSecond: Double
    package var failed: UInt64
    package var timedOut: UInt64
    package var exhaustionErrnos: UInt64
    /// The largest of the workers' interval p99s: the p99 of all of them together is at
    /// most this (each worker has at most 1% above its own).
    package var p99AtMostUs: UInt64
    /// TCP sockets holding a port beyond the baseline (sockstat), at the latest sample.
    package var portsInUse: Int64?
    package var onsetFired: Bool
    /// Workers whose figures are in the line (fewer when one lagged past the grace).
    package var workersReporting: Int
    package var workers: Int

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
