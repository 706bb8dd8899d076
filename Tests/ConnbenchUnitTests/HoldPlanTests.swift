import Foundation
import ConnAnalysis
import ConnEngine
import ConnModel
import ConnSys
import Histogram
import Testing

/// The split of a hold over processes, ports and sources, and the merge of its parts:
/// pure, no sockets.
@Suite struct HoldPlanTests {
    @Test func a100kHoldUnderA20kDescriptorLimitNeedsSixProcessesOfEachKind() throws {
        var o = HoldOptions()
        o.connections = 100_000
        let plan = try HoldPlan.make(o, descriptorLimit: 20_000)
        #expect(plan.perProcessBudget == 19_500)
        #expect(plan.processes == 6)
        #expect((0..<6).map { plan.count(ofPart: $0) }.reduce(0, +) == 100_000)
        #expect((0..<6).allSatisfy { plan.count(ofPart: $0) <= plan.perProcessBudget })
        #expect(!plan.exceedsDescriptors)
        // Four ports per listener process, none shared, none in the ephemeral range.
        let ports = plan.listenerPorts.joined()
        #expect(ports.count == 24 && Set(ports).count == 24)
        #expect(ports.allSatisfy { $0 < 32_768 })
        #expect(plan.sourceAddresses.first == "127.0.0.2" && plan.sourceAddresses.count >= 4)
        #expect(plan.tupleCapacity >= 100_000 * 8)
        #expect(plan.bucketCount == 10)
    }

    @Test func forcedProcessesBelowTheNeedAreAllowedAndFlagged() throws {
        var o = HoldOptions()
        o.connections = 30_000
        o.processes = 1
        let plan = try HoldPlan.make(o, descriptorLimit: 20_000)
        #expect(plan.exceedsDescriptors)
    }

    @Test func sourcesGrowWithTheConnectionsPerPair() throws {
        var o = HoldOptions()
        o.connections = 1_000_000
        o.listenerPorts = 2
        o.processes = 2
        let plan = try HoldPlan.make(o, descriptorLimit: 1_000_000)
        // 1M over 2 ports at 28232/8 per pair.
        #expect(plan.sourceAddresses.count == (1_000_000 + 2 * 3529 - 1) / (2 * 3529))
        #expect(plan.sourceAddresses.last == "127.0.0.143")
    }

    @Test(arguments: [
        (10_000, 0, nil, "--processes"),
        (10_000, 2, 1, "--listener-ports"),
        (0, nil, nil, "--connections"),
        (3, 4, nil, "--processes"),
    ] as [(Int, Int?, Int?, String)])
    func badCombinationsAreRefused(connections: Int, processes: Int?, ports: Int?, flag: String) {
        var o = HoldOptions()
        o.connections = connections
        o.processes = processes
        o.listenerPorts = ports
        #expect(throws: ConfigError.self) { try HoldPlan.make(o, descriptorLimit: 20_000) }
        do { _ = try HoldPlan.make(o, descriptorLimit: 20_000) } catch { #expect(error.description.hasPrefix(flag)) }
    }

    static func part(_ k: Int, established: UInt64, failed: UInt64 = 0, values: [UInt64], errors: [HoldErrorCount] = []) -> HoldPartResult {
        var p = HoldPartResult(part: k, planned: Int(established + failed))
        p.attempts = established + failed
        p.established = established
        p.failed = failed
        p.errors = errors
        p.latency = [LatencyHistogram.make(), LatencyHistogram.make()]
        p.service = [LatencyHistogram.make(), LatencyHistogram.make()]
        for (i, v) in values.enumerated() { _ = p.latency[i % 2].record(v); _ = p.service[i % 2].record(v / 2) }
        return p
    }

    @Test func theMergeAddsCountsAndHistogramsExactlyAndFindsTheEarliestLimit() throws {
        var o = HoldOptions()
        o.connections = 8
        o.step = 4
        o.processes = 2
        let plan = try HoldPlan.make(o, descriptorLimit: 20_000)
        let emfile = HoldErrorCount(site: .socket, errno: Errno.tooManyOpenFiles.rawValue, count: 1, firstNs: 500, firstAttempt: 7)
        let refused = HoldErrorCount(site: .soError, errno: Errno.connectionRefused.rawValue, count: 1, firstNs: 100, firstAttempt: 1)
        let a = Self.part(0, established: 4, values: [1000, 2000, 3000, 4000])
        let b = Self.part(1, established: 2, failed: 2, values: [5000, 9_000_000], errors: [emfile, refused])
        var r = HoldReport(plan: plan)
        r.merge(parts: [b, a])
        #expect(r.parts.map(\.part) == [0, 1])
        #expect(r.total.established == 6 && r.total.failed == 2 && r.total.attempts == 8)
        #expect(r.balanced)
        #expect(r.total.latency.reduce(0) { $0 + $1.totalCount } == 6)
        #expect(r.overall.max >= 9_000_000 && r.overall.min <= 1000)
        #expect(r.buckets.map(\.established) == [3, 3])
        #expect(r.buckets[1].openBefore == 3)
        // A limit errno wins over an earlier error that names none.
        #expect(r.limit?.limit == .descriptorsPerProcess)
        #expect(r.limit?.evidence.contains("EMFILE from socket, first at attempt 8") == true)
    }

    @Test func timeoutsPointAtTheBacklogOnlyWhenTheListenQueueOverflowed() {
        let t = HoldErrorCount(site: .timeout, errno: Errno.timedOut.rawValue, count: 3, firstNs: 1, firstAttempt: 0)
        #expect(HoldLimitFinding.first(errors: [t], listenOverflows: 5)?.limit == .listenBacklog)
        #expect(HoldLimitFinding.first(errors: [t], listenOverflows: 0)?.limit == .unnamed("timeouts without listen overflows"))
        let ports = HoldErrorCount(site: .connect, errno: Errno.addressNotAvailable.rawValue, count: 1, firstNs: 2, firstAttempt: 0)
        #expect(HoldLimitFinding.first(errors: [ports], listenOverflows: 0)?.limit == .ephemeralPorts)
    }

    /// The JSON keeps the limit's text; reading it back gives the same case.
    @Test(arguments: HoldLimit.named + [.unnamed("EHOSTUNREACH")])
    func aLimitIsSavedAsItsTextAndReadBack(limit: HoldLimit) throws {
        let data = try JSONEncoder().encode(HoldLimitFinding(limit: limit, evidence: "e"))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(limit.description.replacingOccurrences(of: "/", with: "\\/")))
        #expect(try JSONDecoder().decode(HoldLimitFinding.self, from: data).limit == limit)
    }
}
