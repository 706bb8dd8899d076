import ConnEngine
import ConnModel
import Glibc
import SystemPackage
import ConnReport
import ConnSys
import Testing

extension HeavySuites {
    /// Runs of the real engine against real loopback sockets. Serialized: they measure rates
    /// and latencies, and two at once on a 2-core machine would disturb each other.
    @Suite(.serialized)
    struct EngineRunTests {
        @Test func openLoopAt2000PerSecondFor2sMakes4000AttemptsWithin2Percent() throws {
            var c = TestSupport.config(rate: .fixed(perSecond: 2000), duration: "2s", workers: 2)
            c.close = .rst
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.attempts >= 3920 && r.tally.attempts <= 4080, "attempts \(r.tally.attempts)")
            #expect(r.scheduled == 4000)
            #expect(r.tally.established > 3900)
            #expect(r.verdict.held == true, "\(r.verdict.line)")
            #expect(r.verdict.line.hasPrefix("verdict: rate held"))
            #expect(r.latency.count == r.tally.established)
            #expect(r.listener?.accepted ?? 0 >= r.tally.established)
        }

        @Test(arguments: [CloseMode.fin, CloseMode.rst], TestSupport.engines)
        func closedLoopAgainstBuiltInListenerEstablishesAndBalances(close: CloseMode, engine: EngineChoice) throws {
            var c = TestSupport.config(rate: .max, duration: "1s", workers: 2)
            c.close = close
            c.engine = engine
            c.concurrency = 16
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.established > 1000)
            #expect(r.errors.isEmpty, "\(r.errors)")
            #expect(r.verdict.held == nil)
            #expect(r.verdict.line.hasPrefix("verdict: closed loop"))
            #expect(r.settings.contains(.init("close", close.rawValue)))
            #expect(r.settings.contains(.init("engine", engine.rawValue)))
        }

        @Test(arguments: TestSupport.engines)
        func connectsToAClosedPortAreCountedAsECONNREFUSED(engine: EngineChoice) throws {
            let port = try TestSupport.closedPort()
            var c = TestSupport.config(rate: .fixed(perSecond: 500), duration: "1s")
            c.engine = engine
            c.targets = [SocketAddress(ip: "127.0.0.1", port: port)!]
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.attempts >= 490)
            #expect(r.tally.established == 0)
            let refused = r.errors.filter { $0.name == "ECONNREFUSED" }
            #expect(refused.reduce(0) { $0 + $1.count } == r.tally.failed)
            #expect(r.tally.failed + r.tally.inFlight == r.tally.attempts)
            #expect(refused.allSatisfy { $0.site == .connect || $0.site == .soError })
            #expect(r.firstError?.firstAttempt == 1)
            #expect(r.verdict.causeKind == .failures, "\(r.verdict.line)")
            #expect(r.verdict.cause?.contains("refused") == true, "\(r.verdict.line)")
        }

        @Test(arguments: TestSupport.engines)
        func aListenerThatNeverAcceptsWithATinyBacklogProducesCountedTimeouts(engine: EngineChoice) throws {
            var lc = ListenerConfig()
            lc.accepts = false
            lc.backlog = 1
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .fixed(perSecond: 100), duration: "1500ms")
            c.engine = engine
            c.targets = [listener.address]
            c.timeoutNs = 200_000_000
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.timedOut > 50, "timed out \(r.tally.timedOut) of \(r.tally.attempts)")
            #expect(r.tally.established <= 4, "only the backlog's few can complete")
            let row = r.errors.first { $0.site == .timeout }
            #expect(row?.name == "ETIMEDOUT")
            #expect(r.intervals.reduce(0) { $0 + $1.timedOut } == r.tally.timedOut + r.warmup.timedOut)
            // The series files connbench's timeouts under their own key, never as the
            // kernel's ETIMEDOUT (which no connect here returned).
            #expect(r.intervals.reduce(0) { $0 + ($1.errors[.timeout] ?? 0) } == r.tally.timedOut + r.warmup.timedOut)
            #expect(r.intervals.allSatisfy { $0.errors[.errno(.timedOut)] == nil }, "\(r.intervals.map(\.errors))")
            // At 100/s with every connect pending the worker has nothing to do but wait:
            // it sleeps in its poll. (io_uring once woke for a scan it never does, and spun.)
            for w in r.workers { #expect(w.cpuUtilization < 0.5, "worker \(w.id) busy \(w.cpuUtilization)") }
            if engine == .ioUring {
                // A loopback connect carries no LINK_TIMEOUT: each one still pending after
                // its submission got its timer then, and that timer is what ended it.
                let t = try #require(r.uringTimers)
                #expect(t.linked == 0, "\(t)")
                #expect(t.deferred == r.tally.attempts + r.warmup.attempts, "\(t) vs \(r.tally)")
                #expect(t.armed >= r.tally.timedOut + r.warmup.timedOut && t.armed <= t.deferred, "\(t) vs \(r.tally)")
            } else {
                #expect(r.uringTimers == nil)
            }
        }

        @Test(arguments: TestSupport.engines)
        func twoTargetsOneRefusedSplitRoundRobinAndStillBalance(engine: EngineChoice) throws {
            let port = try TestSupport.closedPort()
            var lc = ListenerConfig()
            lc.threads = 1
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .fixed(perSecond: 1000), duration: "1s")
            c.engine = engine
            c.targets = [listener.address, SocketAddress(ip: "127.0.0.1", port: port)!]
            c.close = .rst
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let refused = r.errors.filter { $0.name == "ECONNREFUSED" }.reduce(0) { $0 + $1.count }
            #expect(refused >= 480 && refused <= 520, "refused \(refused)")
            #expect(r.tally.established >= 480 && r.tally.established <= 520)
        }

        @Test(arguments: TestSupport.engines)
        func warmupIsExcludedFromTheFiguresButAccountedForSeparately(engine: EngineChoice) throws {
            var c = TestSupport.config(rate: .fixed(perSecond: 1000), duration: "1s")
            c.engine = engine
            c.warmupNs = 500_000_000
            c.close = .rst
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.warmup.attempts >= 490 && r.warmup.attempts <= 510)
            #expect(r.tally.attempts >= 990 && r.tally.attempts <= 1010)
            #expect(r.intervals.first?.warmup == true)
        }

        @Test(arguments: TestSupport.engines)
        func aStopRequestEndsTheRunEarlyAndTheReportSaysInterrupted(engine: EngineChoice) throws {
            let stop = StopFlag()
            var c = TestSupport.config(rate: .fixed(perSecond: 1000), duration: "20s")
            c.engine = engine
            let stopper = try PosixThread.spawn {
                var ts = timespec(tv_sec: 0, tv_nsec: 400_000_000)
                nanosleep(&ts, nil)
                stop.stop()
            }
            let r = try BenchmarkRunner.run(c, stop: stop)
            stopper.join()
            TestSupport.expectBalanced(r)
            #expect(r.interrupted)
            #expect(r.measuredSeconds < 2)
            #expect(r.tally.attempts > 100)
            #expect(r.verdict.line.contains("interrupted"))
        }

        @Test(arguments: TestSupport.engines)
        func ipv6LoopbackListenerAndTargetWork(engine: EngineChoice) throws {
            var c = TestSupport.config(rate: .fixed(perSecond: 500), duration: "500ms")
            c.engine = engine
            c.listener.address = SocketAddress(ip: "::1", port: 0)!
            c.close = .rst
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.listener?.address.hasPrefix("[::1]:") == true)
            #expect(r.tally.established >= 240)
        }
    }
}
