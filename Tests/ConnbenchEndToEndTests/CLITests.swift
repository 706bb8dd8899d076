import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// The real binary: what a user types, what a script reads.
    @Suite(.serialized)
    struct CLITests {
        @Test(arguments: [
            (["--rate", "0"], "--rate"),
            (["--rate", "-5"], "--rate"),
            (["--rate", "fast"], "--rate"),
            (["--cpus", "99"], "--cpus"),
            (["--cpus", "0-63"], "--cpus"),
            (["--cpus", "x"], "--cpus"),
            (["--cpus", "node:9"], "--cpus"),
            (["--target", "nonsense"], "--target"),
            (["--target", "127.0.0.1:0"], "--target"),
            (["--target", "127.0.0.1:70000"], "--target"),
            (["--duration", "0s"], "--duration"),
            (["--duration", "soon"], "--duration"),
            (["--concurrency", "0"], "--concurrency"),
            (["--close", "maybe"], "--close"),
            (["--workers", "0"], "--workers"),
            (["--port-range", "9-1"], "--port-range"),
            (["--output", "/proc/connbench-cannot-write"], "--output"),
            (["--no-such-flag"], "--no-such-flag"),
            (["--sysctl", "net.ipv4.tcp_tw_reuse=0"], "--sysctl"),
            (["--netns", "--sysctl", "kernel.panic=1"], "--sysctl"),
            (["--netns", "--sysctl", "net.ipv4.tcp_tw_reuse"], "--sysctl"),
            (["exhaust", "--port-range", "100-200"], "--port-range"),
            (["--uring-socket", "syscalls"], "--uring-socket"),
            (["--engine", "io_uring", "--uring-socket", "sometimes"], "--uring-socket"),
        ])
        func invalidInputGivesOneLineNamingTheFlagAndNonZeroExit(arguments: [String], flag: String) throws {
            TestSupport.expectOneLineError(try TestSupport.run(arguments, timeLimit: 30), naming: flag)
        }

        /// A tunable the kernel does not have is only found writing it, inside the run's
        /// own namespace: the line still names the flag.
        @Test(.needsRoot)
        func anUnknownTunableIsNamedWithItsFlag() throws {
            let o = try TestSupport.run(["--netns", "--sysctl", "net.ipv4.no_such_tunable=1", "--duration", "100ms"], timeLimit: 30)
            TestSupport.expectOneLineError(o, naming: "--sysctl")
        }

        @Test func aRunWritesAllItsFilesAndPrintsTheReport() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--rate", "500", "--duration", "500ms", "--workers", "1", "--output", dir])
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("verdict: rate held"))
            for f in ["summary.txt", "summary.csv", "timeseries.csv", "errors.csv", "latency.hlog",
                      "latency-corrected.hgrm", "latency-service.hgrm", "latency-call.hgrm"] {
                #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "missing \(f)")
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }

        @Test(arguments: ["epoll", "io_uring"])
        func ctrlCStopsTheRunAndStillWritesTheReport(engine: String) throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--rate", "1000", "--duration", "30s", "--workers", "1", "--engine", engine, "--output", dir],
                                        timeLimit: 20, interruptAfter: 1.0)
            #expect(o.status == 0, "\(o.stderr)")
            let csv = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
            let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let row = Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1]))
            #expect(row["interrupted"] == "true")
            let attempts = UInt64(row["attempts"]!)!
            #expect(attempts > 100)
            #expect(attempts == ["established", "failed", "timed_out", "in_flight"].map { UInt64(row[$0]!)! }.reduce(0, +))
            #expect(o.stdout.contains("interrupted"))
            #expect(o.stdout.contains("engine=\(engine)\n"), "the run said which engine it ran on")
        }

        @Test func tooFewFileDescriptorsAreCountedAsEMFILENotFatal() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--rate", "max", "--duration", "500ms", "--workers", "1", "--concurrency", "64",
                                         "--max-attempts", "5000", "--listener-threads", "1", "--output", dir], shell: "ulimit -n 10 && exec")
            #expect(o.status == 0, "\(o.stderr)")
            let errors = try String(contentsOfFile: dir + "/errors.csv", encoding: .utf8)
            #expect(errors.contains("EMFILE,socket,"), "\(errors)")
        }

        @Test func listenSubcommandRequiresAPortAndServesUntilItsDuration() throws {
            let bad = try TestSupport.run(["listen"], timeLimit: 10)
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--port"))
            let port = try TestSupport.closedPort()
            let ok = try TestSupport.run(["listen", "--port", String(port), "--duration", "300ms"], timeLimit: 10)
            #expect(ok.status == 0, "\(ok.stderr)")
            // Its side report, `accepted=N` first. N is not asserted: a test running beside
            // this one may aim its refused connects at the same closed port it was given.
            #expect(ok.stdout.split(separator: "\n").first?.hasPrefix("accepted=") == true, "\(ok.stdout)")
        }
    }
}
