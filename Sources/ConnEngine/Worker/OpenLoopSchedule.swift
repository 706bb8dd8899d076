import ConnModel
/// One worker's share of an open-loop schedule. The global schedule puts attempt j at
/// start + j/R; this worker takes every `workerCount`-th attempt, offset by its id, so the
/// workers interleave evenly. Computed in Double so rates that do not divide a second
/// stay exact over a long run.
struct OpenLoopSchedule {
    let startNs: UInt64
    let workerCount: Int
    let id: Int
    /// Nanoseconds between this worker's attempts.
    let intervalNs: Double
    /// This worker's next attempt, by index among its own, and when it is due.
    private(set) var index: UInt64 = 0
    private(set) var nextNs: UInt64

    init(startNs: UInt64, workerCount: Int, id: Int, perWorkerIntervalNs: Double) {
        self.startNs = startNs
        self.workerCount = workerCount
        self.id = id
        intervalNs = perWorkerIntervalNs
        nextNs = 0
        nextNs = intended(0)
    }

    @inline(__always)
    func intended(_ k: UInt64) -> UInt64 {
        let j = Double(k) * Double(workerCount) + Double(id)
        return startNs + UInt64(j * intervalNs / Double(workerCount))
    }

    /// Takes the attempt that is due; returns its intended time.
    @inline(__always)
    mutating func take() -> UInt64 {
        let t = nextNs
        index += 1
        nextNs = intended(index)
        return t
    }

    /// The first of this worker's indices whose intended time is at or after `t`.
    func firstIndex(atOrAfter t: UInt64) -> UInt64 {
        guard t > startNs else { return 0 }
        let estimate = (Double(t - startNs) * Double(workerCount) / intervalNs - Double(id)) / Double(workerCount)
        var k = UInt64(Swift.max(0, estimate.rounded(.down)))
        while k > 0 && intended(k - 1) >= t { k -= 1 }
        while intended(k) < t { k += 1 }
        return k
    }

    /// Attempts due in [from, to) that this worker has not started: the schedule's
    /// shortfall, counted instead of started late past the end.
    func notStarted(from: UInt64, to: UInt64) -> UInt64 {
        let lo = Swift.max(index, firstIndex(atOrAfter: from))
        let hi = firstIndex(atOrAfter: to)
        return hi > lo ? hi - lo : 0
    }

    /// Attempts this worker's share of the schedule had due in [from, to).
    func due(from: UInt64, to: UInt64) -> UInt64 {
        let lo = firstIndex(atOrAfter: from), hi = firstIndex(atOrAfter: to)
        return hi > lo ? hi - lo : 0
    }
}
