import ConnSys
import ConnModel

/// Where one worker's time went: per series interval, how long it waited for a CPU and how
/// often it was preempted; for a sample of attempts, how much of a connect() call (and of
/// its service time) was that wait; and the stretches in which the loop did not run.
///
/// A benchmark that reports its own scheduling as connect()'s cost is wrong exactly at
/// the tail people buy it for: with the built-in listener's thread on the worker's CPU,
/// the wall time around connect() had a p99.9 ten times the kernel's, all of it the
/// worker waiting on its way out of the syscall. The kernel counts that wait per thread
/// (``ThreadSchedStat``), so the worker reads it itself: at interval boundaries (a few
/// reads a second) and around 1 in ``sampleEvery`` connect() calls.
///
/// Owned by the worker like ``WorkerRecorders``: every array is allocated before the
/// first connect, and nothing here is shared with another thread.
struct SchedulerTrack: ~Copyable {
    /// 1 in this many attempts has its CPU wait read around connect(): at 30k/s that is
    /// ~2k samples a second, enough for a p99.9 from a few seconds, at two reads of
    /// ~1.5 µs for every 16 connects of ~25 µs (under 1% of the worker's time).
    static let sampleEvery: UInt64 = 16
    /// A loop that did not run for this long, beyond the wait it asked for, stalled.
    static let stallNs: UInt64 = 100_000_000
    static let stallCapacity = 16

    let stat: ThreadSchedStat?
    /// Per series interval (the same indices as ``IntervalSeries``).
    var waitNs: [UInt64]
    var preemptions: [UInt64]
    let intervalNs: UInt64
    var startNs: UInt64 = 0
    var nextNs: UInt64 = .max
    var last = ThreadSchedStat.Reading(runNs: 0, waitNs: 0, slices: 0)
    var lastSwitches: UInt64 = 0
    var first = ThreadSchedStat.Reading(runNs: 0, waitNs: 0, slices: 0)
    var firstSwitches: UInt64 = 0
    var stalls: [WorkerStall] = []
    var stallsDropped = 0

    init(seriesCount: Int, intervalNs: UInt64) {
        stat = ThreadSchedStat()
        self.intervalNs = Swift.max(1, intervalNs)
        waitNs = Array(repeating: 0, count: seriesCount)
        preemptions = waitNs
        stalls.reserveCapacity(Self.stallCapacity)
    }

    var available: Bool { stat != nil }

    mutating func begin(startNs: UInt64) {
        self.startNs = startNs
        guard let r = stat?.read() else { return }
        last = r
        first = r
        lastSwitches = ThreadUsage.involuntarySwitches()
        firstSwitches = lastSwitches
        nextNs = startNs + intervalNs
    }

    /// The thread's CPU wait so far, for a sampled attempt; 0 without schedstat.
    @inline(__always)
    func waitNow() -> UInt64 { stat?.read()?.waitNs ?? 0 }

    /// At an interval boundary (checked once per turn): what the interval that just ended
    /// held. A late check (a stall) gives the interval it ends in all of the gap.
    mutating func sample(now: UInt64) {
        guard let r = stat?.read() else { nextNs = .max; return }
        let switches = ThreadUsage.involuntarySwitches()
        let elapsed = now > startNs ? now - startNs : 0
        // The interval that ends at the boundary waited for (or, at the loop's end, the one
        // the loop stopped in).
        let boundary = nextNs == .max ? elapsed : Swift.min(nextNs - startNs, elapsed + intervalNs)
        let i = Swift.min(waitNs.count - 1, Int((boundary > 0 ? boundary - 1 : 0) / intervalNs))
        waitNs[i] += r.waitNs &- last.waitNs
        preemptions[i] += switches &- lastSwitches
        last = r
        lastSwitches = switches
        nextNs = startNs + (elapsed / intervalNs + 1) * intervalNs
    }

    /// The loop went from `fromNs` to `toNs` without running. The CPU wait since the last
    /// boundary bounds the wait inside the stretch from above, which is enough to tell a
    /// thread that waited for a CPU from one that was not running at all (stopped).
    mutating func stalled(fromNs: UInt64, toNs: UInt64) {
        let wait = (stat?.read()?.waitNs ?? last.waitNs) &- last.waitNs
        let length = toNs - fromNs
        guard stalls.count < Self.stallCapacity else { stallsDropped += 1; return }
        stalls.append(WorkerStall(startNs: fromNs > startNs ? fromNs - startNs : 0, lengthNs: length,
                                  waitBoundNs: Swift.min(wait, length)))
    }

    /// The whole run's totals, read once more after the loop (and its drain) ended.
    mutating func totals() -> (waitNs: UInt64, preemptions: UInt64) {
        guard let r = stat?.read() else { return (0, 0) }
        let switches = ThreadUsage.involuntarySwitches()
        return (r.waitNs &- first.waitNs, switches &- firstSwitches)
    }
}

