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
