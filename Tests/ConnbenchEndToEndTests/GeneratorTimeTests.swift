import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing

/// Issue 19's "What was seen", each held down by a run that fails on a generator that
/// reports its own scheduling as connect()'s cost, or a stall as a held rate.
extension HeavySuites {
    @Suite(.serialized)
    struct GeneratorTimeTests {

        /// One worker on `cpu`, closed loop, RST close, in a fresh namespace; the built-in
        /// listener on `listenerCPU` with one thread.
        static func closedLoop(cpu: Int, listenerCPU: Int, duration: String = "2s", traceKernel: Bool = false) throws -> RunReport {
            var c = TestSupport.config(rate: .max, duration: duration, workers: 1)
            c.cpus = [cpu]
            c.close = .rst
            c.listener.cpus = [listenerCPU]
            c.listener.threads = 1
            c.traceKernel = traceKernel
            c.isolation = Isolation(netns: true, sysctls: [])
            return try BenchmarkRunner.run(c)
        }

        static var cpus: [Int] { (try? CPUAffinity.allowedCPUs()) ?? [0] }

        /// Seen 1: with the built-in listener's thread on the worker's CPU, the wall time
        /// around connect() had a p99.9 ten times the kernel's. The sampled calls less the
        /// worker's CPU wait stay near the kernel's own clock, and the wait is reported.
        @Test(.needsRoot, .needsTwoCPUs(cpus), .needsBpftrace)
        func connectLessTheWaitAgreesWithTheKernelsClockWhenTheListenerSharesTheCPU() throws {
            let r = try Self.closedLoop(cpu: Self.cpus[0], listenerCPU: Self.cpus[0], duration: "3s", traceKernel: true)
            TestSupport.expectBalanced(r)
            let g = try #require(r.generatorTime)
            let running = try #require(g.callRunning)
            let kernel = try #require(r.kernelTrace?.call)
            #expect(g.cpuWaitShare > 0, "\(g)")
            #expect(g.sharedCPUs == [Self.cpus[0]], "\(g.sharedCPUs)")
            #expect(running.count * 20 >= r.connectCall.count, "1 in 16 sampled: \(running.count) of \(r.connectCall.count)")
            // 6 µs on a release build (issue 19's acceptance, measured by hand); a debug
            // build's syscall wrapper inside the timed window costs a few µs more.
            let p50Gap = abs(Double(running.p50) - Double(kernel.p50)) / 1000
            #expect(p50Gap <= 10, "running p50 \(running.p50) ns, kernel p50 \(kernel.p50) ns")
            // Release: 1.5× the kernel's p99.9 + 30 µs (measured by hand, issue 19's bound). A
            // debug build's ~3.5k samples put a few µs of wrapper in each: 2× + 100 µs, still a
            // tenth of the ~1 ms wall-clock p99.9 this layout gave before the wait was taken out.
            #expect(Double(running.p999) <= 2 * Double(kernel.p999) + 100_000,
                    "running p99.9 \(running.p999) ns, kernel p99.9 \(kernel.p999) ns (wall \(r.connectCall.p999) ns)")
            let text = TextReporter.render(r)
            #expect(text.contains("placement: the built-in listener's 1 thread(s) share CPU \(Self.cpus[0])"), "\(text)")
            #expect(text.contains("connect() call, running (1 in 16)"))
        }

        /// The same without bpftrace: the running row is never above the wall-clock row,
        /// and with the listener elsewhere the wait is small and no CPU is shared.
        @Test(.needsRoot, .needsTwoCPUs(cpus))
        func runningRowsNeverExceedTheWallClockAndTheLayoutIsNamed() throws {
            let apart = try Self.closedLoop(cpu: Self.cpus[0], listenerCPU: Self.cpus[1])
            let shared = try Self.closedLoop(cpu: Self.cpus[0], listenerCPU: Self.cpus[0])
            for r in [apart, shared] {
                let g = try #require(r.generatorTime)
                let running = try #require(g.callRunning)
                // Two populations: 1 call in 16 against all of them. Each sampled call comes
                // right after a schedstat read, with colder caches, so its median may sit a
                // little above the whole's (19.6 against 17.3 µs once in a suite run, debug).
                #expect(Double(running.p50) <= 1.15 * Double(r.connectCall.p50) + 2_000, "\(running) vs \(r.connectCall)")
                #expect(r.intervals.contains { ($0.cpuWaitPct ?? -1) >= 0 && $0.preemptions != nil })
                #expect(r.workers.allSatisfy { $0.cpuWaitShare != nil && $0.preemptions != nil })
            }
            let apartTime = try #require(apart.generatorTime)
            let sharedTime = try #require(shared.generatorTime)
            #expect(apartTime.sharedCPUs.isEmpty)
            #expect(sharedTime.cpuWaitShare > apartTime.cpuWaitShare, "sharing the worker's CPU with the listener must cost it CPU wait")
            let csv = CSV.parse(CSVReporter.summary(shared))
            let row = Dictionary(zip(csv[0], csv[1]), uniquingKeysWith: { a, _ in a })
            for column in ["cpu_wait_pct", "preemptions", "call_running_p50_us", "call_running_p99_us", "call_running_p999_us"] {
                #expect(!(row[column] ?? "").isEmpty, "\(column) empty")
            }
            let log = HistogramLogReporter.render(try #require(shared.intervalHistograms))
            #expect(log.contains("Tag=call-running,"))
        }

        /// A CPU hog pinned to the worker's CPU: the worker waits for it, and the verdict
        /// says so in those words.
        @Test(.needsRoot, .needsTwoCPUs(cpus))
        func aCPUHogOnTheWorkersCPUIsNamedAsAWaitForACPU() throws {
            let cpu = Self.cpus[0]
            // A busy thread pinned to the worker's CPU, bounded in time, joined before the end.
            let stop = StopFlag()
            let hog = try PosixThread.spawn {
                _ = try? CPUAffinity.pinCurrentThread(to: cpu)
                let end = MonotonicClock.now() + 8_000_000_000
                while !stop.isStopped && MonotonicClock.now() < end {}
            }
            defer { stop.stop(); hog.join() }
            // Closed loop: a worker that is always runnable competes for the CPU all the time
            // (at a low open-loop rate the scheduler lets a mostly sleeping thread preempt
            // the hog on each wake-up, and the wait stays small).
            var c = TestSupport.config(rate: .max, duration: "1500ms", workers: 1)
            c.cpus = [cpu]
            c.close = .rst
            c.listener.cpus = [Self.cpus[1]]
            c.isolation = Isolation(netns: true, sysctls: [])
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let g = try #require(r.generatorTime)
            #expect(g.cpuWaitShare >= 0.10, "cpu wait \(g.cpuWaitShare)")
            #expect(r.verdict.line.contains("waited for a CPU") || r.verdict.line.contains("waiting for a CPU"), "\(r.verdict.line)")
        }

        /// Seen 2: a generator stopped for 500 ms at 2000/s got a correct corrected p99 but
        /// a bare "rate held". The verdict names the stall and its length.
        @Test(.needsRoot)
        func aStoppedGeneratorIsNamedWithTheLengthOfItsStall() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TestSupport.binary)
            p.arguments = ["--netns", "--rate", "2000", "--duration", "3s", "--quiet", "--output", dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(1_500_000)
            kill(p.processIdentifier, SIGSTOP)
            usleep(500_000)
            kill(p.processIdentifier, SIGCONT)
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { usleep(50_000) }
            if p.isRunning { p.terminate() }
            #expect(p.terminationStatus == 0)
            let report = try ReportJSON.parse(try String(contentsOfFile: dir + "/report.json", encoding: .utf8))
            let stall = try #require(report.generatorTime?.longestStall, "no stall in \(report.verdict.line)")
            #expect(abs(stall.seconds - 0.5) <= 0.05, "stall \(stall.seconds) s")
            #expect(stall.cause == .notRunning, "\(stall)")
            #expect(report.verdict.line.contains("generator stalled \(Int((stall.seconds * 1000).rounded())) ms"), "\(report.verdict.line)")
        }

        /// io_uring's connects never enter the connect() syscall: the kernel clock says so,
        /// and still times every handshake of the workers and their run queue.
        @Test(.needsRoot, .needsBpftrace)
        func theKernelClockOnIoUringHasHandshakesAndNoConnectCall() throws {
            var c = TestSupport.config(rate: .max, duration: "1s", workers: 1)
            c.engine = .ioUring
            c.close = .rst
            c.traceKernel = true
            c.isolation = Isolation(netns: true, sysctls: [])
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let k = try #require(r.kernelTrace)
            #expect((k.call?.count ?? 0) == 0, "\(k)")
            let established = r.tally.established + r.warmup.established
            #expect(k.handshakes >= established * 95 / 100 && k.synSent >= k.handshakes, "\(k.handshakes) handshakes, \(established) established")
            #expect((k.runQueue?.count ?? 0) > 0)
            #expect(TextReporter.render(r).contains("connect() syscall: none on io_uring"))
        }

        /// `--trace-kernel` without bpftrace is one line and no run, never a run without it.
        @Test func traceKernelWithoutBpftraceIsAOneLineErrorAndNoRun() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--rate", "500", "--duration", "300ms", "--workers", "1", "--trace-kernel", "--output", dir],
                                        shell: "env PATH=/nonexistent")
            TestSupport.expectOneLineError(o, naming: "bpftrace")
            #expect(!FileManager.default.fileExists(atPath: dir + "/summary.txt"))
        }

        /// A listener with backlog 1 on the worker's CPU drops SYNs: the connects that needed
        /// a retransmit are counted from TCP_INFO, and agree with the ~1 s step of the
        /// histogram. At 10000/s, not the 4000/s of the issue: there the listener mostly
        /// keeps up, and 2 s runs saw 3–11 retransmits (once none), at 10000/s over 1000.
        @Test(.needsRoot)
        func synRetransmitsAreCountedAndAgreeWithTheOneSecondStep() throws {
            var c = TestSupport.config(rate: .fixed(perSecond: 10000), duration: "2s", workers: 1)
            c.cpus = [Self.cpus[0]]
            c.listener.cpus = [Self.cpus[0]]
            c.listener.backlog = 1
            c.isolation = Isolation(netns: true, sysctls: [])
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            // The established ones among the connects that retransmitted: those are the
            // histogram's (the others timed out or were still in flight at the end).
            let d = try #require(r.synRetransmitDetail)
            let syn = d.established
            #expect(r.synRetransmits == d.connects)
            let slow = r.histograms.service.count(within: 900_000_000...LatencyHistogram.highestNs)
            #expect(syn > 0, "no SYN retransmit: \(r.verdict.line)")
            #expect(abs(Double(syn) - Double(slow)) <= 0.2 * Double(Swift.max(syn, slow)), "syn \(syn), connects ≥ 0.9 s \(slow); \(d)")
            // The series ends with the window; connects that complete in the drain after it
            // are in the total only.
            #expect(r.intervals.reduce(0) { $0 + ($1.synRetransmits ?? 0) } > 0)
            #expect(r.verdict.line.contains("SYN retransmit"), "\(r.verdict.line)")
        }
    }
}
