import ConnModel
/// Says plainly when a figure is the generator's rather than the system's: a latency
/// the loop cannot observe finer than its own gap between polls, spinning that costs a
/// core, a schedule that could not be kept.
package enum FigureWarnings {
    /// The detector saw no onset, yet the port budget puts connect()'s walk over used
    /// ports inside the run: a verdict that blames CPU alone may be hiding the ports (the
    /// cores are busy walking them).
    package static func unseenPortWalk(_ r: RunReport) -> String? {
        guard r.onset == nil, let b = r.portBudget, let a = b.onsetAttempt, let t = b.onsetSeconds,
              t < r.measuredSeconds + Double(r.setup.config.warmupNs) / 1e9 else { return nil }
        return "no exhaustion onset was detected, but the port budget puts the \(b.onsetKind?.rawValue ?? "onset") at attempt \(a) (\(Num.f1(t)) s) at the rate this run kept: the ports, not only the CPU, may be what held the rate"
    }

    package static func warnings(_ r: RunReport) -> [String] {
        var out: [String] = []
        let g = r.observationGap
        if g.count > 0 && r.service.count > 0 && g.p99 > r.service.p50 {
            out.append("the loop's observation gap (p99 \(Num.us(g.p99)) µs, max \(Num.us(g.max)) µs) exceeds the service latency p50 (\(Num.us(r.service.p50)) µs): latencies below ~\(Num.us(g.p99)) µs are set by the generator's own loop, not by the system")
        } else if g.count > 0 && r.service.count > 0 && g.max > r.service.p99 {
            out.append("the loop once went \(Num.us(g.max)) µs without polling, above the service latency p99 (\(Num.us(r.service.p99)) µs): the slowest completions may include that wait")
        }
        if let n = r.notStarted, n > 0, let s = r.scheduled, s > 0 {
            out.append("\(n) of \(s) scheduled attempts (\(Num.f1(Double(n) / Double(s) * 100))%) were never started: the generator was behind when the window ended")
        }
        if let w = r.numa?.warning { out.append(w) }
        if let w = unseenPortWalk(r) { out.append(w) }
        if r.spinShare > 0.01 {
            out.append("--spin kept the workers polling \(Num.f1(r.spinShare * 100))% of their time: that CPU is not available to the listener or the kernel on those cores")
        }
        return out
    }

}
