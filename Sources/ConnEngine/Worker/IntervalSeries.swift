import ConnSys
import Histogram
import ConnModel

/// One worker's per-interval counts and latency histograms, allocated for the whole run
/// before the first connect so that crossing an interval boundary allocates nothing.
struct IntervalSeries: ~Copyable {
    let count: Int
    let intervalNs: UInt64
    var started: [UInt64]
    var established: [UInt64]
    var failed: [UInt64]
    var timedOut: [UInt64]
    /// Connects that needed a SYN retransmit, by the interval they ended in.
    var synRetransmits: [UInt64]
    /// errno counts, `count × ErrorTable.errnoSlots`, all calls together.
    var errors: [UInt32]
    var latency: [Histogram<UInt32>]
    var connectCall: [Histogram<UInt32>]

    init(totalNs: UInt64, intervalNs: UInt64) {
        self.intervalNs = Swift.max(1, intervalNs)
        count = Int((totalNs + self.intervalNs - 1) / self.intervalNs) + 1
        started = Array(repeating: 0, count: count)
        established = started
        failed = started
        timedOut = started
        synRetransmits = started
        errors = Array(repeating: 0, count: count * ErrorTable.errnoSlots)
        let h = LatencyHistogram.makeInterval()
        latency = Array(repeating: h, count: count)
        connectCall = latency
        // Touch every histogram now: copies share storage until written, and the first
        // write would otherwise copy (allocate) on the hot path.
        for i in 0..<count {
            latency[i].record(0)
            latency[i].reset()
            connectCall[i].record(0)
            connectCall[i].reset()
        }
    }

    @inline(__always)
    func index(_ sinceStartNs: UInt64) -> Int {
        let i = Int(sinceStartNs / intervalNs)
        return i < count ? i : count - 1
    }
}

/// Attempts started by one worker, sampled every millisecond when it has others, so that a
/// worker-local attempt number can be turned into a run-wide one after the run.
struct ProgressMarks: ~Copyable {
    static let stepNs: UInt64 = 1_000_000
    var marks: [UInt32]
    var filled = 0
    /// The time (since the start) of the next mark: before it, a call is one compare.
    private var nextNs: UInt64 = 0

    init(totalNs: UInt64, enabled: Bool) {
        marks = enabled ? Array(repeating: 0, count: Int(totalNs / Self.stepNs) + 2) : []
        if !enabled { nextNs = .max }
    }

    /// `attempts`: this worker's attempts started before `sinceStartNs`. Called before
    /// each start, so a mark holds the count at its millisecond, not at the end of a turn
    /// that crossed it (after an exhaustion onset a turn of 16 connects lasts ms, and the
    /// marks then numbered another worker's errors up to a turn too late).
    @inline(__always)
    mutating func advance(to sinceStartNs: UInt64, attempts: UInt64) {
        guard sinceStartNs >= nextNs else { return }
        let upTo = Int(Swift.min(UInt64(marks.count), sinceStartNs / Self.stepNs + 1))
        let value = UInt32(truncatingIfNeeded: attempts)
        while filled < upTo {
            marks[filled] = value
            filled += 1
        }
        nextNs = filled < marks.count ? UInt64(filled) * Self.stepNs : .max
    }
}
