import ConnModel
import ConnReport
import Foundation
import Glibc
import Histogram
import Testing

extension HeavySuites {
    /// `run --processes N`: N generator processes, one schedule, one merged report with
    /// the parts' under parts/, and no part left running whatever happens to the parent.
    @Suite(.serialized)
    struct ProcessRunTests {
        static func leftoverParts() throws -> String {
            try TestSupport.shell("ps -eo pid,args | grep '[c]onnbench run-part' || true")
        }

        static func report(_ path: String) throws -> RunReport {
            try ReportJSON.parse(try String(contentsOfFile: path + "/report.json", encoding: .utf8))
        }

        static func parts(_ dir: String, _ n: Int) throws -> [RunReport] {
            try (0..<n).map { try report(dir + "/parts/part-\($0)") }
        }

        /// Closed loop over two processes: the merged counts are the parts' sums, every
        /// attempt is accounted for, and its p99 is the p99 of the union of the parts'
        /// connects (their whole-run histograms added, never percentiles averaged).
        @Test func twoProcessesMergeIntoTheSumOfTheirParts() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--processes", "2", "--rate", "max", "--close", "rst", "--duration", "2s",
                                         "--quiet", "--output", dir], timeLimit: 60)
            try #require(o.status == 0, "\(o.stderr)")
            let merged = try Self.report(dir), parts = try Self.parts(dir, 2)
            TestSupport.expectBalanced(merged)
            for p in parts { TestSupport.expectBalanced(p) }
            #expect(merged.tally.attempts == parts.reduce(0) { $0 + $1.tally.attempts })
            #expect(merged.tally.established == parts.reduce(0) { $0 + $1.tally.established })
            #expect(parts.allSatisfy { $0.tally.attempts > 1000 })
            var union = parts[0].histograms.latency
            union.add(parts[1].histograms.latency)
            #expect(merged.histograms.latency.valueAtPercentile(99) == union.valueAtPercentile(99))
            #expect(merged.latency.p99 == union.valueAtPercentile(99))
            let ids = try parts.map { try #require($0.identity) }
            #expect(Set(ids.map(\.pid)).count == 2 && Set(ids.map(\.id)).count == 2)
            #expect(merged.identity?.parts?.map(\.id) == ids.map(\.id))
            #expect(merged.settings.contains { $0.key == "processes" && $0.value == "2" })
            #expect(merged.listener?.accepted == merged.tally.established)
            #expect(try Self.leftoverParts().isEmpty)
        }

        /// A listener that never accepts past its queue: SYNs are dropped and connects wait
        /// out their 10 s timeout, so the run holds more connects in flight than one
        /// process may hold descriptors (run under an RLIMIT_NOFILE of 8,000, which each
        /// part inherits); three processes do, each below its own limit.
        @Test(.needsRoot) func moreInFlightThanOneProcessMayHold() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--netns", "--processes", "3", "--rate", "3000", "--concurrency", "8000", "--timeout", "10s",
                                         "--duration", "6s", "--listener-mode", "never-accept", "--quiet", "--output", dir],
                                        shell: "exec prlimit --nofile=8000:8000", timeLimit: 120)
            try #require(o.status == 0, "\(o.stderr)")
            let merged = try Self.report(dir), parts = try Self.parts(dir, 3)
            TestSupport.expectBalanced(merged)
            #expect(merged.tally.attempts == parts.reduce(0) { $0 + $1.tally.attempts })
            #expect(merged.tally.inFlight == parts.reduce(0) { $0 + $1.tally.inFlight })
            #expect(parts.allSatisfy { $0.openFilesLimit == 8000 && $0.tally.inFlight < 8000 && $0.errors.isEmpty })
            #expect(merged.tally.inFlight > 8000, "in flight \(merged.tally.inFlight): no more than one process may hold")
            #expect(try Self.leftoverParts().isEmpty)
        }

        /// Ctrl-C reaches the parent: every part stops and reports, and the merged report
        /// is written, marked interrupted.
        @Test func sigintStopsEveryPartAndStillWritesTheMergedReport() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--processes", "2", "--rate", "2000", "--duration", "30s", "--quiet", "--output", dir],
                                        timeLimit: 60, interruptAfter: 2.5)
            #expect(o.status == 0, "\(o.stderr)")
            let merged = try Self.report(dir), parts = try Self.parts(dir, 2)
            #expect(merged.interrupted && parts.allSatisfy(\.interrupted))
            TestSupport.expectBalanced(merged)
            #expect(merged.tally.attempts > 2000 && merged.tally.attempts < 30_000, "\(merged.tally)")
            #expect(try Self.leftoverParts().isEmpty)
        }

        /// A parent killed outright takes its parts with it (PR_SET_PDEATHSIG); they were
        /// running before the kill.
        @Test func aParentKilledWithSIGKILLLeavesNoPartRunning() throws {
            #expect(try Self.leftoverParts().isEmpty, "parts of an earlier run")
            let dir = TestSupport.temporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // The shell counts the parts at 2 s, then becomes connbench (exec): the kill at 3 s is its.
            let o = try TestSupport.run(["run", "--processes", "2", "--rate", "2000", "--duration", "30s", "--quiet", "--output", dir + "/out"],
                                        shell: "(sleep 2; ps -eo args | grep -c '[c]onnbench run-part' > '\(dir)/seen') & exec",
                                        timeLimit: 60, interruptAfter: 3, signal: SIGKILL)
            #expect(o.status == SIGKILL || o.status == 128 + SIGKILL, "status \(o.status): \(o.stderr)")
            let seenCount = (try? String(contentsOfFile: dir + "/seen", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(seenCount == "2", "two parts should have been running: \(seenCount ?? "none")")
            var left = try Self.leftoverParts()
            for _ in 0..<50 where !left.isEmpty {
                usleep(100_000)
                left = try Self.leftoverParts()
            }
            #expect(left.isEmpty, "parts outlived their parent: \(left)")
        }

        @Test(arguments: [
            (["run", "--processes", "0"], "--processes"),
            (["run", "--processes", "65"], "--processes"),
            (["run", "--processes", "2", "--trace-kernel", "--duration", "1s"], "--processes"),
            (["run", "--processes", "2", "--topology", "veth", "--duration", "1s"], "--processes"),
        ])
        func badInputGivesOneLineAndNonZeroExit(arguments: [String], flag: String) throws {
            TestSupport.expectOneLineError(try TestSupport.run(arguments, timeLimit: 30), naming: flag)
        }
    }
}
