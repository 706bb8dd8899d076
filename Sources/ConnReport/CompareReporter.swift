import ConnModel

/// `connbench compare`'s text and `compare.csv`: pure functions of a ``CompareReport``.
package enum CompareReporter {
    package static func text(_ r: CompareReport) -> String {
        var out = "connbench compare \(r.startedAtUTC), kernel \(r.kernelRelease)\n"
        out += "base: \(r.base.isEmpty ? "(defaults)" : r.base)\n"
        let done = r.settings.map(\.values.count).min() ?? 0
        if r.savedRuns {
            out += "\(r.settings.count) sets of saved runs (\(r.settings.enumerated().map { i, s in "\(s.label) \(r.trials.filter { $0.setting == i }.count)" }.joined(separator: ", ")) runs), each run a trial; nothing was run now\n"
        } else {
            out += "\(r.settings.count) settings × \(r.plannedTrials) trials, interleaved \(order(r)), after \(r.warmupTrials) discarded warm-up round(s); every trial in a fresh network namespace\n"
        }
        if r.interrupted { out += "interrupted: \(r.trials.count) trials completed (at least \(done) per setting); the trial cut short is not counted\n" }
        for s in r.settings { out += "  \(s.label): \(s.description)\n" }
        out += "\n"
        let f = r.figure
        out += "\(f.rawValue) (\(f.higherIsBetter ? "higher" : "lower") is better): median [interval] per setting; ratio to A [interval] from all pairs of trials\n"
        var rows = [["setting", "trials", "median [\(confidenceText(r, median: true))] \(f.unit)", "vs A [\(confidenceText(r, median: false))]", "p", "verdict"]]
        for (i, s) in r.settings.enumerated() {
            let med = s.median.map { value($0, f) } ?? "-"
            let ci = s.interval.map { " [\(value($0.lower, f))–\(value($0.upper, f))]" } ?? ""
            var row = [s.label, "\(s.values.count)", med + ci]
            if let c = s.comparison {
                row.append(c.isRatio ? "×\(Num.f3(c.estimate)) [\(Num.f3(c.interval.lower))–\(Num.f3(c.interval.upper))]"
                                     : "\(signed(c.estimate, f)) [\(signed(c.interval.lower, f))–\(signed(c.interval.upper, f))] \(f.unit)")
                row.append(pText(c.pValue))
                row.append(c.word.rawValue + (c.underpowered ? " (too few trials for 95%)" : ""))
            } else {
                row += [i == 0 ? "baseline" : "-", "", ""]
            }
            rows.append(row)
        }
        out += table(rows)
        out += "\nother figures (medians over trials; errors and timeouts summed):\n"
        var other = [["setting", "established/s", "p50 µs", "p99 µs", "call p99 µs", "TW reused", "timeouts", "errors", "onset"]]
        for s in r.settings {
            let onset = s.onsetTrials == 0 ? "none"
                : "\(s.onsetTrials)/\(s.values.count) at \(Num.f3(s.onsetMedianSeconds ?? 0)) s (\(s.onsetSignal.map { "\($0)" } ?? "?"))"
            other.append([s.label, s.establishedPerSecond.map { Num.f1($0) } ?? "-",
                          s.p50Us.map { Num.f1($0) } ?? "-", s.p99Us.map { Num.f1($0) } ?? "-",
                          s.callP99Us.map { Num.f1($0) } ?? "n/a", s.timeWaitReused.map { "\(Int64($0))" } ?? "-",
                          "\(s.timeouts)", s.errors.isEmpty ? "none" : s.errors.map { "\($0.key) \($0.count)" }.joined(separator: ", "),
                          onset])
        }
        out += table(other)
        if r.savedRuns {
            out += "\nmachine during the trials: not known for saved runs (each run's own report has its CPU figures)\n"
        } else {
            out += "\nmachine during the trials (share of all CPU time): "
            out += r.settings.map { s in
                "\(s.label) steal \(share(s.stealMedian))/\(share(s.stealMax)), other load \(share(s.otherMedian))/\(share(s.otherMax))"
            }.joined(separator: "; ") + " (median/max)\n"
        }
        out += "\noutliers (trials farther than 3 × 1.4826 × MAD from their setting's median of \(f.rawValue)):\n"
        var any = false
        for s in r.settings {
            for o in s.outliers {
                any = true
                out += "  \(s.label) trial \(o.round + 1): \(value(o.value, f)) \(f.unit) against a median of \(s.median.map { value($0, f) } ?? "-"): "
                out += o.reasons.joined(separator: "; ") + "\n"
            }
        }
        if !any { out += "  none\n" }
        out += "\n" + wrap(howToRead(r), width: 100)
        return out
    }

    static func howToRead(_ r: CompareReport) -> String {
        """
        how to read this: a median's interval is distribution-free (order statistics), at the confidence shown — \
        with 5 trials it is [min, max] at 93.8%, since no narrower interval of 5 reaches 95%. The ratio is the \
        Hodges–Lehmann estimate (the median of all trial-against-trial ratios to A) with the exact Mann–Whitney \
        interval at the confidence shown (96.8% with 5 against 5); "faster"/"slower" means that interval excludes \
        1 (direction by whether more or less of \(r.figure.rawValue) is better), otherwise "no significant \
        difference". So two settings that are truly the same are still called faster or slower in at most 5% of \
        compares (3.2% with 5 against 5), and with several settings against A that chance applies to each. p is the \
        exact two-sided Mann–Whitney p-value (ties as mid-ranks). Outliers name what was measured during them: \
        CPU steal, other processes' load, errors, an exhaustion onset the others lacked.
        """
    }

    /// Greedy word wrap, so the explanation reads as a paragraph in a terminal.
    static func wrap(_ text: String, width: Int) -> String {
        var out = "", line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width { out += line + "\n"; line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        return out + line + "\n"
    }

    static func order(_ r: CompareReport) -> String {
        let labels = r.settings.map(\.label).joined(separator: " ")
        return r.settings.count > 1 ? labels + " " + labels + " …" : "(one setting)"
    }

    static func confidenceText(_ r: CompareReport, median: Bool) -> String {
        if median {
            let c = Set(r.settings.compactMap { $0.interval.map { Num.f1($0.confidence * 100) } })
            return (c.count == 1 ? c.first! : c.sorted().joined(separator: "/")) + "%"
        }
        let c = Set(r.settings.compactMap { $0.comparison.map { Num.f1($0.interval.confidence * 100) } })
        return c.isEmpty ? "-" : c.sorted().joined(separator: "/") + "%"
    }

    /// Rates whole, latencies to 0.1 µs.
    static func value(_ v: Double, _ f: CompareFigure) -> String {
        f.higherIsBetter ? Num.whole(v) : Num.f1(v)
    }

    static func signed(_ v: Double, _ f: CompareFigure) -> String { (v > 0 ? "+" : "") + value(v, f) }

    static func pText(_ p: Double) -> String { p < 0.001 ? "<0.001" : Num.f3(p) }

    static func share(_ v: Double?) -> String { v.map { Num.f1($0 * 100) + "%" } ?? "-" }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (c, cell) in row.enumerated() {
                line += cell + (c == row.count - 1 ? "" : String(repeating: " ", count: widths[c] - cell.count + 2))
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    // MARK: CSV

    package static let csvColumns = [
        "kind", "setting", "label", "trial", "trials", "figure", "value", "median", "ci_low", "ci_high", "ci_confidence",
        "ratio", "ratio_ci_low", "ratio_ci_high", "difference", "difference_ci_low", "difference_ci_high", "shift_ci_confidence", "p_value", "verdict", "outlier",
        "outlier_reasons", "established_per_s", "attempts_per_s", "p50_us", "p99_us", "p999_us", "call_p99_us",
        "attempts", "established", "failed", "timed_out", "in_flight", "duration_s", "errors", "onset_signal", "onset_s",
        "onset_trials", "tw_reused", "cpu_busy_pct", "steal_pct", "other_load_pct",
    ]

    /// One row per trial (`kind=trial`) and one per setting (`kind=setting`), same columns.
    package static func csv(_ r: CompareReport) -> String {
        var out = CSV.row(csvColumns)
        let f = r.figure
        for t in r.trials {
            let s = r.settings[t.setting]
            let outlier = s.outliers.first { $0.round == t.round }
            let v: [String: String] = [
                "kind": "trial", "setting": s.description, "label": s.label, "trial": "\(t.round + 1)", "figure": f.rawValue,
                "value": Num.f3(f.value(t)), "outlier": outlier == nil ? "false" : "true",
                "outlier_reasons": outlier?.reasons.joined(separator: "; ") ?? "",
                "established_per_s": Num.f1(t.establishedPerSecond), "attempts_per_s": Num.f1(t.attemptsPerSecond),
                "p50_us": Num.us(t.p50Ns), "p99_us": Num.us(t.p99Ns), "p999_us": Num.us(t.p999Ns), "call_p99_us": t.callP99Ns == 0 ? "" : Num.us(t.callP99Ns),
                "attempts": "\(t.tally.attempts)", "established": "\(t.tally.established)", "failed": "\(t.tally.failed)",
                "timed_out": "\(t.tally.timedOut)", "in_flight": "\(t.tally.inFlight)", "duration_s": Num.f3(t.measuredSeconds),
                "errors": t.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                "onset_signal": t.onsetSignal.map { "\($0)" } ?? "", "onset_s": t.onsetSeconds.map(Num.f3) ?? "",
                "tw_reused": t.timeWaitReused.map { "\($0)" } ?? "", "cpu_busy_pct": t.cpuBusy.map { Num.f1($0 * 100) } ?? "",
                "steal_pct": t.stealShare.map { Num.f3($0 * 100) } ?? "", "other_load_pct": t.otherShare.map { Num.f1($0 * 100) } ?? "",
            ]
            out += CSV.row(csvColumns.map { v[$0] ?? "" })
        }
        for s in r.settings {
            var v: [String: String] = [
                "kind": "setting", "setting": s.description, "label": s.label, "trials": "\(s.values.count)", "figure": f.rawValue,
                "median": s.median.map(Num.f3) ?? "", "ci_low": s.interval.map { Num.f3($0.lower) } ?? "",
                "ci_high": s.interval.map { Num.f3($0.upper) } ?? "", "ci_confidence": s.interval.map { Num.f3($0.confidence) } ?? "",
                "established_per_s": s.establishedPerSecond.map(Num.f1) ?? "", "p50_us": s.p50Us.map(Num.f1) ?? "",
                "p99_us": s.p99Us.map(Num.f1) ?? "", "call_p99_us": s.callP99Us.map(Num.f1) ?? "",
                "timed_out": "\(s.timeouts)", "errors": s.errors.map { "\($0.key)=\($0.count)" }.joined(separator: " "),
                "onset_signal": s.onsetSignal.map { "\($0)" } ?? "", "onset_s": s.onsetMedianSeconds.map(Num.f3) ?? "",
                "onset_trials": "\(s.onsetTrials)", "tw_reused": s.timeWaitReused.map { "\(Int64($0))" } ?? "",
                "steal_pct": s.stealMedian.map { Num.f3($0 * 100) } ?? "", "other_load_pct": s.otherMedian.map { Num.f1($0 * 100) } ?? "",
                "outlier": s.outliers.map { "\($0.round + 1)" }.joined(separator: " "),
            ]
            if let c = s.comparison {
                if c.isRatio {
                    v["ratio"] = Num.f3(c.estimate); v["ratio_ci_low"] = Num.f3(c.interval.lower); v["ratio_ci_high"] = Num.f3(c.interval.upper)
                } else {
                    v["difference"] = Num.f3(c.estimate); v["difference_ci_low"] = Num.f3(c.interval.lower); v["difference_ci_high"] = Num.f3(c.interval.upper)
                }
                v["shift_ci_confidence"] = Num.f3(c.interval.confidence)
                v["p_value"] = String(c.pValue)
                v["verdict"] = c.word.rawValue
            } else if s.label == r.settings.first?.label {
                v["verdict"] = "baseline"
            }
            out += CSV.row(csvColumns.map { v[$0] ?? "" })
        }
        return out
    }
}
