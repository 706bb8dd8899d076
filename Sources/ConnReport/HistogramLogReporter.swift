@preconcurrency import Glibc
import Histogram
import ConnModel

/// `latency.hlog`: HdrHistogram's interval log (format 1.3, as Java's HistogramLogWriter
/// writes it), one line per interval per latency kind, so HistogramLogProcessor, `hdrh`
/// and the plotters read a run's latency over time without connbench.
///
/// Units: histogram values are nanoseconds; `Interval_Max` is milliseconds (the writer's
/// conventional max unit ratio, 10⁶, for nanosecond histograms); timestamps are seconds
/// since `StartTime` (the run's start, warm-up included, as in timeseries.csv), which the
/// `BaseTime` line states explicitly for readers that guess.
package enum HistogramLogReporter {
    /// The tag of each latency kind, in the order of each interval's lines.
    package static let tags = ["corrected", "service", "call"]
    /// The sampled connect() calls less the worker's CPU wait, after the three (epoll).
    package static let runningTag = "call-running"
    /// Interval_Max = max ÷ this: nanoseconds to milliseconds.
    package static let maxValueUnitRatio = 1_000_000.0

    package static func render(_ log: IntervalHistograms) -> String {
        let start = Num.f3(Double(log.startEpochMs) / 1000)
        var out = "#[Logged with connbench: histogram values in nanoseconds, Interval_Max in milliseconds]\n"
        out += "#[Tags: corrected = from each attempt's intended start (coordinated-omission corrected), "
            + "service = from the connect() call to established, call = the connect() call alone"
            + (log.rows.contains { $0.callRunning != nil } ? ", call-running = 1 call in 16 less the worker's CPU wait inside it" : "") + "]\n"
        out += "#[Histogram log format version 1.3]\n"
        out += "#[StartTime: \(start) (seconds since epoch), \(javaDate(epochMs: log.startEpochMs))]\n"
        out += "#[BaseTime: \(start) (seconds since epoch)]\n"
        out += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for row in log.rows {
            let kinds = zip(tags, [row.latency, row.service, row.connectCall]).map { ($0, $1) }
                + (row.callRunning.map { [(runningTag, $0)] } ?? [])
            for (tag, h) in kinds {
                let max = h.totalCount == 0 ? 0 : Double(h.max) / maxValueUnitRatio
                out += "Tag=\(tag),\(Num.f3(row.startSeconds)),\(Num.f3(row.seconds)),\(Num.f3(max)),"
                out += HdrHistogramEncoding.base64(h) + "\n"
            }
        }
        return out
    }

    /// `Tue Nov 14 22:13:20 UTC 2023`: java.util.Date's toString, which the StartTime line
    /// carries after the number (readers take only the number).
    static func javaDate(epochMs: UInt64) -> String {
        var seconds = time_t(epochMs / 1000)
        var t = tm()
        gmtime_r(&seconds, &t)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(t.tm_wday)]) \(months[Int(t.tm_mon)]) \(two(t.tm_mday)) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) UTC \(t.tm_year + 1900)"
    }
}
