import ConnEngine
import ConnStudies
import ConnModel
import ConnAnalysis
import ConnReport
import ConnSys
import Foundation
import Testing

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

        @Test(arguments: cases)
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
            #expect(onset.signal == OnsetDetector.Signal.connectCallCost.rawValue, "signal \(onset.signal): \(onset.evidence ?? "-")")
            #expect(Swift.abs(Double(onset.attempt) - Double(predicted)) <= 0.1 * Double(predicted),
                    "observed \(onset.signal) at attempt \(onset.attempt), predicted \(predicted): \(onset.evidence ?? "-")")
        }
    }
}

/// The detector alone, on the rise at half the range: at a few thousand connects a second
/// each window holds fewer port-parity samples than the detector trusts alone, so it
/// pools them over the run of dear windows.
struct OnsetDetectorRiseTests {
    static let p = OnsetDetector.Parameters()
    static let bucketNs: UInt64 = 5_000_000
    static let baseCostNs: UInt64 = 25_000
    static let callsPerBucket: UInt32 = 10
    /// Dearer than a window alone needs with parity evidence, short of what fires without.
    static let rise = 2 * p.costFactor
    static let riseAt = 200
    static var windowBuckets: Int { Int((p.windowNs + bucketNs - 1) / bucketNs) }

    enum After { case oddPorts, evenPorts, noParity }

    /// One parity sample a bucket throughout; from `riseAt` connect() costs `rise` times
    /// the baseline while `after` says what the samples show, until `riseEnds`.
    static func feed(_ d: inout OnsetDetector, riseAt: Int = riseAt, riseEnds: Int = .max, after: After,
                     buckets: Range<Int> = 0..<400) -> OnsetDetector.Fired? {
        for i in buckets {
            let risen = i >= riseAt && i < riseEnds
            var b = OnsetBucket()
            b.started = callsPerBucket
            b.calls = callsPerBucket
            b.established = callsPerBucket
            b.callNs = UInt64(callsPerBucket) * UInt64(Double(baseCostNs) * (risen ? rise : 1))
            switch risen ? after : .evenPorts {
            case .oddPorts: b.oddPorts = 1
            case .evenPorts: b.evenPorts = 1
            case .noParity: break
            }
            if let f = d.feed(b) { return f }
        }
        return nil
    }

    /// What the scenario stands for: each window alone too few samples to judge, the rise
    /// one that needs parity evidence to count.
    static func requireSparse() throws {
        try #require(UInt64(windowBuckets) < p.paritySamplesMin, "a window alone must be too few samples")
        try #require(rise >= p.costFactorWithParity && rise < p.costFactorWithoutParity)
    }

    @Test(arguments: [0, 3, 6, 9])
    func aTenfoldRiseWithTheOddShareMovingFiresWhereTheRiseBegan(offset: Int) throws {
        try Self.requireSparse()
        var d = OnsetDetector(bucketNs: Self.bucketNs)
        let f = try #require(Self.feed(&d, riseAt: Self.riseAt + offset, after: .oddPorts))
        #expect(f.signal == .connectCallCost, "evidence: \(f.evidence)")
        #expect(f.bucket == Self.riseAt + offset, "evidence: \(f.evidence)")
        let moved = try #require(f.oddShareWindow)
        let base = try #require(f.oddShareBaseline)
        #expect(Swift.abs(moved - base) >= Self.p.parityShift)
    }

    @Test func aTenfoldRiseWithParitySteadyIsContentionAndNeverFires() throws {
        try Self.requireSparse()
        var d = OnsetDetector(bucketNs: Self.bucketNs)
        let f = Self.feed(&d, after: .evenPorts)
        #expect(f == nil, "evidence: \(f?.evidence ?? "-")")
        #expect(d.undecided == nil, "decided as contention, not left undecided")
    }

    @Test func aRiseParityCannotDecideIsKeptWithWhy() throws {
        try Self.requireSparse()
        var d = OnsetDetector(bucketNs: Self.bucketNs)
        #expect(Self.feed(&d, after: .noParity) == nil)
        let u = try #require(d.undecided)
        #expect(u.startNs == UInt64(Self.riseAt) * Self.bucketNs)
        #expect(u.paritySamples == 0)
        #expect(u.description.contains("too few port-parity samples (0, \(Self.p.paritySamplesMin) needed)"), "\(u.description)")
    }

    /// A later onset's evidence names the earlier rise it could not decide.
    @Test func aLaterOnsetSaysWhatWasLeftUndecidedBeforeIt() throws {
        try Self.requireSparse()
        var d = OnsetDetector(bucketNs: Self.bucketNs)
        let riseEnds = Self.riseAt + (Self.p.sustain + 2) * Self.windowBuckets
        #expect(Self.feed(&d, riseEnds: riseEnds, after: .noParity, buckets: 0..<(riseEnds + 5 * Self.windowBuckets)) == nil)
        let u = try #require(d.undecided)
        let later = riseEnds + 5 * Self.windowBuckets
        let f = try #require(Self.feed(&d, riseAt: later, after: .oddPorts, buckets: later..<(later + 200)))
        #expect(f.bucket == later)
        #expect(f.evidence.contains("before it, " + u.description), "evidence: \(f.evidence)")
    }
}
