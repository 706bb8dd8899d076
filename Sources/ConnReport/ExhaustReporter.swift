import ConnSys
import ConnModel

/// The `connbench exhaust` table, as text and CSV, from the matrix's reports.
package enum ExhaustReporter {
    package static let columns = [
        "strategy", "close", "tcp_tw_reuse", "destinations", "first_error", "call", "onset_signal",
        "onset_attempt", "onset_s", "ports_in_use", "sustained_per_s", "errors_per_s",
        "attempts", "established", "failed", "timed_out", "in_flight", "rate_before_per_s",
        "predicted_attempt", "sustainable_per_s",
    ]

    package static func row(_ r: RunReport) -> [String] {
        let c = r.matrixCase ?? ExhaustMatrix.Case(strategy: r.strategy)
        let first = r.firstError
        let o = r.onset
        return [
            c.strategy.name, c.close.rawValue, String(c.twReuse), String(c.destinations),
            first?.name ?? "", first?.site.description ?? "", o?.signal.description ?? "",
            o.map { String($0.attempt) } ?? "", o.map { Num.f3($0.seconds) } ?? "",
            o?.portsInUse.map(String.init) ?? "", o.map { Num.f1($0.sustainedRate) } ?? "",
            o.map { Num.f1($0.errorsPerSecond) } ?? "",
            String(r.tally.attempts), String(r.tally.established), String(r.tally.failed),
            String(r.tally.timedOut), String(r.tally.inFlight), o.map { Num.f1($0.rateBefore) } ?? "",
            predicted(r).map(String.init) ?? "", r.portBudget?.sustainableRate.map { Num.f1($0) } ?? "",
        ]
    }

    /// The onset the port budget predicts for the case (the cost rise where the detector
    /// can see it, else ports running out).
    static func predicted(_ r: RunReport) -> Int? { r.portBudget?.onsetAttempt }

    package static func csv(_ reports: [RunReport]) -> String {
        CSV.row(columns) + reports.map { CSV.row(row($0)) }.joined()
    }

    package static func text(_ reports: [RunReport], portRange: ClosedRange<UInt16>, kernel: String) -> String {
        var out = "connbench exhaust: kernel \(kernel); each row its own fresh namespace, ip_local_port_range \(portRange.lowerBound)-\(portRange.upperBound) (\(portRange.count) ports), closed loop, built-in listeners wait for the client's FIN\n\n"
        let header = ["strategy", "close", "tw_reuse", "dst", "first error", "call", "onset", "attempt", "predicted", "onset_s", "ports", "after/s", "errors/s", "attempts"]
        let rows = reports.map { r -> [String] in
            let f = row(r)
            return [f[0], f[1], f[2], f[3], f[4].isEmpty ? "-" : f[4], f[5].isEmpty ? "-" : f[5],
                    f[6].isEmpty ? "none" : f[6], f[7].isEmpty ? "-" : f[7], f[18].isEmpty ? "-" : f[18], f[8].isEmpty ? "-" : f[8],
                    f[9].isEmpty ? "-" : f[9], f[10].isEmpty ? "-" : f[10], f[11].isEmpty ? "-" : f[11], f[12]]
        }
        out += TextReporter.table(header, rows)
        out += reuseAddrEffects(reports)
        return out
    }

    /// What SO_REUSEADDR changed: each run with it against the same run without it.
    static func reuseAddrEffects(_ reports: [RunReport]) -> String {
        var out = ""
        for with in reports {
            guard var c = with.matrixCase, c.strategy.reuseAddress else { continue }
            c.strategy.reuseAddress = false
            guard let without = reports.first(where: { $0.matrixCase == c }) else { continue }
            func describe(_ r: RunReport) -> String {
                guard let o = r.onset else { return "no onset" }
                return "onset at attempt \(o.attempt), \(o.signal)\(o.call.map { " from \($0)" } ?? "")"
            }
            let a = describe(without), b = describe(with)
            // Attempts at onset differ by up to the connects in flight when the range ran
            // out; a change smaller than that is noise, not an effect of the option.
            let slack = UInt64(with.workers.count * with.setup.concurrency)
            let same: Bool
            if let x = without.onset, let y = with.onset {
                same = x.signal == y.signal && x.call == y.call && (x.attempt > y.attempt ? x.attempt - y.attempt : y.attempt - x.attempt) <= slack
            } else {
                same = without.onset == nil && with.onset == nil
            }
            out += "SO_REUSEADDR on \(c.label): without: \(a); with: \(b) — \(same ? "no change (same errno and call, onset within the \(slack) connects in flight)" : "changed")\n"
        }
        return out.isEmpty ? "" : "\n" + out
    }
}
