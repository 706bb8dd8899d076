/// Parses `10s`, `500ms`, `2m`, `1h`, `250us`, `1.5s`; a bare number means seconds.
package enum DurationParser {
    package static func nanoseconds(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var number = Substring(text)
        var scale = 1e9
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let ns = value * scale
        guard ns < 1e18 else { return nil }
        return UInt64(ns.rounded())
    }

    /// Seconds as the shortest text that parses back (`10s`, `0.5s`).
    package static func format(_ ns: UInt64) -> String {
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }
}

/// Parses CPU lists like `0,1`, `0-3`, `0-1,4`.
package enum CPUListParser {
    package static func parse(_ text: String) -> [Int]? {
        var cpus: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 1 || ends.count == 2, let lo = Int(ends[0]), lo >= 0 else { return nil }
            let hi = ends.count == 2 ? Int(ends[1]) : lo
            guard let hi, hi >= lo, hi - lo < 4096 else { return nil }
            cpus.append(contentsOf: lo...hi)
        }
        return cpus.isEmpty ? nil : cpus
    }
}
