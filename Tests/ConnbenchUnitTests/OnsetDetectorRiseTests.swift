import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing
import ConnAnalysis

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

/// The worker's three compares and the list the analysis and progress read are one set.
struct ExhaustionErrnoTests {
    @Test func isExhaustionIsTheList() {
        for value in Int32(1)...Errno.highestLinuxValue {
            let e = Errno(rawValue: value)
            #expect(OnsetBucket.isExhaustion(e) == OnsetBucket.exhaustionErrnos.contains(e), "\(e.name)")
        }
        #expect(OnsetBucket.exhaustionErrnos.map(\.name) == ["EADDRNOTAVAIL", "EADDRINUSE", "EWOULDBLOCK"])
    }
}
