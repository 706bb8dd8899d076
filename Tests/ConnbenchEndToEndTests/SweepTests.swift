import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Testing

/// The sweep's grammar, its search, and its knee, without load; the runs are in
/// HeavySuites.SweepRunTests.
struct SweepPlanTests {
    @Test(arguments: [
        ("5k..50k/5k", [5000.0, 10000, 15000, 20000, 25000, 30000, 35000, 40000, 45000, 50000]),
        ("1000,2000,4k", [1000, 2000, 4000]),
        ("1k..2500/1k", [1000, 2000]),
        ("1.5k", [1500]),
    ])
    func rateListsAndRangesExpand(_ text: String, _ expected: [Double]) throws {
        #expect(try SweepRatesParser.parse(text) == .rates(expected))
    }

    @Test func autoTakesAResolution() throws {
        guard case .autoRates(let s) = try SweepRatesParser.parse("auto") else { Issue.record("not auto"); return }
        #expect(s.resolution == 0.05)
        guard case .autoRates(let t) = try SweepRatesParser.parse("auto:2%") else { Issue.record("not auto"); return }
        #expect(Swift.abs(t.resolution - 0.02) < 1e-12)
    }

    @Test(arguments: ["", "5k..1k/1k", "5k..50k", "0,1k", "abc", "auto:2", "auto:0%", "1..1000000/1"])
    func badRatesAreOneLineErrors(_ text: String) {
        #expect(throws: ConfigError.self) { try SweepRatesParser.parse(text) }
    }

    @Test(arguments: [("1..64/x2", [1, 2, 4, 8, 16, 32, 64]), ("1..4", [1, 2, 3, 4]), ("1,2,8", [1, 2, 8])])
    func loadListsExpand(_ text: String, _ expected: [Int]) throws {
        #expect(try SweepRatesParser.loads(text, flag: "--concurrency", max: 1024) == expected)
    }

    @Test(arguments: [("p99=1ms", 99.0, UInt64(1_000_000)), ("p99.9=5ms", 99.9, 5_000_000), ("P50=200us", 50, 200_000)])
    func objectivesParse(_ text: String, _ p: Double, _ ns: UInt64) throws {
        let o = try KneeCriteria.parseObjective(text)
        #expect(o.percentile == p && o.limitNs == ns)
    }

    @Test(arguments: ["99=1ms", "p99", "p99=fast", "p0=1ms", "p101=1ms"])
    func badObjectivesAreRefused(_ text: String) {
        #expect(throws: ConfigError.self) { try KneeCriteria.parseObjective(text) }
    }

    @Test func budgetsParseAsShares() throws {
        #expect(try KneeCriteria.parseBudget("0.1%") == 0.001)
        #expect(try KneeCriteria.parseBudget("0.02") == 0.02)
        #expect(throws: ConfigError.self) { try KneeCriteria.parseBudget("150%") }
    }

    /// A host that holds every rate up to `limit`: the search brackets it to its
    /// resolution, ramping by ×2 until two steps fail, in few steps.
    @Test(arguments: [27_000.0, 5_000, 61_234, 123_456])
    func theSearchBracketsTheLimitToItsResolution(limit: Double) {
        var search = RateSearch(RateSearch.Settings())
        var steps = 0
        while let r = search.next() {
            search.record(rate: r, passed: r <= limit)
            steps += 1
        }
        let (held, failed) = search.bracket
        #expect(held.map { $0 <= limit } ?? false, "held \(String(describing: held))")
        #expect(failed.map { $0 > limit } ?? false, "failed \(String(describing: failed))")
        if let held, let failed { #expect((failed - held) / held <= 0.05, "\(held)…\(failed)") }
        #expect(steps <= 16, "\(steps) steps")
        // Both ends of the bracket were run twice and agreed.
        if let held, let failed {
            #expect(search.verdict(held).runs >= 2 && search.verdict(failed).runs >= 2)
        }
    }

    /// A lucky pass just above the limit is run again, fails, and is not the knee; an
    /// unlucky failure just below it is run again, passes, and does not cap the knee.
    @Test(arguments: [true, false])
    func oneLuckyOrUnluckyStepNearTheKneeIsConfirmedOrOverturned(lucky: Bool) {
        let limit = 30_000.0
        var search = RateSearch(RateSearch.Settings())
        var flipped = false
        while let r = search.next() {
            var passed = r <= limit
            // One step flips, the first that lands near the limit on the side that hurts.
            if !flipped && lucky && r > limit && r < limit * 1.3 { passed = true; flipped = true }
            if !flipped && !lucky && r <= limit && r > limit * 0.7 && r != 20_000 { passed = false; flipped = true }
            search.record(rate: r, passed: passed)
        }
        #expect(flipped)
        let (held, failed) = search.bracket
        #expect(held.map { $0 <= limit } ?? false, "held \(String(describing: held)), tried \(search.tried)")
        #expect(failed.map { $0 > limit } ?? false, "failed \(String(describing: failed)), tried \(search.tried)")
        #expect(search.tried.count <= 30)
    }

    /// One noisy failure during the ramp does not end it; only two in a row do.
    @Test func oneFailedStepInTheRampIsNotTheEnd() {
        var search = RateSearch(RateSearch.Settings())
        var tried: [Double] = []
        while let r = search.next() {
            tried.append(r)
            search.record(rate: r, passed: r == 10_000 ? false : r <= 40_000)
        }
        #expect(tried.prefix(5) == [5000, 10000, 20000, 40000, 80000])
        #expect(search.bracket.held == 40_000 || (search.bracket.held ?? 0) > 40_000 - 1)
    }

    @Test func whenNothingHoldsTheSearchComesDownAndStopsAtItsFloor() {
        var search = RateSearch(RateSearch.Settings())
        var tried: [Double] = []
        while let r = search.next() {
            tried.append(r)
            search.record(rate: r, passed: false)
        }
        #expect(tried.first == 5000)
        #expect(tried.allSatisfy { $0 >= 100 })
        #expect(search.bracket.held == nil)
    }

    static func step(rate: Double, achieved: Double, p99: UInt64, failed: UInt64 = 0, attempts: UInt64 = 10_000) -> SweepStep {
        SweepStep(index: 1, requestedRate: rate, load: nil, workers: 2, concurrency: 1024, achievedRate: achieved,
                  establishedPerSecond: achieved, attempts: attempts, established: attempts - failed, failed: failed,
                  timedOut: 0, inFlight: 0, notStarted: 0, lateP99Ns: 0, p50Ns: 0, p99Ns: p99, p999Ns: p99,
                  serviceP99Ns: 0, callP99Ns: 0, errors: [:], cpuBusy: nil, onsetSignal: nil, onsetSeconds: nil,
                  measuredSeconds: 1, missed: [], interrupted: false, objectiveValuesNs: [99: p99])
    }

    /// Held first, then the objectives, then the budget: the first missed is what the
    /// report names at the step past the knee.
    @Test func theKneeConditionsAreCheckedInOrder() throws {
        var c = KneeCriteria()
        c.objectives = [try KneeCriteria.parseObjective("p99=1ms")]
        #expect(c.missed(by: Self.step(rate: 10_000, achieved: 9_950, p99: 900_000), requested: 10_000).isEmpty)
        let m = c.missed(by: Self.step(rate: 10_000, achieved: 9_000, p99: 2_000_000, failed: 100), requested: 10_000)
        #expect(m.count == 3)
        #expect(m.first?.hasPrefix("not held") == true)
        #expect(m[1].hasPrefix("p99 2.00 ms > 1ms"), "\(m)")
        #expect(m[2].hasPrefix("errors 1.000% > 0.100%"), "\(m)")
    }

    @Test func theKneeIsTheHighestPassingRateAndTheStepPastItSaysWhy() throws {
        var c = KneeCriteria()
        c.objectives = [try KneeCriteria.parseObjective("p99=1ms")]
        var steps = [Self.step(rate: 10_000, achieved: 10_000, p99: 100_000), Self.step(rate: 20_000, achieved: 20_000, p99: 500_000),
                     Self.step(rate: 40_000, achieved: 30_000, p99: 5_000_000), Self.step(rate: 30_000, achieved: 30_000, p99: 1_500_000)]
        for i in steps.indices {
            steps[i].index = i + 1
            steps[i].missed = c.missed(by: steps[i], requested: steps[i].requestedRate!)
        }
        let r = SweepReport(axis: .autoRates(.init()), criteria: c, settings: [], steps: steps, interrupted: false, wallSeconds: 1)
        #expect(r.knee?.requestedRate == 20_000)
        #expect(r.firstPastKnee?.requestedRate == 30_000)
        let text = SweepReporter.text(r)
        #expect(text.contains("knee: 20000/s (step 2)"), "\(text)")
        #expect(text.contains("past it: 30000/s (step 4) failed first on p99 1.50 ms > 1ms"), "\(text)")
        let rows = CSV.parse(SweepReporter.csv(r))
        #expect(rows.count == 5)
        #expect(rows[0] == SweepReporter.columns)
        let kneeColumn = try #require(SweepReporter.columns.firstIndex(of: "knee"))
        #expect(rows.dropFirst().map { $0[kneeColumn] } == ["", "yes", "", ""])
    }
}

extension HeavySuites {
    /// Real sweeps, short: a rate list with a knee and a load sweep with a fit.
    @Suite(.serialized)
    struct SweepRunTests {
        @Test func aRateSweepRunsEachStepAndNamesTheKnee() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["sweep", "--rates", "1000,2000", "--duration", "300ms", "--warmup", "100ms",
                                         "--slo", "p99=200ms", "--close", "rst", "--output", dir], timeLimit: 30)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            #expect(o.stdout.contains("knee: 2000/s (step 2)"), "\(o.stdout)")
            let html = try String(contentsOfFile: dir + "/sweep.html", encoding: .utf8)
            HTMLReportChecks.expectSelfContained(html)
            #expect(html.contains("knee 2000/s") && html.contains("Latency vs rate"))
            let csv = CSV.parse(try String(contentsOfFile: dir + "/sweep.csv", encoding: .utf8))
            #expect(csv.count == 3)
            let attempts = try #require(SweepReporter.columns.firstIndex(of: "attempts"))
            let est = try #require(SweepReporter.columns.firstIndex(of: "established"))
            let failed = try #require(SweepReporter.columns.firstIndex(of: "failed"))
            let timedOut = try #require(SweepReporter.columns.firstIndex(of: "timed_out"))
            let inFlight = try #require(SweepReporter.columns.firstIndex(of: "in_flight"))
            for row in csv.dropFirst() {
                let n = [attempts, est, failed, timedOut, inFlight].map { Int(row[$0]) ?? -1 }
                #expect(n[0] == n[1] + n[2] + n[3] + n[4], "accounting: \(row)")
                #expect(n[0] > 0)
            }
        }

        @Test func aConcurrencySweepPrintsAScalabilityFit() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["sweep", "--rate", "max", "--concurrency", "1,2,4", "--workers", "1",
                                         "--duration", "300ms", "--warmup", "100ms", "--close", "rst", "--output", dir], timeLimit: 30)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            #expect(o.stdout.contains("Universal Scalability Law fit"), "\(o.stdout)")
            #expect(o.stdout.contains("σ (contention)"), "\(o.stdout)")
            let csv = CSV.parse(try String(contentsOfFile: dir + "/sweep.csv", encoding: .utf8))
            let load = try #require(SweepReporter.columns.firstIndex(of: "load"))
            #expect(csv.dropFirst().map { $0[load] } == ["1", "2", "4"])
        }

        @Test(arguments: [
            (["sweep"], "give --rates"),
            (["sweep", "--rates", "5k..1k/1k"], "--rates"),
            (["sweep", "--rates", "auto", "--slo", "p99"], "--slo"),
            (["sweep", "--concurrency", "1,2"], "--rate max"),
            (["run", "--concurrency", "1,2"], "one value in run"),
        ])
        func badSweepsAreOneLineErrors(_ arguments: [String], _ needle: String) throws {
            TestSupport.expectOneLineError(try TestSupport.run(arguments, timeLimit: 10), naming: needle)
        }
    }
}

/// The one fixed-decimal formatter every report's numbers go through.
struct DecimalTextTests {
    @Test(arguments: [
        (1.25, 1, "1.3"), (-0.04, 1, "0.0"), (-0.5, 3, "-0.500"), (-1.5, 1, "-1.5"), (0.0005, 3, "0.001"),
        (12.0, 0, "12"), (Double.nan, 1, "n/a"), (999.96, 1, "1000.0"),
    ])
    func roundsHalfAwayFromZeroAndSignsOnlyNonZero(_ v: Double, _ digits: Int, _ text: String) {
        #expect(String(fixed: v, digits: digits) == text)
    }
}
