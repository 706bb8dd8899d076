@preconcurrency import Glibc
import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Testing

extension HeavySuites {
    /// `connbench hold` through the real binary: parts in their own processes, one fresh
    /// namespace, one merged report, and nothing left afterwards.
    @Suite(.serialized)
    struct HoldTests {
        /// hold-part processes still running (none may outlive a hold).
        static func leftoverParts() throws -> String {
            try TestSupport.shell("ps -eo pid,args | grep '[c]onnbench hold-part' || true")
        }

        static func namespaces() throws -> String { try TestSupport.shell("ip netns list") }

        static func report(_ dir: String) throws -> HoldReport {
            try JSONDecoder().decode(HoldReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/hold.json")))
        }

        @Test(.needsRoot) func aSingleProcessHoldEstablishesAllAndLeavesNothing() throws {
            let netnsBefore = try Self.namespaces()
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["hold", "--connections", "2000", "--rate", "10000", "--hold", "1s", "--step", "500",
                                         "--output", dir], timeLimit: 60)
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("attempts 2000 = established 2000 + failed 0 + timed out 0 + in flight 0 (balanced)"), "\(o.stdout)")
            #expect(o.stdout.contains("stopped by: nothing, all 2000 established"))
            #expect(o.stdout.contains("sockstat TCP mem pages (host-wide)"))
            #expect(o.stdout.contains("connbench RSS: generators"))
            // The build-up is a run of the one engine: its CPU-wait and SYN-retransmit rows.
            #expect(o.stdout.contains("generator: the workers waited for a CPU"), "\(o.stdout)")
            #expect(o.stdout.contains("handshake: 0 connect(s) needed a SYN retransmit"))
            let r = try Self.report(dir)
            #expect(r.plan.processes == 1 && r.parts.count == 1)
            let build = try #require(r.build)
            #expect(build.tally.attempts == 2000 && build.tally.established == 2000 && build.tally.isBalanced)
            #expect(build.generatorTime != nil && build.synRetransmits == 0)
            #expect(build.histograms.latency.totalCount == 2000)
            #expect(r.total.established == 2000)
            #expect(r.buckets.map(\.established) == [500, 500, 500, 500])
            #expect(r.buckets.map(\.openBefore) == [0, 500, 1000, 1500])
            #expect(r.buckets.allSatisfy { $0.p50Ns > 0 && $0.p99Ns >= $0.p50Ns && $0.maxNs >= $0.p99Ns })
            // Both ends of every connection, plus the listening sockets, at the peak; none after.
            let peak = try #require(r.peak)
            #expect(peak.tcpInUse - r.before.tcpInUse == 4000)
            #expect(r.after?.tcpInUse == 0 && r.after?.timeWait == 0)
            #expect(r.slabBytesPerConnection != nil && r.generatorRSSBytesPerConnection != nil)
            #expect(r.total.closed == 2000 && r.total.lostDuringHold == 0)
            #expect(r.listeners.first?.accepted == 2000)
            let csv = CSV.parse(try String(contentsOfFile: dir + "/hold.csv", encoding: .utf8))
            #expect(csv.first == HoldReporter.csvColumns)
            #expect(csv.count == 5)
            #expect(try Self.leftoverParts().isEmpty)
            #expect(try Self.namespaces() == netnsBefore)
        }

        @Test(.needsRoot) func twoPartsMergeIntoOneReportWhoseCountsAreTheirSum() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["hold", "--connections", "3000", "--processes", "2", "--hold", "1s", "--step", "1000",
                                         "--output", dir], timeLimit: 60)
            #expect(o.status == 0, "\(o.stderr)")
            let r = try Self.report(dir)
            #expect(r.plan.processes == 2 && r.parts.count == 2 && r.listeners.count == 2)
            #expect(r.parts.map(\.planned) == [1500, 1500])
            #expect(r.total.established == r.parts.reduce(0) { $0 + $1.established })
            #expect(r.total.established == 3000)
            let histogramCount = r.total.latency.reduce(0) { $0 + $1.totalCount }
            #expect(histogramCount == r.total.established)
            for p in r.parts { #expect(p.latency.reduce(0) { $0 + $1.totalCount } == p.established) }
            // Every bucket gets half its connects from each part (the schedules interleave).
            #expect(r.buckets.map(\.established) == [1000, 1000, 1000])
            for p in r.parts { #expect(p.latency.map(\.totalCount) == [500, 500, 500]) }
            #expect(r.balanced)
            #expect(r.listeners.reduce(0) { $0 + $1.accepted } == 3000)
            // The parts' runs merge into one: counts summed, histograms added (the p99 of the
            // union of the parts' connects, which is the per-step histograms' sum too).
            let build = try #require(r.build)
            #expect(build.mergedFrom == ["part-0", "part-1"])
            #expect(build.tally.attempts == 3000 && build.tally.isBalanced)
            #expect(build.histograms.latency.totalCount == 3000)
            #expect(build.histograms.latency.valueAtPercentile(99) == r.overall.valueAtPercentile(99))
            #expect(try Self.leftoverParts().isEmpty)
        }

        /// On io_uring a kept connection needs a descriptor of its own, so the sockets are
        /// made by syscalls and the connects go through the ring.
        @Test(.needsRoot) func aHoldOnIoUringKeepsEveryConnection() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["hold", "--connections", "2000", "--rate", "10000", "--hold", "500ms", "--step", "1000",
                                         "--engine", "io_uring", "--output", dir], timeLimit: 60)
            if o.stderr.contains("io_uring") && o.status != 0 { return }  // refused here, with its one line
            #expect(o.status == 0, "\(o.stderr)")
            let r = try Self.report(dir)
            let build = try #require(r.build)
            #expect(build.setup.config.engine == .ioUring && build.setup.config.uringSocket == .syscalls)
            #expect(r.total.established == 2000 && r.total.closed == 2000 && r.balanced)
            #expect(try #require(r.peak).tcpInUse - r.before.tcpInUse == 4000)
            #expect(try Self.leftoverParts().isEmpty)
        }

        @Test(arguments: [
            (["hold", "--connections", "0"], "--connections"),
            (["hold", "--rate", "max"], "--rate"),
            (["hold", "--rate", "0"], "--rate"),
            (["hold", "--hold", "0s"], "--hold"),
            (["hold", "--processes", "0"], "--processes"),
            (["hold", "--processes", "2", "--listener-ports", "1"], "--listener-ports"),
            (["hold", "--timeout", "soon"], "--timeout"),
            (["hold", "--output", "/proc/connbench-cannot-write"], "--output"),
        ])
        func badInputGivesOneLineAndNonZeroExit(arguments: [String], flag: String) throws {
            TestSupport.expectOneLineError(try TestSupport.run(arguments, timeLimit: 30), naming: flag)
        }

        @Test(.needsRoot) func sigintDuringTheBuildUpReportsThePartAndLeavesNothing() throws {
            let netnsBefore = try Self.namespaces()
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["hold", "--connections", "20000", "--processes", "2", "--rate", "2000", "--hold", "5s",
                                         "--output", dir], timeLimit: 60, interruptAfter: 2.5)
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("INTERRUPTED during the build-up"), "\(o.stdout)")
            let r = try Self.report(dir)
            #expect(r.interrupted == "the build-up")
            #expect(r.parts.count == 2 && r.balanced)
            #expect(r.total.established > 1000 && r.total.established < 20_000)
            #expect(r.notStarted > 0)
            #expect(r.total.closed == r.total.established)
            #expect(r.after?.tcpInUse == 0)
            #expect(try Self.leftoverParts().isEmpty)
            #expect(try Self.namespaces() == netnsBefore)
        }

        /// A supervisor killed outright (SIGKILL: no handler, no cleanup) takes its parts
        /// with it: each dies with the thread that spawned it (PR_SET_PDEATHSIG), so no
        /// part holds its connections on. The parts are seen running before the kill.
        @Test(.needsRoot) func aSupervisorKilledWithSIGKILLLeavesNoPartRunning() throws {
            #expect(try Self.leftoverParts().isEmpty, "parts of an earlier run")
            let seen = SeenParts()
            let watcher = Thread { seen.watch(for: 6) }
            watcher.start()
            let o = try TestSupport.run(["hold", "--connections", "20000", "--processes", "2", "--rate", "2000", "--hold", "20s"],
                                        timeLimit: 60, interruptAfter: 2.5, signal: SIGKILL)
            #expect(o.status == SIGKILL || o.status == 128 + SIGKILL, "status \(o.status): \(o.stderr)")
            #expect(seen.most >= 4, "two generator and two listener parts should have been running: saw \(seen.most)")
            var left = try Self.leftoverParts()
            for _ in 0..<50 where !left.isEmpty {
                usleep(100_000)
                left = try Self.leftoverParts()
            }
            #expect(left.isEmpty, "parts outlived their supervisor: \(left)")
        }

        /// How many hold parts ran at once, sampled while a hold runs.
        final class SeenParts: @unchecked Sendable {
            private let lock = NSLock()
            private var max = 0
            var most: Int { lock.withLock { max } }

            func watch(for seconds: Double) {
                let end = Date().addingTimeInterval(seconds)
                while Date() < end {
                    let n = ((try? HoldTests.leftoverParts()) ?? "").split(separator: "\n").count
                    lock.withLock { max = Swift.max(max, n) }
                    usleep(200_000)
                }
            }
        }
    }
}
