import Synchronization
import ConnModel

/// Where one worker publishes each interval's figures once it has ended, for the live
/// progress line: written by that worker only, read by the runner thread only — never
/// shared between workers, never touched per connect.
///
/// Interval k goes into cell k mod 8: its figures (relaxed stores), then its number
/// (releasing). The runner loads the number (acquiring), reads the figures and loads the
/// number again: the same k both times, and the figures are interval k's. Eight cells
/// give the runner (which looks every 10 ms) eight intervals to read one in.
package final class ProgressSlot: Sendable {
    let cells: [Cell]
    static let depth = 8

    package init() { cells = (0..<Self.depth).map { _ in Cell() } }

    final class Cell: Sendable {
        /// Interval number + 1; 0 while empty.
        let interval = Atomic<Int>(0)
        let started = Atomic<UInt64>(0)
        let established = Atomic<UInt64>(0)
        let failed = Atomic<UInt64>(0)
        let timedOut = Atomic<UInt64>(0)
        let exhaustion = Atomic<UInt64>(0)
        let p99Us = Atomic<UInt64>(0)
        let onset = Atomic<Bool>(false)
    }

    /// One interval's figures from one worker.
    struct Figures: Equatable {
        var started: UInt64 = 0
        var established: UInt64 = 0
        var failed: UInt64 = 0
        var timedOut: UInt64 = 0
        /// EADDRNOTAVAIL, EADDRINUSE and EAGAIN: the errnos of running out of ports.
        var exhaustion: UInt64 = 0
        /// Corrected latency p99 of the interval, µs.
        var p99Us: UInt64 = 0
        var onset = false
    }

    /// Called by the owning worker once interval `k` has ended.
    func publish(_ f: Figures, interval k: Int) {
        let c = cells[k % Self.depth]
        c.interval.store(0, ordering: .relaxed)
        c.started.store(f.started, ordering: .relaxed)
        c.established.store(f.established, ordering: .relaxed)
        c.failed.store(f.failed, ordering: .relaxed)
        c.timedOut.store(f.timedOut, ordering: .relaxed)
        c.exhaustion.store(f.exhaustion, ordering: .relaxed)
        c.p99Us.store(f.p99Us, ordering: .relaxed)
        c.onset.store(f.onset, ordering: .relaxed)
        c.interval.store(k + 1, ordering: .releasing)
    }

    /// Interval `k`'s figures when the worker has published them (and not yet reused
    /// their cell); nil otherwise.
    func read(interval k: Int) -> Figures? {
        let c = cells[k % Self.depth]
        guard c.interval.load(ordering: .acquiring) == k + 1 else { return nil }
        let f = Figures(started: c.started.load(ordering: .relaxed), established: c.established.load(ordering: .relaxed),
                        failed: c.failed.load(ordering: .relaxed), timedOut: c.timedOut.load(ordering: .relaxed),
                        exhaustion: c.exhaustion.load(ordering: .relaxed), p99Us: c.p99Us.load(ordering: .relaxed),
                        onset: c.onset.load(ordering: .relaxed))
        return c.interval.load(ordering: .acquiring) == k + 1 ? f : nil
    }
}

/// The runner's side: turns the workers' published intervals into lines, in order, each
/// once every worker has published it (or, for a worker that stopped early or lags, a
/// grace period after the interval's end).
struct ProgressTracker {
    let slots: [ProgressSlot]
    let intervalNs: UInt64
    let warmupNs: UInt64
    let requested: Double?
    var next = 0
    var onset = false
    static let graceNs: UInt64 = 200_000_000

    /// The lines ready at `now` (nanoseconds since the run's start).
    mutating func lines(sinceStartNs now: UInt64, portsInUse: Int64?, final: Bool) -> [ProgressLine] {
        var out: [ProgressLine] = []
        while true {
            let k = next
            let endNs = UInt64(k + 1) * intervalNs
            guard endNs <= now || final else { break }
            let figures = slots.map { $0.read(interval: k) }
            let have = figures.compactMap { $0 }
            guard !have.isEmpty else { break }
            guard have.count == slots.count || now >= endNs + Self.graceNs || final else { break }
            let sum = have.reduce(ProgressSlot.Figures()) { a, f in
                ProgressSlot.Figures(started: a.started + f.started, established: a.established + f.established,
                                     failed: a.failed + f.failed, timedOut: a.timedOut + f.timedOut,
                                     exhaustion: a.exhaustion + f.exhaustion, p99Us: Swift.max(a.p99Us, f.p99Us),
                                     onset: a.onset || f.onset)
            }
            onset = onset || sum.onset
            let seconds = Double(intervalNs) / 1e9
            out.append(ProgressLine(elapsedSeconds: Double(endNs) / 1e9, intervalSeconds: seconds,
                                    inWarmup: endNs <= warmupNs, requestedPerSecond: requested,
                                    startedPerSecond: Double(sum.started) / seconds,
                                    establishedPerSecond: Double(sum.established) / seconds,
                                    failed: sum.failed, timedOut: sum.timedOut, exhaustionErrnos: sum.exhaustion,
                                    p99AtMostUs: sum.p99Us, portsInUse: portsInUse, onsetFired: onset,
                                    workersReporting: have.count, workers: slots.count))
            next += 1
        }
        return out
    }
}

