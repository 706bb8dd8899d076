import Histogram
import ConnModel

/// Reads an HdrHistogram interval log (connbench's `latency.hlog` or any writer's) back
/// into histograms: for re-rendering a run's latency without re-running it, merging runs,
/// and the round-trip tests.
package enum HistogramLogReader {
    package struct Entry {
        package var tag: String?
        /// As written: seconds since BaseTime (or absolute, for logs without one).
        package var startSeconds: Double
        package var lengthSeconds: Double
        /// Interval_Max as written (connbench: milliseconds).
        package var intervalMax: Double
        package var histogram: Histogram<UInt64>
    }

    package struct Log {
        package var startTimeSeconds: Double?
        package var baseTimeSeconds: Double?
        package var entries: [Entry]

        /// The intervals of one tag added up; nil when the tag has none, or when its
        /// intervals differ in layout or add up past what a run can have (``ReadLimits``).
        package func merged(tag: String?) -> Histogram<UInt64>? {
            let tagged = entries.filter { $0.tag == tag }.map(\.histogram)
            guard var sum = tagged.first else { return nil }
            var total = ReadLimits.HistogramSum()
            for h in tagged {
                guard LatencyHistogram.canAdd(h, to: tagged[0]) else { return nil }
                for v in h.recordedValues() where !total.add(count: v.count, at: h.highestEquivalentForValue(v.value)) { return nil }
            }
            for h in tagged.dropFirst() { sum.add(h) }
            return sum
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package static func parse(_ text: String) throws(Failure) -> Log {
        var log = Log(entries: [])
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            var line = Substring(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            if line.hasPrefix("#[StartTime: ") {
                log.startTimeSeconds = Double(line.dropFirst(13).prefix { $0 != " " })
                continue
            }
            if line.hasPrefix("#[BaseTime: ") {
                log.baseTimeSeconds = Double(line.dropFirst(12).prefix { $0 != " " })
                continue
            }
            if line.hasPrefix("#") || line.hasPrefix("\"StartTimestamp\"") { continue }
            var tag: String?
            if line.hasPrefix("Tag=") {
                guard let comma = line.firstIndex(of: ",") else { throw Failure(description: "line \(n + 1): a tag and nothing else") }
                tag = String(line[line.index(line.startIndex, offsetBy: 4)..<comma])
                line = line[line.index(after: comma)...]
            }
            let fields = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let start = Double(fields[0]), let length = Double(fields[1]), let max = Double(fields[2]) else {
                throw Failure(description: "line \(n + 1): not StartTimestamp,Interval_Length,Interval_Max,histogram")
            }
            guard start.isFinite, start >= 0, length.isFinite, length >= 0, max.isFinite, max >= 0 else {
                throw Failure(description: "line \(n + 1): StartTimestamp, Interval_Length and Interval_Max must be finite and not negative")
            }
            let h: Histogram<UInt64>
            do { h = try HdrHistogramEncoding.decode(base64: fields[3]) } catch {
                throw Failure(description: "line \(n + 1): \(error.description)")
            }
            log.entries.append(Entry(tag: tag, startSeconds: start, lengthSeconds: length, intervalMax: max, histogram: h))
        }
        return log
    }
}
