import ConnModel

/// `connbench sweep`'s table, knee or fit, and `sweep.csv`: one row per step with what a
/// latency-vs-rate chart needs (requested, achieved, corrected percentiles, errors).
package enum SweepReporter {
    package static let columns = [
        "step", "requested_per_s", "load", "workers", "concurrency", "achieved_per_s", "established_per_s",
        "attempts", "established", "failed", "timed_out", "in_flight", "not_started", "late_p99_us",
        "p50_us", "p99_us", "p999_us", "service_p99_us", "call_p99_us", "error_share", "errors",
        "cpu_busy", "onset_signal", "onset_s", "measured_s", "passed", "missed", "knee", "fitted_per_s",
    ]

    package static func csv(_ r: SweepReport) -> String {
        let knee = r.knee?.index
        var out = CSV.row(columns)
        for s in r.steps {
            out += CSV.row([
                String(s.index), s.requestedRate.map(Num.f1) ?? "", s.load.map(String.init) ?? "", String(s.workers),
                String(s.concurrency), Num.f1(s.achievedRate), Num.f1(s.establishedPerSecond), String(s.attempts),
                String(s.established), String(s.failed), String(s.timedOut), String(s.inFlight),
                s.notStarted.map(String.init) ?? "", Num.us(s.lateP99Ns), Num.us(s.p50Ns), Num.us(s.p99Ns),
                Num.us(s.p999Ns), Num.us(s.serviceP99Ns), Num.us(s.callP99Ns), Num.fixed(s.errorShare, 6),
                errorsText(s), s.cpuBusy.map { Num.fixed($0, 3) } ?? "", s.onsetSignal.map { "\($0)" } ?? "",
                s.onsetSeconds.map(Num.f3) ?? "", Num.f3(s.measuredSeconds),
                s.requestedRate == nil ? "" : (s.passed ? "yes" : "no"), s.missed.joined(separator: "; "),
                knee == s.index ? "yes" : "", fitted(r, s).map(Num.f1) ?? "",
            ])
        }
        return out
    }

    package static func text(_ r: SweepReport) -> String {
        var out = "connbench sweep: " + r.settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        if !r.axis.isLoad {
            let slo = r.criteria.objectives.map(\.description).joined(separator: ", ")
            out += "a step passes when the rate is held (achieved ≥ \(Num.f1(100 * r.criteria.heldShare))% of requested)"
            out += slo.isEmpty ? "" : ", corrected \(slo)"
            out += " and errors + timeouts ≤ \(Num.f3(100 * r.criteria.errorBudget))% of attempts\n\n"
        } else {
            if case .workers = r.axis {
                out += "closed loop; load N = worker threads (each with its concurrency); throughput = established/s\n\n"
            } else {
                out += "closed loop; load N = connects in flight at once (concurrency × workers); throughput = established/s\n\n"
            }
        }
        let loadSweep = r.axis.isLoad
        var header = ["step"]
        header += loadSweep ? ["N", "workers", "conc"] : ["requested/s"]
        header += ["achieved/s", "estab/s", "late_p99_us", "p50_us", "p99_us", "p999_us", "call_p99_us", "errors", "timeouts", "cpu%", "onset"]
        header += loadSweep ? ["fitted/s"] : ["result"]
        let rows = r.steps.map { s -> [String] in
            var row = [String(s.index)]
            row += loadSweep ? [s.load.map(String.init) ?? "-", String(s.workers), String(s.concurrency)]
                : [s.requestedRate.map(Num.rate) ?? "-"]
            row += [Num.rate(s.achievedRate), Num.rate(s.establishedPerSecond), Num.us(s.lateP99Ns),
                    Num.us(s.p50Ns), Num.us(s.p99Ns), Num.us(s.p999Ns), Num.us(s.callP99Ns),
                    String(s.failed), String(s.timedOut), s.cpuBusy.map { Num.f1(100 * $0) } ?? "-",
                    s.onsetSignal.map { "\($0)@\(Num.f3(s.onsetSeconds ?? 0))s" } ?? "-"]
            if loadSweep {
                row.append(fitted(r, s).map(Num.rate) ?? "-")
            } else {
                row.append(s.interrupted ? "interrupted" : (s.passed ? "pass" : "FAIL: " + s.missed.joined(separator: "; ")))
            }
            return row
        }
        out += TextReporter.table(header, rows)
        out += "\n"
        if loadSweep {
            out += fitText(r)
        } else {
            out += kneeText(r)
        }
        out += "\(r.steps.count) steps in \(Num.f1(r.wallSeconds)) s" + (r.interrupted ? "; interrupted: the steps above are the ones that ran\n" : "\n")
        return out
    }

    static func kneeText(_ r: SweepReport) -> String {
        var out = ""
        if let k = r.knee, let rate = k.requestedRate {
            let runs = r.runs(at: rate)
            out += "knee: \(Num.rate(rate))/s (step \(k.index)\(runs.runs > 1 ? ", passed \(runs.passed) of \(runs.runs) runs" : "")): achieved \(Num.rate(k.achievedRate))/s"
            for o in r.criteria.objectives {
                out += ", p\(Num.fixed(o.percentile, o.percentile == o.percentile.rounded() ? 0 : 1)) \(Num.latency(k.objectiveValuesNs[o.percentile] ?? 0))"
            }
            out += ", errors \(Num.f3(100 * k.errorShare))%\n"
        } else {
            out += "knee: none: no step passed\n"
        }
        if let f = r.firstPastKnee, let rate = f.requestedRate {
            let runs = r.runs(at: rate)
            out += "past it: \(Num.rate(rate))/s (step \(f.index)\(runs.runs > 1 ? ", failed \(runs.runs - runs.passed) of \(runs.runs) runs" : "")) failed first on \(f.missed.first ?? "-")"
            if f.missed.count > 1 { out += "; also " + f.missed.dropFirst().joined(separator: "; ") }
            out += "\n"
            if let k = r.knee?.requestedRate {
                out += "the knee lies between \(Num.rate(k))/s and \(Num.rate(rate))/s (\(Num.f1(100 * (rate - k) / k))% apart)\n"
            }
        } else if r.knee != nil {
            out += "past it: no failed step above the knee was run: the knee is a lower bound\n"
        }
        return out
    }

    static func fitText(_ r: SweepReport) -> String {
        guard let f = r.fit else { return "scalability fit: none: \(r.fitError ?? "no points")\n" }
        let l = f.law
        var out = "Universal Scalability Law fit: X(N) = λN / (1 + σ(N−1) + κN(N−1))\n"
        out += "  σ (contention) \(sig(l.sigma)), κ (coherency) \(sig(l.kappa)), λ (one in flight) \(Num.f1(l.lambda))/s, R² \(Num.fixed(f.rSquared, 4))\n"
        if let n = l.peakLoad, let x = l.peakThroughput {
            out += "  predicted peak: \(Num.rate(x))/s at N ≈ \(Num.f1(n)); past it more in flight lowers throughput\n"
        } else if l.sigma >= 1 {
            out += "  σ ≥ 1: all of the work is serial: load beyond N = 1 adds nothing (or costs), whatever κ\n"
        } else if let x = l.peakThroughput {
            out += "  no peak (κ = 0): throughput approaches \(Num.rate(x))/s\n"
        }
        if let lightest = f.points.min(by: { $0.load < $1.load }), lightest.load > 1 {
            out += "  note: the lightest load measured is N = \(Num.whole(lightest.load.rounded(.towardZero))); λ and σ rest on extrapolating to N = 1\n"
        }
        if f.rSquared < 0.9 {
            out += "  the law fits poorly (R² \(Num.fixed(f.rSquared, 2)) < 0.9): these points do not follow one scalability curve (a cliff, or noise larger than the trend): read the table, not the fit\n"
        }
        out += "  points from the curve: largest \(Num.f1(100 * f.largestRelativeResidual))%; "
        out += zip(f.points, f.relativeResiduals).map { "N=\(Num.whole($0.0.load.rounded(.towardZero))) \(signed(100 * $0.1))%" }.joined(separator: ", ") + "\n"
        return out
    }

    static func fitted(_ r: SweepReport, _ s: SweepStep) -> Double? {
        guard let f = r.fit, let n = s.load else { return nil }
        return f.law.throughput(at: Double(n))
    }

    static func errorsText(_ s: SweepStep) -> String {
        s.errors.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
    }

    static func sig(_ v: Double) -> String {
        if v == 0 { return "0" }
        if Swift.abs(v) >= 0.01 { return Num.fixed(v, 4) }
        var e = 0
        var x = Swift.abs(v)
        while x < 1 { x *= 10; e += 1 }
        return Num.fixed(v < 0 ? -x : x, 3) + "e-\(e)"
    }

    static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + Num.f1(v) }
}
