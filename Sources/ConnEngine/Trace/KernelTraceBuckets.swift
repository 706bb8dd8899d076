import ConnModel
/// The log-linear buckets the kernel trace counts durations in.
///
/// bpftrace's `hist()` has power-of-two buckets, too coarse for a p50 to within a few per
/// cent, and shipping every duration to user space would cost more than the connect being
/// measured. So bpftrace computes a bucket index itself and keeps one count per index;
/// each decade is cut into 900 equal steps (1000 in the first), a relative width of 1 %
/// at worst, and the midpoint recorded here is within 0.5 % of every value in its bucket.
/// The statements that compute the index and the decoding below come from one table so
/// that they cannot drift apart.
package enum KernelTraceBuckets {
    /// The unit bpftrace divides nanoseconds by before bucketing.
    package static let unitNs: UInt64 = 100

    /// Each decade: its first bucket index, its lower bound and its step, both in units.
    /// The first decade steps by 0.1 µs to 100 µs; the last by 100 ms to 100 s, far enough
    /// for SYN retransmissions (1 s, 3 s, 7 s, …) to land in a bucket of their own.
    static let decades: [(index: UInt64, from: UInt64, step: UInt64)] = [
        (0, 0, 1),
        (1000, 1_000, 10),
        (1900, 10_000, 100),
        (2800, 100_000, 1_000),
        (3700, 1_000_000, 10_000),
        (4600, 10_000_000, 100_000),
        (5500, 100_000_000, 1_000_000),
    ]
    /// Everything from 100 s up: its value is recorded as the lower bound, the only one known.
    package static let overflowIndex: UInt64 = 6400
    static let overflowFrom: UInt64 = 1_000_000_000

    /// bpftrace statements that set `$b` to the bucket of `$v` (a duration in units).
    /// Later ifs overwrite earlier ones, which keeps bpftrace 0.17's typing simple.
    package static var bpftraceStatements: String {
        var lines = ["$b = $v;"]
        for d in decades.dropFirst() {
            lines.append("if ($v >= \(d.from)) { $b = \(d.index) + ($v - \(d.from)) / \(d.step); }")
        }
        lines.append("if ($v >= \(overflowFrom)) { $b = \(overflowIndex); }")
        return lines.joined(separator: " ")
    }

    /// The bucket of a duration in units: what `bpftraceStatements` computes, in Swift.
    package static func index(ofUnits v: UInt64) -> UInt64 {
        guard v < overflowFrom, let d = decades.last(where: { $0.from <= v }) else { return overflowIndex }
        return d.index + (v - d.from) / d.step
    }

    /// The value in nanoseconds a bucket stands for: its midpoint, or the lower bound of the
    /// overflow bucket; nil for an index no bucket has.
    package static func representativeNs(ofBucket b: UInt64) -> UInt64? {
        if b == overflowIndex { return overflowFrom * unitNs }
        guard b < overflowIndex, let d = decades.last(where: { $0.index <= b }) else { return nil }
        let lowNs = (d.from + (b - d.index) * d.step) * unitNs
        return lowNs + d.step * unitNs / 2
    }
}
