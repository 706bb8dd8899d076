@preconcurrency import Glibc
@testable import ConnEngine
import ConnModel
import ConnSys
import Foundation
import Synchronization
import Testing

/// The kernel trace's pure parts: its buckets and its reading of bpftrace's output.
struct KernelTraceOutputTests {
    /// What bpftrace 0.17 printed at the end of a trace, cut down: its banner, the marker,
    /// blank lines for the cleared maps, then the maps.
    static let captured = """
    Attaching 11 probes...
    connbench-kernel-trace-attached



    @call[164]: 3
    @call[1200]: 1
    @call[165]: 600
    @call[166]: 390
    @call[455]: 6

    @handshake[90]: 990
    @handshake[2000]: 8

    @ret[-99]: 1
    @ret[-115]: 999

    @runq[30]: 40
    @runq[1500]: 2

    @synsent: 1000

    """

    @Test func bucketsDecodeToMidpoints() {
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 0) == 50)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 999) == 99_950)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 1000) == 100_500)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 1899) == 999_500)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 1900) == 1_005_000)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 6399) == 99_950_000_000)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 6400) == 100_000_000_000)
        #expect(KernelTraceBuckets.representativeNs(ofBucket: 6401) == nil)
    }

    /// Every duration's bucket stands for a value within 1 % of it (0.05 µs in the first
    /// decade), and the bpftrace statements come from the same table.
    @Test func bucketsAreFineEnough() throws {
        var v: UInt64 = 1
        while v < 1_000_000_000 {
            let index = KernelTraceBuckets.index(ofUnits: v)
            let ns = try #require(KernelTraceBuckets.representativeNs(ofBucket: index))
            let actual = Double(v * KernelTraceBuckets.unitNs)
            #expect(abs(Double(ns) - actual) <= max(actual * 0.01, 50), "\(v) units -> bucket \(index) -> \(ns) ns")
            v = v * 11 / 10 + 1
        }
        #expect(KernelTraceBuckets.index(ofUnits: 2_000_000_000) == KernelTraceBuckets.overflowIndex)
        #expect(KernelTraceBuckets.bpftraceStatements.contains("if ($v >= 1000) { $b = 1000 + ($v - 1000) / 10; }"))
        #expect(KernelTraceBuckets.bpftraceStatements.contains("if ($v >= 1000000000) { $b = 6400; }"))
    }

    @Test func parsesCapturedOutput() throws {
        let f = KernelTraceOutput.parse(Self.captured)
        #expect(f.connectReturns == [-115: 999, -99: 1])
        #expect(f.synSent == 1000)
        #expect(f.handshakes == 998)
        #expect(!f.timeLimitReached)
        let call = try #require(f.call)
        #expect(call.count == 1000)
        // Buckets 165 and 166 are 16.5–16.6 and 16.6–16.7 µs: the p50 is the first's midpoint.
        #expect(abs(Double(call.p50) - 16_550) < 16_550 * 0.002, "p50 \(call.p50)")
        #expect(abs(Double(call.p99) - 16_650) < 16_650 * 0.002, "p99 \(call.p99)")
        #expect(abs(Double(call.max) - 300_500) < 300_500 * 0.002, "max \(call.max)")
        let runq = try #require(f.runQueue)
        #expect(runq.count == 42)
        #expect(KernelTraceOutput.parse("").call == nil)
        let json = try JSONEncoder().encode(f)
        #expect(try JSONDecoder().decode(KernelTraceFigures.self, from: json) == f)
    }

    /// Counts that add up past what a run can have (``ReadLimits``; 64 bits, where Swift
    /// traps, is far above) are no trace of a run: the figures are left out, with a warning
    /// that says so, and nothing traps on the way.
    @Test(arguments: [
        "@synsent: 18446744073709551615\n@synsent: 1\n",
        "@ret[-115]: 18446744073709551615\n@ret[-115]: 2\n",
        "@call[10]: 18446744073709551615\n@call[11]: 1\n",
        "@runq[3]: 9223372036854775808\n@runq[3]: 9223372036854775808\n",
        "@call[6400]: 4503599627370496\n",
        "@handshake[10]: 4503599627370497\n",
    ])
    func countsPastSixtyFourBitsAreRefused(text: String) {
        let f = KernelTraceOutput.parse(text)
        #expect(f.call == nil && f.runQueue == nil && f.synSent == 0 && f.connectReturns.isEmpty)
        #expect(f.warnings.count == 1 && f.warnings[0].contains("than a run can have"), "\(f.warnings)")
    }

    @Test func largeCountsWithinTheLimitsAreRead() {
        let fine = KernelTraceOutput.parse("@call[10]: 1099511627775\n@call[11]: 1\n@synsent: 4503599627370496\n")
        #expect(fine.call?.count == 1 << 40 && fine.synSent == 1 << 52 && fine.warnings.isEmpty)
    }

    @Test func timeLimitMarkerIsSeen() {
        let f = KernelTraceOutput.parse("x\n\(KernelTraceProgram.timeLimitMarker)\n@ret[-115]: 2\n")
        #expect(f.timeLimitReached)
        #expect(f.connectReturns == [-115: 2])
    }

    @Test func programFiltersToThePidAndThreads() {
        let text = KernelTraceProgram(pid: 4321, tids: [4322, 4330], timeLimitSeconds: 90).text
        #expect(text.contains("/pid == 4321 && (tid == 4322 || tid == 4330)/"))
        #expect(text.contains("args->next_pid == 4322 || args->next_pid == 4330"))
        #expect(text.contains("interval:s:90 {"))
        #expect(!text.contains("hist("))
    }

    /// Every map the parser reads is one the program fills, by the one name both use.
    @Test(arguments: KernelTraceMap.allCases)
    func eachPrintedMapIsFilledByTheProgram(map: KernelTraceMap) {
        let text = KernelTraceProgram(pid: 1, tids: [2], timeLimitSeconds: 5).text
        #expect(text.contains(map.at + "[") || text.contains(map.at + " = count()"), "\(map.at)")
    }
}
