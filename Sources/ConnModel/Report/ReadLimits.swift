import Histogram

/// The largest figures a report read from outside (report.json, latency.hlog, bpftrace's
/// output) may hold.
///
/// Swift traps on integer overflow, and reports are added up: `merge` sums up to
/// ``maxParts`` reports field by field, and HdrHistogram's iterators sum count × value over
/// a histogram in 64 bits. Within these bounds every such sum fits, so a hand-edited or
/// corrupt file is refused with a line naming its field instead of killing the process.
/// They are far above any run: 2^52 connects is 1.4 years at 100M/s, and 2^56 ns·connects
/// is a billion connects of 72 ms each.
package enum ReadLimits {
    /// Any count or other integer a report holds, but clocks since the epoch.
    package static let integer: UInt64 = 1 << 52
    /// A histogram's total count × value, in its own unit.
    package static let histogramValueSum: UInt64 = 1 << 56
    /// Reports `merge` adds up at once.
    package static let maxParts = 64

    /// Running totals of a histogram being read, bucket by bucket.
    package struct HistogramSum {
        package private(set) var count: UInt64 = 0
        package private(set) var value: UInt64 = 0

        package init() {}

        /// Adds `count` values at `value` (the bucket's highest equivalent value, as the
        /// iterators count it); false when a total would pass its limit.
        package mutating func add(count: UInt64, at value: UInt64) -> Bool {
            let (product, over) = count.multipliedReportingOverflow(by: value)
            guard !over, count <= ReadLimits.integer - self.count, product <= ReadLimits.histogramValueSum - self.value else { return false }
            self.count += count
            self.value += product
            return true
        }
    }
}
