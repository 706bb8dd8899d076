import ConnSys
import ConnModel
import ConnEngine

/// Runs a ``ComparePlan``: every step a whole benchmark in a fresh network namespace (its
/// TIME_WAIT entries and port allocations die with it, so no trial inherits another's),
/// with the machine's CPU steal and other load read around it.
package enum CompareRunner {
    package struct Outcome: Sendable {
        /// Measured trials completed, in the order they ran.
        package var trials: [CompareTrial]
        /// Ctrl-C (or SIGTERM) stopped the compare; the trial it cut short is not in `trials`.
        package var interrupted: Bool
    }

    /// Runs the plan's steps in order; `progress` is told of each before it starts (step,
    /// 1-based position, count). A signal in `signals` stops the current trial, which is
    /// dropped (its window is cut short, so its figures are not comparable), and ends the
    /// compare with what completed.
    package static func run(_ plan: ComparePlan, signals: StopSignals?,
                           progress: (ComparePlan.Step, Int, Int) -> Void = { _, _, _ in }) throws(BenchmarkRunner.Failure) -> Outcome {
        var trials: [CompareTrial] = []
        let steps = plan.steps
        for (i, step) in steps.enumerated() {
            if let signals, signals.wait(nanoseconds: 0) != nil { return Outcome(trials: trials, interrupted: true) }
            progress(step, i + 1, steps.count)
            var config = plan.settings[step.setting].config
            config.isolation.netns = true
            let cpu0 = CPUStat.readAll()
            let own0 = CPUStat.processCPUNanoseconds()
            let report = try BenchmarkRunner.run(config, stop: StopFlag(), signals: signals)
            let own = CPUStat.processCPUNanoseconds() &- own0
            let cpu1 = CPUStat.readAll()
            if report.interrupted { return Outcome(trials: trials, interrupted: true) }
            if step.warmup { continue }
            var steal: Double?, other: Double?
            if let cpu0, let cpu1 {
                steal = cpu1.stealShare(since: cpu0)
                other = cpu1.otherShare(since: cpu0, processNs: own)
            }
            trials.append(CompareTrial(setting: step.setting, round: step.round, report: report,
                                       stealShare: steal, otherShare: other))
        }
        return Outcome(trials: trials, interrupted: false)
    }
}
