import Histogram
import ConnModel

/// One worker's per-interval histograms of the measured window, one per latency kind, for
/// `latency.hlog`.
///
/// Apart from ``IntervalSeries`` (which covers warm-up too, in microseconds): these take
/// exactly the values the whole-run histograms take, so the log's intervals add up to the
/// summary's counts. Allocated and touched before the first connect, so recording is one
/// more `record` per attempt per kind and crossing an interval allocates nothing.
struct LoggedIntervals: ~Copyable {
    /// At most this many intervals are kept: a long run at a short `--interval` logs
    /// every k-th boundary instead (k whole intervals per line), bounding the memory to
    /// `maxCount × 4 × 18 KB` per worker.
    static let maxCount = 1200

    let intervalNs: UInt64
    /// Intervals of the planned window, plus one for what completes after it (the drain).
    let count: Int
    var latency: [Histogram<UInt32>]
    var service: [Histogram<UInt32>]
    var connectCall: [Histogram<UInt32>]
    /// The sampled connect() calls less the worker's CPU wait inside them.
    var callRunning: [Histogram<UInt32>]

    init(durationNs: UInt64, intervalNs: UInt64) {
        self.intervalNs = Self.logIntervalNs(durationNs: durationNs, intervalNs: intervalNs)
        count = Int((durationNs + self.intervalNs - 1) / self.intervalNs) + 1
        let h = LatencyHistogram.makeLogInterval()
        latency = Array(repeating: h, count: count)
        service = latency
        connectCall = latency
        callRunning = latency
        // Write each copy now: copies share storage until written (copy on write).
        for i in 0..<count {
            latency[i].record(0); latency[i].reset()
            service[i].record(0); service[i].reset()
            connectCall[i].record(0); connectCall[i].reset()
            callRunning[i].record(0); callRunning[i].reset()
        }
    }

    /// `--interval`, or the smallest whole multiple of it that keeps the log at
    /// ``maxCount`` intervals.
    static func logIntervalNs(durationNs: UInt64, intervalNs: UInt64) -> UInt64 {
        let step = Swift.max(1, intervalNs)
        let planned = (durationNs + step - 1) / step
        let k = Swift.max(1, (planned + UInt64(maxCount) - 2) / UInt64(maxCount - 1))
        return step * k
    }

    /// The interval of a time `sinceMeasureStartNs` into the measured window; the last
    /// slot takes everything past the plan.
    @inline(__always)
    func index(_ sinceMeasureStartNs: UInt64) -> Int {
        let i = Int(sinceMeasureStartNs / intervalNs)
        return i < count ? i : count - 1
    }
}
