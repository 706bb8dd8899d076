import ConnModel

/// The live progress line: one per interval on stderr while a run goes, so a 60 s run is
/// not silent until its end. Short enough for one terminal line.
package enum ProgressFormatter {
    package static func line(_ p: ProgressLine) -> String {
        var out = "t=\(seconds(p.elapsedSeconds))s"
        if p.inWarmup { out += " (warm-up)" }
        out += " started \(Num.whole(p.startedPerSecond))"
        if let r = p.requestedPerSecond { out += "/\(Num.whole(r))" }
        out += "/s established \(Num.whole(p.establishedPerSecond))/s"
        out += " p99≤\(latency(p.p99AtMostUs))"
        out += " errors \(p.failed) timeouts \(p.timedOut)"
        if p.exhaustionErrnos > 0 { out += " (\(p.exhaustionErrnos) for want of ports)" }
        if let ports = p.portsInUse { out += " ports \(ports)" }
        if p.onsetFired { out += " ONSET" }
        if p.workersReporting < p.workers { out += " [\(p.workersReporting)/\(p.workers) workers]" }
        return out
    }

    /// `3`, `0.25`, `1.5`: as exact as the interval, no trailing zeros.
    static func seconds(_ s: Double) -> String {
        var t = Num.f3(s)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    /// µs from the interval histograms (whole µs), shown in the unit that reads best.
    static func latency(_ us: UInt64) -> String {
        if us < 10_000 { return "\(us)µs" }
        if us < 10_000_000 { return Num.f1(Double(us) / 1000) + "ms" }
        return Num.f1(Double(us) / 1e6) + "s"
    }
}
