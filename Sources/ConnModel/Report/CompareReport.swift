/// What a compare found, as a value: per setting the chosen figure's median and interval,
/// its shift against the first setting with a plain word, the other headline figures,
/// and the outlying trials with what the measurements say about why. Reporters are pure
/// functions of it.
package struct CompareReport: Sendable {
    package var figure: CompareFigure
    package var settings: [SettingSummary]
    package var trials: [CompareTrial]
    package var plannedTrials: Int
    package var warmupTrials: Int
    package var interrupted: Bool
    /// The base run's flags as typed, the kernel, the start time: the report's heading.
    package var base: String
    package var kernelRelease: String
    package var startedAtUTC: String
    /// The level asked of every interval (0.95); each carries what it achieved.
    package var level: Double
    /// `compare --saved`: the trials are runs made before, read from their folders.
    package var savedRuns = false

    package enum Word: String, Sendable, Codable {
        case faster
        case slower
        case noDifference = "no significant difference"
    }

    package struct Comparison: Sendable {
        /// True: the shift is a ratio (HL on logs); false: a difference in the figure's
        /// unit, used when a value is 0 or below and has no logarithm.
        package var isRatio: Bool
        /// Ratio (or difference) and its interval.
        package var estimate: Double
        package var interval: ConfidenceInterval
        package var pValue: Double
        package var word: Word
        /// Too few trials for any interval to reach the asked level: the word cannot be
        /// anything but "no significant difference".
        package var underpowered: Bool

        package init(isRatio: Bool, estimate: Double, interval: ConfidenceInterval, pValue: Double,
                     word: Word, underpowered: Bool) {
            self.isRatio = isRatio; self.estimate = estimate; self.interval = interval
            self.pValue = pValue; self.word = word; self.underpowered = underpowered
        }
    }

    package struct Outlier: Sendable {
        package var round: Int
        package var value: Double
        package var reasons: [String]

        package init(round: Int, value: Double, reasons: [String]) {
            self.round = round; self.value = value; self.reasons = reasons
        }
    }

    /// Its stored properties are the figures of one setting, as its row of compare.csv and
    /// compare.txt shows them: a flat row, so a new figure is a new column.
    package struct SettingSummary: Sendable {
        package var label: String
        package var description: String
        package var values: [Double]
        package var median: Double?
        package var interval: ConfidenceInterval?
        /// Against the first setting; nil for the first itself, or without trials.
        package var comparison: Comparison?
        package var outliers: [Outlier]
        // Medians over trials of the other headline figures.
        package var establishedPerSecond: Double?
        package var p50Us: Double?
        package var p99Us: Double?
        package var callP99Us: Double?
        package var timeWaitReused: Double?
        /// Sums over trials.
        package var timeouts: UInt64
        package var errors: [(key: FailureKey, count: UInt64)]
        /// Trials with an exhaustion onset, the median onset time, the commonest signal.
        package var onsetTrials: Int
        package var onsetMedianSeconds: Double?
        package var onsetSignal: OnsetSignal?
        package var stealMedian: Double?
        package var stealMax: Double?
        package var otherMedian: Double?
        package var otherMax: Double?

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
