import ConnSys
import Histogram
import ConnModel

/// Reads what a kernel trace's bpftrace printed at its end into figures.
///
/// Pure and separate from the process handling so that a captured output can be checked
/// without root or bpftrace. bpftrace prints each keyed map as `@name[key]: count` lines
/// and a plain count as `@name: count`; everything else (its banner, the markers, blank
/// lines of cleared maps) is skipped.
package enum KernelTraceOutput {
    package static func parse(_ text: String) -> KernelTraceFigures {
        var buckets: [KernelTraceMap: [UInt64: UInt64]] = [:]
        var figures = KernelTraceFigures()
        var overflow: String?
        func add(_ count: UInt64, to sum: inout UInt64, _ name: String) {
            let (total, over) = sum.addingReportingOverflow(count)
            if over { overflow = overflow ?? name }
            sum = over ? .max : total
        }
        for raw in text.split(separator: "\n") {
            let line = Substring(String(raw).trimmingWhitespace())
            if line == Substring(KernelTraceProgram.timeLimitMarker) { figures.timeLimitReached = true }
            guard let entry = mapEntry(line), let map = KernelTraceMap(rawValue: entry.name) else { continue }
            switch (map, entry.key) {
            case (.ret, let key?):
                if let value = Int32(key) { add(entry.count, to: &figures.connectReturns[value, default: 0], map.at) }
            case (.synSent, nil):
                add(entry.count, to: &figures.synSent, map.at)
            case (.call, let key?), (.handshake, let key?), (.runQueue, let key?):
                if let index = UInt64(key) { add(entry.count, to: &buckets[map, default: [:]][index, default: 0], map.at) }
            default:
                continue
            }
        }
        let layout = LatencyHistogram.make()
        for map in [KernelTraceMap.call, .handshake, .runQueue] {
            if let counts = buckets[map], !fits(counts, in: layout) { overflow = overflow ?? map.at }
        }
        // No trace of a run counts that many events (``ReadLimits``): not bpftrace's output.
        if let overflow {
            return KernelTraceFigures(timeLimitReached: figures.timeLimitReached,
                                      warnings: ["the trace's output counts more events in \(overflow) than a run can have (2^52, or 2^56 ns in all): its figures are left out"])
        }
        figures.call = summary(buckets[.call])
        figures.handshake = summary(buckets[.handshake])
        figures.runQueue = summary(buckets[.runQueue])
        return figures
    }

    /// One `@name[key]: count` or `@name: count` line.
    static func mapEntry(_ line: Substring) -> (name: String, key: String?, count: UInt64)? {
        guard line.hasPrefix("@"), let colon = line.lastIndex(of: ":"),
              let count = UInt64(String(line[line.index(after: colon)...]).trimmingWhitespace()) else { return nil }
        let head = line[line.index(after: line.startIndex)..<colon]
        guard let open = head.firstIndex(of: "[") else { return (String(head), nil, count) }
        guard head.last == "]" else { return nil }
        let key = head[head.index(after: open)..<head.index(before: head.endIndex)]
        return (String(head[..<open]), String(key), count)
    }

    /// An HdrHistogram of the buckets' representative values, each recorded as often as it
    /// was counted, so the summary is the same kind of figure as connbench's own.
    static func summary(_ counts: [UInt64: UInt64]?) -> LatencySummary? {
        guard let counts, !counts.isEmpty else { return nil }
        var h = LatencyHistogram.make()
        for (index, count) in counts {
            guard let ns = KernelTraceBuckets.representativeNs(ofBucket: index) else { continue }
            h.record(min(ns, LatencyHistogram.highestNs), count: count)
        }
        return h.totalCount == 0 ? nil : LatencySummary(h)
    }

    /// Whether the buckets' counts make a histogram whose sums fit (``ReadLimits``).
    static func fits(_ counts: [UInt64: UInt64], in h: Histogram<UInt64>) -> Bool {
        var sum = ReadLimits.HistogramSum()
        for (index, count) in counts {
            guard let ns = KernelTraceBuckets.representativeNs(ofBucket: index) else { continue }
            guard sum.add(count: count, at: h.highestEquivalentForValue(min(ns, LatencyHistogram.highestNs))) else { return false }
        }
        return true
    }
}
