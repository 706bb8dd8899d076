import Histogram

/// Latencies in nanoseconds, 3 significant digits, up to an hour.
///
/// Values past the top are clamped, not dropped, so the count always equals the number of
/// events and the maximum still shows that something took an hour.
public enum LatencyHistogram {
    public static let highestNs: UInt64 = 3_600_000_000_000

    public static func make() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestNs, numberOfSignificantValueDigits: .three)
    }

    /// Per-interval histograms: microseconds and 2 digits keep a long run's series small.
    public static func makeInterval() -> Histogram<UInt32> {
        Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: highestNs / 1000, numberOfSignificantValueDigits: .two)
    }

    /// The interval histograms of `latency.hlog`: nanoseconds like the whole-run ones, so a
    /// log reader needs no unit but the one the file states, and 2 digits (±1 %) rather than
    /// 3, because one is kept per interval, per kind and per worker for the whole run:
    /// 4,608 UInt32 counts (18 KB) each, against 33,792 (135 KB) at 3 digits.
    public static func makeLogInterval() -> Histogram<UInt32> {
        Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: highestNs, numberOfSignificantValueDigits: .two)
    }

    /// Whether a histogram read back has a layout connbench writes for its count type:
    /// HdrHistogram traps when one of another layout is added to the run's own.
    package static func isOwnLayout<C, D>(_ h: Histogram<C>, countsOf: D.Type) -> Bool {
        let own: [(UInt64, UInt64, SignificantDigits)] = D.self == UInt32.self
            ? [(1, highestNs / 1000, .two), (1, highestNs, .two)] : [(1, highestNs, .three)]
        return own.contains { $0.0 == h.lowestDiscernibleValue && $0.1 == h.highestTrackableValue && $0.2 == h.numberOfSignificantValueDigits }
    }
}

extension LatencyHistogram {
    /// Whether `other` adds to `h` without HdrHistogram's trap: the same lowest value and
    /// digits, and a top no higher, or nothing recorded above `h`'s top.
    package static func canAdd<C>(_ other: Histogram<C>, to h: Histogram<C>) -> Bool {
        other.lowestDiscernibleValue == h.lowestDiscernibleValue && other.numberOfSignificantValueDigits == h.numberOfSignificantValueDigits
            && (other.highestTrackableValue <= h.highestTrackableValue || other.max <= h.highestTrackableValue)
    }
}

extension Histogram {
    @inlinable @inline(__always)
    public mutating func recordClamped(_ ns: UInt64) {
        record(ns < LatencyHistogram.highestNs ? ns : LatencyHistogram.highestNs)
    }

    @inlinable @inline(__always)
    public mutating func recordClampedMicros(_ ns: UInt64) {
        let us = ns / 1000
        record(us < LatencyHistogram.highestNs / 1000 ? us : LatencyHistogram.highestNs / 1000)
    }
}
