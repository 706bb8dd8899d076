import ConnAnalysis
import ConnEngine
import ConnModel
import Testing

/// The compare statistics against published tables and hand-worked examples.
@Suite struct CompareStatisticsTests {
    /// Two-sided α = 0.05 critical values of U from the standard Mann–Whitney tables
    /// (reject when U ≤ crit), i.e. Moses index k = crit + 1, with the exact coverage.
    @Test(arguments: [
        (4, 4, 0, 0.97143), (5, 5, 2, 0.96825), (6, 6, 5, 0.95887), (7, 7, 8, 0.96212),
        (8, 8, 13, 0.95012), (10, 10, 23, 0.95674), (4, 6, 2, 0.96190), (5, 10, 8, 0.96004),
    ])
    func mosesIndexMatchesTheMannWhitneyTables(m: Int, n: Int, critical: Int, coverage: Double) {
        let (k, confidence) = CompareStatistics.mosesIndex(m: m, n: n)
        #expect(k == critical + 1)
        #expect(abs(confidence - coverage) < 1e-5)
    }

    @Test func countsAreTheExactNullDistribution() {
        let c = CompareStatistics.mannWhitneyCounts(m: 5, n: 5)
        #expect(c.count == 26)
        #expect(c.reduce(0, +) == 252)  // C(10, 5)
        #expect(Array(c.prefix(4)) == [1, 1, 2, 3])
        #expect(c == c.reversed())  // symmetric
    }

    /// Too few trials: no interval reaches 95 %, and the coverage says so.
    @Test(arguments: [(2, 2, 0.66667), (3, 3, 0.9)])
    func tooFewTrialsReportTheCoverageTheyHave(m: Int, n: Int, coverage: Double) {
        let (k, confidence) = CompareStatistics.mosesIndex(m: m, n: n)
        #expect(k == 1)
        #expect(abs(confidence - coverage) < 1e-5)
    }

    /// [x(k), x(n+1−k)] covers the median with 1 − 2·P(Bin(n, ½) ≤ k − 1).
    @Test(arguments: [(5, 1, 0.9375), (6, 1, 0.96875), (10, 2, 0.978515625), (20, 6, 0.958610535)])
    func medianIntervalConfidence(n: Int, k: Int, coverage: Double) {
        let r = CompareStatistics.medianIntervalIndex(n: n)
        #expect(r.k == k)
        #expect(abs(r.confidence - coverage) < 1e-8)
        let values = (1...n).map(Double.init).reversed()
        let i = CompareStatistics.medianInterval(Array(values))
        #expect(i.lower == Double(k) && i.upper == Double(n + 1 - k))
    }

    /// n = m = 5: the 25 pairwise differences are 1…25 apart; HL is D(13), the 96.8 %
    /// interval [D(3), D(23)].
    @Test func fiveAgainstFiveUsesTheThirdAndTwentyThirdDifference() {
        let a = [0.0, 1, 2, 3, 4]
        let b = [100.0, 105, 110, 115, 120]  // differences b − a: 96…120, all distinct
        let s = CompareStatistics.shift(a, b)
        var d: [Double] = []
        for x in a { for y in b { d.append(y - x) } }
        d.sort()
        #expect(s.estimate == d[12])
        #expect(s.interval.lower == d[2] && s.interval.upper == d[22])
        #expect(abs(s.interval.confidence - 0.96825) < 1e-5)
        #expect(s.u == 25)
        #expect(abs(s.pValue - 2.0 / 252) < 1e-12)  // the most extreme split, both tails
    }

    /// By hand: a = 1, 2, 3 and b = 2, 4, 6 give differences −1, 0, 1, 1, 2, 3, 3, 4, 5:
    /// HL = 2. U counts pairs with b > a, a tie as ½: b=2 → 1 + ½, b=4 → 3, b=6 → 3: 7.5.
    @Test func hodgesLehmannByHand() {
        let s = CompareStatistics.shift([1, 2, 3], [2, 4, 6])
        #expect(s.estimate == 2)
        #expect(s.u == 7.5)
        #expect(s.interval.lower == -1 && s.interval.upper == 5)  // k = 1: 3 vs 3 is too few for 95 %
    }

    /// With ties the p-value is the share of all splits (mid-ranks) at least as extreme:
    /// checked against brute-force enumeration.
    @Test(arguments: [
        ([1.0, 1, 2, 3], [1.0, 2, 2, 4, 4]),
        ([5.0, 5, 5, 6], [5.0, 6, 6, 6]),
        ([1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10]),
        ([3.0, 1, 4, 1, 5], [9.0, 2, 6, 5, 3]),
    ])
    func tiedPValueEqualsEnumeration(a: [Double], b: [Double]) {
        #expect(abs(CompareStatistics.mannWhitneyPValue(a, b) - Self.bruteForceP(a, b)) < 1e-12)
    }

    @Test func identicalSamplesAreNotDifferent() {
        let s = CompareStatistics.shift([7, 7, 7, 7, 7], [7, 7, 7, 7, 7])
        #expect(s.estimate == 0 && s.interval.contains(0))
        #expect(s.pValue == 1)
    }

    @Test func outliersUseTheScaledMAD() {
        #expect(CompareStatistics.outliers([10, 11, 10.5, 9.8, 30]) == [4])
        #expect(CompareStatistics.outliers([10, 11, 10.5, 9.8, 12]).isEmpty)
        #expect(CompareStatistics.outliers([5, 5, 5, 5, 9]).isEmpty)  // MAD 0: no rule
    }

    /// The word follows the interval and the figure's direction.
    @Test func wordFollowsTheIntervalAndDirection() {
        let trial = { (setting: Int, value: Double) -> CompareTrial in
            var t = CompareTrial(setting: setting, round: 0)
            t.establishedPerSecond = value
            t.p99Ns = UInt64(value * 1000)
            return t
        }
        let a = [100.0, 101, 99, 100.5, 99.5], b = [150.0, 151, 149, 150.5, 149.5]
        let trials = a.map { trial(0, $0) } + b.map { trial(1, $0) } + a.map { trial(2, $0 + 0.1) }
        let labels = [("A", "x=1"), ("B", "x=2"), ("C", "x=3")]
        let rate = CompareReport(figure: .establishedPerSecond, labels: labels, trials: trials, plannedTrials: 5,
                                 warmupTrials: 0, interrupted: false, base: "", kernelRelease: "", startedAtUTC: "")
        #expect(rate.settings[1].comparison?.word == .faster)
        #expect(rate.settings[2].comparison?.word == .noDifference)
        #expect(abs((rate.settings[1].comparison?.estimate ?? 0) - 1.5) < 0.01)
        let latency = CompareReport(figure: .p99, labels: labels, trials: trials, plannedTrials: 5,
                                    warmupTrials: 0, interrupted: false, base: "", kernelRelease: "", startedAtUTC: "")
        #expect(latency.settings[1].comparison?.word == .slower)
    }

    static func bruteForceP(_ a: [Double], _ b: [Double]) -> Double {
        let pooled = (a + b).sorted()
        func midrank(_ v: Double) -> Double {
            let lo = pooled.firstIndex(of: v)!, hi = pooled.lastIndex(of: v)!
            return Double(lo + hi + 2) / 2
        }
        let ranks = (a + b).map(midrank)
        let mean = Double(a.count) * Double(pooled.count + 1) / 2
        let observed = abs(ranks.prefix(a.count).reduce(0, +) - mean)
        var extreme = 0, all = 0
        func choose(_ start: Int, _ left: Int, _ sum: Double) {
            if left == 0 {
                all += 1
                if abs(sum - mean) >= observed - 1e-9 { extreme += 1 }
                return
            }
            guard start < ranks.count else { return }
            for i in start..<ranks.count { choose(i + 1, left - 1, sum + ranks[i]) }
        }
        choose(0, a.count, 0)
        return Double(extreme) / Double(all)
    }
}
