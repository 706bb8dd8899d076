@preconcurrency import Glibc

/// What a compare found, as a value: per setting the chosen figure's median and interval,
/// its shift against the first setting with a plain word, the other headline figures,
/// and the outlying trials with what the measurements say about why. Reporters are pure
/// functions of it.
public struct CompareReport: Sendable {
    public var figure: CompareFigure
    public var settings: [SettingSummary]
    public var trials: [CompareTrial]
    public var plannedTrials: Int
    public var warmupTrials: Int
    public var interrupted: Bool
    /// The base run's flags as typed, the kernel, the start time: the report's heading.
    public var base: String
    public var kernelRelease: String
    public var startedAtUTC: String
    /// The level asked of every interval (0.95); each carries what it achieved.
    public var level: Double

    public enum Word: String, Sendable, Codable {
        case faster
        case slower
        case noDifference = "no significant difference"
    }

    public struct Comparison: Sendable {
        /// True: the shift is a ratio (HL on logs); false: a difference in the figure's
        /// unit, used when a value is 0 or below and has no logarithm.
        public var isRatio: Bool
        /// Ratio (or difference) and its interval.
        public var estimate: Double
        public var interval: CompareStatistics.Interval
        public var pValue: Double
        public var word: Word
        /// Too few trials for any interval to reach the asked level: the word cannot be
        /// anything but "no significant difference".
        public var underpowered: Bool
    }

    public struct Outlier: Sendable {
        public var round: Int
        public var value: Double
        public var reasons: [String]
    }

    public struct SettingSummary: Sendable {
        public var label: String
        public var description: String
        public var values: [Double]
        public var median: Double?
        public var interval: CompareStatistics.Interval?
        /// Against the first setting; nil for the first itself, or without trials.
        public var comparison: Comparison?
        public var outliers: [Outlier]
        // Medians over trials of the other headline figures.
        public var establishedPerSecond: Double?
        public var p50Us: Double?
        public var p99Us: Double?
        public var callP99Us: Double?
        public var timeWaitReused: Double?
        /// Sums over trials.
        public var timeouts: UInt64
        public var errors: [(name: String, count: UInt64)]
        /// Trials with an exhaustion onset, the median onset time, the commonest signal.
        public var onsetTrials: Int
        public var onsetMedianSeconds: Double?
        public var onsetSignal: String?
        public var stealMedian: Double?
        public var stealMax: Double?
        public var otherMedian: Double?
        public var otherMax: Double?
    }

    public init(figure: CompareFigure, labels: [(label: String, description: String)], trials: [CompareTrial],
                plannedTrials: Int, warmupTrials: Int, interrupted: Bool, base: String,
                kernelRelease: String, startedAtUTC: String, level: Double = 0.95) {
        self.figure = figure
        self.trials = trials
        self.plannedTrials = plannedTrials
        self.warmupTrials = warmupTrials
        self.interrupted = interrupted
        self.base = base
        self.kernelRelease = kernelRelease
        self.startedAtUTC = startedAtUTC
        self.level = level
        let groups = labels.indices.map { i in trials.filter { $0.setting == i } }
        settings = labels.enumerated().map { i, l in
            Self.summarize(label: l.label, description: l.description, trials: groups[i], figure: figure)
        }
        if let baseline = settings.first, !baseline.values.isEmpty {
            for i in settings.indices.dropFirst() where !settings[i].values.isEmpty {
                settings[i].comparison = Self.compare(baseline.values, settings[i].values, figure: figure, level: level)
            }
        }
    }

    /// The shift of `b` against `a`: on logs when every value is positive (a ratio, the
    /// natural scale for rates and latencies), else in the figure's unit.
    static func compare(_ a: [Double], _ b: [Double], figure: CompareFigure, level: Double) -> Comparison {
        let logs = (a + b).allSatisfy { $0 > 0 }
        let transform = { (v: Double) in logs ? v.naturalLog : v }
        let s = CompareStatistics.shift(a.map(transform), b.map(transform), level: level)
        let back = { (v: Double) in logs ? v.exponential : v }
        let interval = CompareStatistics.Interval(lower: back(s.interval.lower), upper: back(s.interval.upper),
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
        var errors: [String: UInt64] = [:]
        for t in trials { for (k, v) in t.errors where k != "ETIMEDOUT" { errors[k, default: 0] += v } }
        let onsets = trials.compactMap(\.onsetSeconds)
        var signals: [String: Int] = [:]
        for t in trials { if let s = t.onsetSignal { signals[s, default: 0] += 1 } }
        let steal = trials.compactMap(\.stealShare), other = trials.compactMap(\.otherShare)
        return SettingSummary(
            label: label, description: description, values: values,
            median: med(values),
            interval: values.isEmpty ? nil : CompareStatistics.medianInterval(values),
            comparison: nil,
            outliers: CompareStatistics.outliers(values).map { i in
                Outlier(round: trials[i].round, value: values[i],
                        reasons: Self.reasons(trials[i], others: trials.enumerated().filter { $0.offset != i }.map(\.element)))
            },
            establishedPerSecond: med(trials.map(\.establishedPerSecond)),
            p50Us: med(trials.map { Double($0.p50Ns) / 1000 }),
            p99Us: med(trials.map { Double($0.p99Ns) / 1000 }),
            // 0: no connect() call was timed (io_uring submits it): no figure, not a zero.
            callP99Us: trials.contains { $0.callP99Ns == 0 } ? nil : med(trials.map { Double($0.callP99Ns) / 1000 }),
            timeWaitReused: med(trials.compactMap { $0.timeWaitReused.map(Double.init) }),
            timeouts: trials.reduce(0) { $0 + $1.tally.timedOut },
            errors: errors.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) },
            onsetTrials: onsets.count,
            onsetMedianSeconds: med(onsets),
            onsetSignal: signals.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key,
            stealMedian: med(steal), stealMax: steal.max(),
            otherMedian: med(other), otherMax: other.max())
    }

    /// Why one trial stands apart from the others of its setting, as far as what was
    /// measured can say: CPU steal, other processes' load, its errors or timeouts, an
    /// exhaustion onset the others did not have (or lacked one they had).
    static func reasons(_ t: CompareTrial, others: [CompareTrial]) -> [String] {
        func median(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : CompareStatistics.median(xs) }
        func pct(_ v: Double) -> String { String(percent: v) }
        var out: [String] = []
        if let s = t.stealShare {
            let m = median(others.compactMap(\.stealShare))
            if s >= 0.01 && s >= 2 * m + 0.005 {
                out.append("CPU steal \(pct(s)) of CPU time during it (other trials' median \(pct(m))): the hypervisor ran something else")
            }
        }
        if let o = t.otherShare {
            let m = median(others.compactMap(\.otherShare))
            if o >= 0.05 && o >= m + 0.05 {
                out.append("other processes took \(pct(o)) of the machine's CPU time during it (other trials' median \(pct(m)))")
            }
        }
        let errs = Double(t.errorCount)
        let errMedian = median(others.map { Double($0.errorCount) })
        if errs > 0 && errs > 2 * errMedian {
            let top = t.errors.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out.append("\(t.errorCount) attempts failed or timed out (other trials' median \(Int(errMedian))): \(top)")
        }
        let othersWithOnset = others.filter { $0.onsetSeconds != nil }.count
        if let at = t.onsetSeconds, othersWithOnset * 2 < others.count {
            out.append("exhaustion onset (\(t.onsetSignal ?? "?") at \(String(fixed3: at)) s), seen in only \(othersWithOnset) of \(others.count) other trials")
        } else if t.onsetSeconds == nil, !others.isEmpty, othersWithOnset * 2 > others.count {
            out.append("no exhaustion onset, unlike \(othersWithOnset) of \(others.count) other trials")
        }
        return out.isEmpty ? ["no cause in what was measured (steal, other load, errors, onset all like the other trials)"] : out
    }
}

extension String {
    /// `12.3%` from a share.
    init(percent share: Double) { self = String(fixed1: share * 100) + "%" }
    /// One decimal, no Foundation.
    init(fixed1 v: Double) { self.init(fixed: v, digits: 1) }
    init(fixed3 v: Double) { self.init(fixed: v, digits: 3) }
}

extension Double {
    var naturalLog: Double { Glibc.log(self) }
    var exponential: Double { Glibc.exp(self) }
}
