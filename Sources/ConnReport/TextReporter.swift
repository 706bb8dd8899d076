import ConnEngine
import ConnSys

/// The report a person reads at the end of a run. Pure: report in, text out.
public enum TextReporter {
    public static func render(_ r: RunReport) -> String {
        var out = ""
        out += "connbench run \(r.startedAtUTC), kernel \(r.kernelRelease)\n"
        out += "# resolved configuration (key=value; enough to repeat the run)\n"
        for s in r.settings { out += "\(s.key)=\(s.value)\n" }
        if let l = r.listener {
            out += "listener: built-in on \(l.address), \(l.threads) accept thread(s), backlog \(l.backlog), close \(l.close.rawValue), accepted \(l.accepted)\n"
        }
        out += "\n"
        let requested = r.rate.perSecond.map { "\(Int64($0.rounded()))/s" } ?? "max (closed loop)"
        out += "rate: requested \(requested), achieved \(Num.f1(r.achievedRate))/s attempted, \(Num.f1(r.establishedPerSecond))/s established, over \(Num.f3(r.measuredSeconds)) s\(r.interrupted ? " (interrupted)" : "")\n"
        let t = r.tally
        out += "attempts: \(t.attempts) = established \(t.established) + failed \(t.failed) + timed out \(t.timedOut) + in flight \(t.inFlight)"
        if let s = r.scheduled { out += " (scheduled \(s))" }
        out += "\n"
        if r.warmup.attempts > 0 {
            let w = r.warmup
            out += "warm-up (not in the figures): \(w.attempts) = established \(w.established) + failed \(w.failed) + timed out \(w.timedOut) + in flight \(w.inFlight)\n"
        }
        if r.rate.perSecond != nil {
            let share = r.tally.attempts > 0 ? Double(r.lateStarts) / Double(r.tally.attempts) * 100 : 0
            out += "schedule: \(r.lateStarts) starts (\(Num.f1(share))%) more than \(r.lateThresholdNs / 1000) µs late; start lag p50 \(Num.us(r.startLag.p50)) µs, p99 \(Num.us(r.startLag.p99)) µs, max \(Num.us(r.startLag.max)) µs; in-flight cap full \(r.capStalls) time(s), \(Num.f3(r.capStallSeconds)) s in all\n"
        }
        if r.selfConnects > 0 { out += "self-connects: \(r.selfConnects) (source 4-tuple equal to destination)\n" }
        out += "\n" + latencyTable(r)
        out += "\n" + errorTable(r)
        out += "\n" + seriesTable(r)
        out += "\nworkers: " + r.workers.map { w in
            "#\(w.id) cpu \(w.cpu.map(String.init) ?? "-") (\(w.pinning)) busy \(Num.f1(w.cpuUtilization * 100))%"
        }.joined(separator: "; ") + (r.cpuBusy.map { "; cores used \(Num.f1($0 * 100))% busy overall" } ?? "") + "\n"
        for n in r.notes { out += "note: \(n)\n" }
        out += r.verdict.line + "\n"
        return out
    }

    static func latencyTable(_ r: RunReport) -> String {
        let header = ["latency (µs)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "count"]
        var rows: [[String]] = []
        func add(_ name: String, _ s: LatencySummary) {
            rows.append([name, Num.us(s.p50), Num.us(s.p90), Num.us(s.p99), Num.us(s.p999), Num.us(s.p9999), Num.us(s.max), String(s.count)])
        }
        add(r.rate.perSecond != nil ? "corrected (from intended start)" : "corrected (= service, closed loop)", r.latency)
        add("service (from connect call)", r.service)
        add("connect() call", r.connectCall)
        if r.rate.perSecond != nil { add("start lag", r.startLag) }
        return table(header, rows)
    }

    static func errorTable(_ r: RunReport) -> String {
        if r.errors.isEmpty { return "errors: none\n" }
        let rows = r.errors.map { e in
            [e.name, e.site.description, String(e.count), Num.f3(e.firstSeconds), String(e.firstAttempt)]
        }
        return "errors:\n" + table(["errno", "call", "count", "first_s", "first_attempt"], rows)
    }

    static func seriesTable(_ r: RunReport) -> String {
        guard !r.intervals.isEmpty else { return "" }
        let rows = r.intervals.map { i -> [String] in
            let errs = i.errors.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            return [Num.f1(i.startSeconds) + (i.warmup ? "w" : ""), String(i.started), String(i.established),
                    String(i.failed), String(i.timedOut), Num.us(i.p50), Num.us(i.p99), Num.us(i.max),
                    Num.us(i.connectCallP99), errs.isEmpty ? "-" : errs]
        }
        return "timeseries:\n" + table(["t_s", "started", "established", "failed", "timed_out", "p50_us", "p99_us", "max_us", "call_p99_us", "errors"], rows)
    }

    /// Left-aligned first column, right-aligned numbers.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in all {
            var line = ""
            for (i, cell) in row.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i == 0 { line += cell + pad } else if i == row.count - 1 && i >= 9 { line += "  " + cell } else { line += "  " + pad + cell }
            }
            out += line.trailingSpacesTrimmed() + "\n"
        }
        return out
    }
}

extension String {
    func trailingSpacesTrimmed() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
