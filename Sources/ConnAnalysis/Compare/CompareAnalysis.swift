@preconcurrency import Glibc
import ConnModel

/// How a compare's trials become its findings: distribution-free statistics over each
/// setting's trials (CompareStatistics), and for an outlying trial what the measurements
/// say about why.
extension CompareReport {
    /// The compare's findings from its trials: per setting the figure's median and
    /// interval, each setting's shift against the first, and the outlying trials.
    package init(figure: CompareFigure, labels: [(label: String, description: String)], trials: [CompareTrial],
                plannedTrials: Int, warmupTrials: Int, interrupted: Bool, base: String,
                kernelRelease: String, startedAtUTC: String, level: Double = 0.95) {
        let groups = labels.indices.map { i in trials.filter { $0.setting == i } }
        var settings = labels.enumerated().map { i, l in
            Self.summarize(label: l.label, description: l.description, trials: groups[i], figure: figure)
        }
        if let baseline = settings.first, !baseline.values.isEmpty {
            for i in settings.indices.dropFirst() where !settings[i].values.isEmpty {
                settings[i].comparison = Self.compare(baseline.values, settings[i].values, figure: figure, level: level)
            }
        }
        self.init(figure: figure, settings: settings, trials: trials, plannedTrials: plannedTrials,
                  warmupTrials: warmupTrials, interrupted: interrupted, base: base,
                  kernelRelease: kernelRelease, startedAtUTC: startedAtUTC, level: level)
    }

    /// The shift of `b` against `a`: on logs when every value is positive (a ratio, the
    /// natural scale for rates and latencies), else in the figure's unit.
    static func compare(_ a: [Double], _ b: [Double], figure: CompareFigure, level: Double) -> Comparison {
        let logs = (a + b).allSatisfy { $0 > 0 }
        let transform = { (v: Double) in logs ? v.naturalLog : v }
        let s = CompareStatistics.shift(a.map(transform), b.map(transform), level: level)
        let back = { (v: Double) in logs ? v.exponential : v }
        let interval = ConfidenceInterval(lower: back(s.interval.lower), upper: back(s.interval.upper),
                                                  confidence: s.interval.confidence)
        let neutral = logs ? 1.0 : 0.0
        let underpowered = s.interval.confidence < level - 1e-9
        var word = Word.noDifference
        if !underpowered && !interval.contains(neutral) {
            let up = interval.lower > neutral
            word = up == figure.higherIsBetter ? .faster : .slower
        }
        return Comparison(isRatio: logs, estimate: back(s.estimate), interval: interval, pValue: s.pValue,
                          word: word, underpowered: underpowered)
    }

    static func summarize(label: String, description: String, trials: [CompareTrial], figure: CompareFigure) -> SettingSummary {
        let values = trials.map(figure.value)
        let med = { (xs: [Double]) -> Double? in xs.isEmpty ? nil : CompareStatistics.median(xs) }
        // Timeouts have their own column; the kernel's ETIMEDOUT is an errno like any other.
        var errors: FailureCounts = [:]
        for t in trials { for (k, v) in t.errors where k != .timeout { errors[k, default: 0] += v } }
        let onsets = trials.compactMap(\.onsetSeconds)
        var signals: [OnsetSignal: Int] = [:]
        for t in trials { if let s = t.onsetSignal { signals[s, default: 0] += 1 } }
        let steal = trials.compactMap(\.stealShare), other = trials.compactMap(\.otherShare)
        var s = SettingSummary(label: label, description: description)
        s.values = values
        s.median = med(values)
        s.interval = values.isEmpty ? nil : CompareStatistics.medianInterval(values)
        s.outliers = CompareStatistics.outliers(values).map { i in
            Outlier(round: trials[i].round, value: values[i],
                    reasons: Self.reasons(trials[i], others: trials.enumerated().filter { $0.offset != i }.map(\.element)))
        }
        s.establishedPerSecond = med(trials.map(\.establishedPerSecond))
        s.p50Us = med(trials.map { Double($0.p50Ns) / 1000 })
        s.p99Us = med(trials.map { Double($0.p99Ns) / 1000 })
        // 0: no connect() call was timed (io_uring submits it): no figure, not a zero.
        s.callP99Us = trials.contains { $0.callP99Ns == 0 } ? nil : med(trials.map { Double($0.callP99Ns) / 1000 })
        s.timeWaitReused = med(trials.compactMap { $0.timeWaitReused.map(Double.init) })
        s.timeouts = trials.reduce(0) { $0 + $1.tally.timedOut }
        s.errors = errors.byCount
        s.onsetTrials = onsets.count
        s.onsetMedianSeconds = med(onsets)
        s.onsetSignal = signals.max { ($0.value, $1.key.description) < ($1.value, $0.key.description) }?.key
        s.stealMedian = med(steal); s.stealMax = steal.max()
        s.otherMedian = med(other); s.otherMax = other.max()
        return s
    }

    /// Why one trial stands apart from the others of its setting, as far as what was
    /// measured can say: CPU steal, other processes' load, its errors or timeouts, an
    /// exhaustion onset the others did not have (or lacked one they had).
    static func reasons(_ t: CompareTrial, others: [CompareTrial]) -> [String] {
        func median(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : CompareStatistics.median(xs) }
        var out: [String] = []
        if let s = t.stealShare {
            let m = median(others.compactMap(\.stealShare))
            if s >= 0.01 && s >= 2 * m + 0.005 {
                out.append("CPU steal \(Num.percent(s)) of CPU time during it (other trials' median \(Num.percent(m))): the hypervisor ran something else")
            }
        }
        if let o = t.otherShare {
            let m = median(others.compactMap(\.otherShare))
            if o >= 0.05 && o >= m + 0.05 {
                out.append("other processes took \(Num.percent(o)) of the machine's CPU time during it (other trials' median \(Num.percent(m)))")
            }
        }
        let errs = Double(t.errorCount)
        let errMedian = median(others.map { Double($0.errorCount) })
        if errs > 0 && errs > 2 * errMedian {
            let top = t.errors.byCount.prefix(3).map { "\($0.key) \($0.count)" }.joined(separator: ", ")
            out.append("\(t.errorCount) attempts failed or timed out (other trials' median \(Num.whole(errMedian.rounded(.towardZero)))): \(top)")
        }
        let othersWithOnset = others.filter { $0.onsetSeconds != nil }.count
        if let at = t.onsetSeconds, othersWithOnset * 2 < others.count {
            out.append("exhaustion onset (\(t.onsetSignal.map { "\($0)" } ?? "?") at \(String(fixed: at, digits: 3)) s), seen in only \(othersWithOnset) of \(others.count) other trials")
        } else if t.onsetSeconds == nil, !others.isEmpty, othersWithOnset * 2 > others.count {
            out.append("no exhaustion onset, unlike \(othersWithOnset) of \(others.count) other trials")
        }
        return out.isEmpty ? ["no cause in what was measured (steal, other load, errors, onset all like the other trials)"] : out
    }
}

private extension Double {
    var naturalLog: Double { Glibc.log(self) }
    var exponential: Double { Glibc.exp(self) }
}
