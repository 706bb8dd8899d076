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
        public var interval: ConfidenceInterval
        public var pValue: Double
        public var word: Word
        /// Too few trials for any interval to reach the asked level: the word cannot be
        /// anything but "no significant difference".
        public var underpowered: Bool

        package init(isRatio: Bool, estimate: Double, interval: ConfidenceInterval, pValue: Double,
                     word: Word, underpowered: Bool) {
            self.isRatio = isRatio; self.estimate = estimate; self.interval = interval
            self.pValue = pValue; self.word = word; self.underpowered = underpowered
        }
    }

    public struct Outlier: Sendable {
        public var round: Int
        public var value: Double
        public var reasons: [String]

        package init(round: Int, value: Double, reasons: [String]) {
            self.round = round; self.value = value; self.reasons = reasons
        }
    }

    public struct SettingSummary: Sendable {
        public var label: String
        public var description: String
        public var values: [Double]
        public var median: Double?
        public var interval: ConfidenceInterval?
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

        /// A setting with no trials yet: every median nil, every sum 0.
        package init(label: String, description: String) {
            self.label = label; self.description = description
            values = []; outliers = []; timeouts = 0; errors = []; onsetTrials = 0
        }
    }

    /// The values as found; `ConnAnalysis` builds them from the trials.
    package init(figure: CompareFigure, settings: [SettingSummary], trials: [CompareTrial],
                 plannedTrials: Int, warmupTrials: Int, interrupted: Bool, base: String,
                 kernelRelease: String, startedAtUTC: String, level: Double) {
        self.figure = figure
        self.settings = settings
        self.trials = trials
        self.plannedTrials = plannedTrials
        self.warmupTrials = warmupTrials
        self.interrupted = interrupted
        self.base = base
        self.kernelRelease = kernelRelease
        self.startedAtUTC = startedAtUTC
        self.level = level
    }
}
