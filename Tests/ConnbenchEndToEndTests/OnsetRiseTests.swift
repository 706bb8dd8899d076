import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing
import ConnStudies
import ConnAnalysis

extension HeavySuites {
    /// The cost rise at half the range, end to end: with tcp_tw_reuse=0 every closed port
    /// stays in TIME_WAIT, so once the even half is used each connect() walks it before
    /// taking an odd port. The open-loop rate is low enough that a detector window holds
    /// fewer port-parity samples than it trusts alone (the worker samples 1 attempt in 8),
    /// the case that dated the onset at the range's end (a rate drop) instead of its middle.
    @Suite(.serialized)
    struct OnsetRiseTests {
        struct Case: Sendable, CustomTestStringConvertible {
            var ports: Int
            var rate: Int
            var testDescription: String { "\(ports) ports at \(rate)/s" }
        }

        /// A 2000-port range's walk (~5×) sits at the detector's factor: not a case that
        /// holds every time (Benchmarks/onset-rise.sh measures it).
        static let cases = [Case(ports: 4000, rate: 2000), Case(ports: 8000, rate: 4000)]

        @Test(.needsRoot, arguments: cases)
        func theCostRiseIsFoundWhereThePortBudgetPutsIt(_ k: Case) throws {
            let evenHalfSeconds = Double(k.ports / 2) / Double(k.rate)
            // The even half, the detector's three windows to decide, and a margin.
            let duration = Int(((evenHalfSeconds + 0.4) * 1000).rounded())
            var c = TestSupport.config(rate: .fixed(perSecond: Double(k.rate)), duration: "\(duration)ms", workers: 1)
            c.isolation = Isolation(netns: true, sysctls: [
                SysctlSetting(key: "net.ipv4.ip_local_port_range", value: "40000 \(40000 + k.ports - 1)"),
                SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "0"),
            ])
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let budget = try #require(r.portBudget)
            #expect(budget.onsetKind == .costRise)
            let predicted = try #require(budget.onsetAttempt)
            let onset = try #require(r.onset, "no onset; predicted a cost rise at attempt \(predicted)")
            #expect(onset.signal == .connectCallCost, "signal \(onset.signal): \(onset.evidence ?? "-")")
            #expect(Swift.abs(Double(onset.attempt) - Double(predicted)) <= 0.1 * Double(predicted),
                    "observed \(onset.signal) at attempt \(onset.attempt), predicted \(predicted): \(onset.evidence ?? "-")")
        }
    }
}
