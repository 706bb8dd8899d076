import Histogram

/// One step of a sweep: the figures a planner compares across load, and whether the
/// step met the knee's conditions (and if not, which it missed first).
///
/// Its stored properties are the figures of one step, as a row of sweep.csv shows them: a flat
/// row, so a new figure is a new column.
package struct SweepStep: Sendable, Codable, Equatable {
    package var index: Int
    /// Open loop: the rate asked for. Nil in a load sweep (closed loop).
    package var requestedRate: Double?
    /// Load sweep: concurrency per worker × workers, the N of the scalability law.
    package var load: Int?
    package var workers: Int
    package var concurrency: Int
    package var achievedRate: Double
    package var establishedPerSecond: Double
    package var attempts: UInt64
    package var established: UInt64
    package var failed: UInt64
    package var timedOut: UInt64
    package var inFlight: UInt64
    package var notStarted: UInt64?
    /// Start lateness p99 (open loop): how far behind its schedule the generator ran.
    package var lateP99Ns: UInt64
    /// Corrected latency (from the intended start).
    package var p50Ns: UInt64
    package var p99Ns: UInt64
    package var p999Ns: UInt64
    package var serviceP99Ns: UInt64
    package var callP99Ns: UInt64
    /// Failures by errno and connbench's own timeouts, each under its own key.
    package var errors: FailureCounts
    package var cpuBusy: Double?
    package var onsetSignal: OnsetSignal?
    package var onsetSeconds: Double?
    package var measuredSeconds: Double
    /// The conditions this step missed, in the order the knee checks them.
    package var missed: [String]
    package var interrupted: Bool
    /// Latency percentiles the objectives asked for, as measured (percentile → ns).
    package var objectiveValuesNs: [Double: UInt64]

    package init(index: Int, requestedRate: Double?, load: Int?, workers: Int, concurrency: Int, achievedRate: Double, establishedPerSecond: Double, attempts: UInt64, established: UInt64, failed: UInt64, timedOut: UInt64, inFlight: UInt64, notStarted: UInt64?, lateP99Ns: UInt64, p50Ns: UInt64, p99Ns: UInt64, p999Ns: UInt64, serviceP99Ns: UInt64, callP99Ns: UInt64, errors: FailureCounts, cpuBusy: Double?, onsetSignal: OnsetSignal?, onsetSeconds: Double?, measuredSeconds: Double, missed: [String], interrupted: Bool, objectiveValuesNs: [Double: UInt64]) {
        self.index = index
        self.requestedRate = requestedRate
        self.load = load
        self.workers = workers
        self.concurrency = concurrency
        self.achievedRate = achievedRate
        self.establishedPerSecond = establishedPerSecond
        self.attempts = attempts
        self.established = established
        self.failed = failed
        self.timedOut = timedOut
        self.inFlight = inFlight
        self.notStarted = notStarted
        self.lateP99Ns = lateP99Ns
        self.p50Ns = p50Ns
        self.p99Ns = p99Ns
        self.p999Ns = p999Ns
        self.serviceP99Ns = serviceP99Ns
        self.callP99Ns = callP99Ns
        self.errors = errors
        self.cpuBusy = cpuBusy
        self.onsetSignal = onsetSignal
        self.onsetSeconds = onsetSeconds
        self.measuredSeconds = measuredSeconds
        self.missed = missed
        self.interrupted = interrupted
        self.objectiveValuesNs = objectiveValuesNs
    }

    package var passed: Bool { missed.isEmpty && !interrupted }

    package var errorShare: Double { attempts > 0 ? Double(failed + timedOut) / Double(attempts) : 0 }

    /// The step's figures from its run's report, judged by `criteria` (open loop only:
    /// a load sweep has no rate to hold and no knee).
    package static func from(_ r: RunReport, index: Int, requestedRate: Double?, load: Int?, workers: Int, concurrency: Int,
                            criteria: KneeCriteria) -> SweepStep {
        var errors: FailureCounts = [:]
        for e in r.errors { errors[FailureKey(e), default: 0] += e.count }
        var values: [Double: UInt64] = [:]
        for o in criteria.objectives {
            values[o.percentile] = r.histograms.latency.totalCount > 0 ? r.histograms.latency.valueAtPercentile(o.percentile) : 0
        }
        var step = SweepStep(
            index: index, requestedRate: requestedRate, load: load, workers: workers, concurrency: concurrency,
            achievedRate: r.achievedRate, establishedPerSecond: r.establishedPerSecond,
            attempts: r.tally.attempts, established: r.tally.established, failed: r.tally.failed,
            timedOut: r.tally.timedOut, inFlight: r.tally.inFlight, notStarted: r.notStarted,
            lateP99Ns: r.startLag.p99, p50Ns: r.latency.p50, p99Ns: r.latency.p99, p999Ns: r.latency.p999,
            serviceP99Ns: r.service.p99, callP99Ns: r.connectCall.p99, errors: errors, cpuBusy: r.cpuBusy,
            onsetSignal: r.onset?.signal, onsetSeconds: r.onset?.seconds, measuredSeconds: r.measuredSeconds,
            missed: [], interrupted: r.interrupted, objectiveValuesNs: values)
        if let requestedRate { step.missed = criteria.missed(by: step, requested: requestedRate) }
        return step
    }
}

extension KneeCriteria {
    /// Held first (a rate not held makes every other figure a lower load's), then the
    /// latency objectives, then the error budget.
    package func missed(by s: SweepStep, requested: Double) -> [String] {
        var out: [String] = []
        if s.achievedRate < heldShare * requested {
            out.append("not held: \(Num.rate(s.achievedRate))/s of \(Num.rate(requested))/s (\(Num.f1(100 * s.achievedRate / requested))%)")
        }
        for o in objectives {
            let v = s.objectiveValuesNs[o.percentile] ?? 0
            if v > o.limitNs || s.attempts == 0 {
                out.append("p\(SweepFormat.percentile(o.percentile)) \(Num.latency(v)) > \(DurationParser.format(o.limitNs))")
            }
        }
        if s.errorShare > errorBudget {
            out.append("errors \(Num.f3(100 * s.errorShare))% > \(Num.f3(100 * errorBudget))%")
        }
        return out
    }
}

/// A whole sweep: its steps in the order run, the knee (open loop) or the scalability fit
/// (load), and what the reader needs to repeat it.
package struct SweepReport: Sendable, Codable, Equatable {
    package var axis: SweepAxis
    package var criteria: KneeCriteria
    package var settings: [RunReport.Setting]
    package var steps: [SweepStep]
    package var interrupted: Bool
    package var wallSeconds: Double
    package var fit: ScalabilityFit?
    package var fitError: String?

    /// Whether a rate passed, over every step run at it: the majority (a rate may be run
    /// again to confirm the knee); a tie counts as passed, as the search counts it.
    package func ratePassed(_ rate: Double) -> Bool {
        let runs = steps.filter { $0.requestedRate == rate && !$0.interrupted }
        return runs.filter(\.passed).count * 2 >= runs.count && !runs.isEmpty
    }

    /// The highest requested rate that passed (by majority over its runs); its last
    /// passing step stands for it.
    package var knee: SweepStep? {
        let rates = Set(steps.compactMap(\.requestedRate)).filter { ratePassed($0) }
        guard let k = rates.max() else { return nil }
        return steps.last { $0.requestedRate == k && $0.passed }
    }

    /// The lowest failed rate above the knee: the step that says why the knee is where it is.
    package var firstPastKnee: SweepStep? {
        let k = knee?.requestedRate ?? 0
        let rates = Set(steps.compactMap(\.requestedRate)).filter { $0 > k && !ratePassed($0) }
        guard let f = rates.min() else { return nil }
        return steps.last { $0.requestedRate == f && !$0.passed && !$0.interrupted }
    }

    /// Runs at `rate` and how many passed.
    package func runs(at rate: Double) -> (runs: Int, passed: Int) {
        let r = steps.filter { $0.requestedRate == rate && !$0.interrupted }
        return (r.count, r.filter(\.passed).count)
    }

    package init(axis: SweepAxis, criteria: KneeCriteria, settings: [RunReport.Setting], steps: [SweepStep],
                interrupted: Bool, wallSeconds: Double) {
        self.axis = axis
        self.criteria = criteria
        self.settings = settings
        self.steps = steps
        self.interrupted = interrupted
        self.wallSeconds = wallSeconds
    }
}
