import ConnAnalysis
import ConnSys
import ConnModel
import ConnEngine

/// Runs a sweep: one benchmark per step, each a whole run of its own (its warm-up, its
/// window, its own namespace with `isolation.netns`), so a step is exactly what `run`
/// would measure at that load.
package enum SweepRunner {
    package struct Plan: Sendable {
        package var base: RunConfig
        package var axis: SweepAxis
        package var criteria: KneeCriteria
        /// Settings printed at the top of the sweep (what was asked, as typed).
        package var settings: [RunReport.Setting]
        package init(base: RunConfig, axis: SweepAxis, criteria: KneeCriteria, settings: [RunReport.Setting]) {
            self.base = base
            self.axis = axis
            self.criteria = criteria
            self.settings = settings
        }
    }

    /// Runs the steps until the axis is exhausted, the search ends, two rates in a row
    /// fail (a list of rates), or a signal arrives; `progress` sees each step as it ends.
    package static func run(_ plan: Plan, signals: StopSignals? = nil,
                           progress: (SweepStep) -> Void = { _ in }) throws(BenchmarkRunner.Failure) -> SweepReport {
        let started = MonotonicClock.now()
        var steps: [SweepStep] = []
        var interrupted = false
        // The law's N must start from one unit of load (λ is the throughput of one): over
        // concurrency, every connect in flight at once (concurrency × workers); over
        // workers, the worker threads, each with its fixed concurrency.
        func step(rate: Double?, concurrency: Int?, workers: Int?) throws(BenchmarkRunner.Failure) -> SweepStep {
            var config = plan.base
            if let rate { config.rate = .fixed(perSecond: rate) }
            if let concurrency { config.concurrency = concurrency }
            if let workers { config.workers = workers }
            let report = try BenchmarkRunner.run(config, stop: StopFlag(), signals: signals)
            let load: Int?
            switch plan.axis {
            case .concurrency: load = config.resolvedConcurrency * report.workers.count
            case .workers: load = report.workers.count
            case .rates, .autoRates: load = nil
            }
            let s = SweepStep.from(report, index: steps.count + 1, requestedRate: rate, load: load,
                                   workers: report.workers.count, concurrency: config.resolvedConcurrency,
                                   criteria: plan.criteria)
            steps.append(s)
            progress(s)
            if report.interrupted { interrupted = true }
            return s
        }
        switch plan.axis {
        case .rates(let rates):
            var failuresInARow = 0
            for r in rates {
                let s = try step(rate: r, concurrency: nil, workers: nil)
                if interrupted { break }
                failuresInARow = s.passed ? 0 : failuresInARow + 1
                if failuresInARow >= 2 { break }
            }
        case .autoRates(let settings):
            var search = RateSearch(settings)
            while let r = search.next() {
                let s = try step(rate: r, concurrency: nil, workers: nil)
                if interrupted { break }
                search.record(rate: r, passed: s.passed)
            }
        case .concurrency(let values):
            for c in values {
                _ = try step(rate: nil, concurrency: c, workers: nil)
                if interrupted { break }
            }
        case .workers(let values):
            for w in values {
                _ = try step(rate: nil, concurrency: nil, workers: w)
                if interrupted { break }
            }
        }
        var report = SweepReport(axis: plan.axis, criteria: plan.criteria, settings: plan.settings, steps: steps,
                                 interrupted: interrupted, wallSeconds: Double(MonotonicClock.now() - started) / 1e9)
        report.fitLoad()
        return report
    }
}
