@preconcurrency import Glibc
@testable import ConnEngine
import ConnModel
import ConnSys
import Foundation
import Synchronization
import Testing

extension HeavySuites {
    /// bpftrace on a real thread's loopback connects: the kernel's counts against the
    /// thread's own, its clock against the wall time around each call. Needs root.
    @Suite(.serialized)
    struct KernelTraceTests {
        static let connects = 2000

        /// What the connecting thread saw.
        struct Seen: Sendable {
            var inProgress: UInt64 = 0
            var connected: UInt64 = 0
            var failed: UInt64 = 0
            var established: UInt64 = 0
            var wall: LatencySummary?
        }

        final class Handoff: Sendable {
            let tid = Atomic<Int32>(0)
            let go = Atomic<Bool>(false)
            let seen = Mutex(Seen())
        }

        /// Nonblocking connects, each timed, each waited on (bounded) until established and
        /// then reset, so that every SYN_SENT ends in ESTABLISHED and no TIME_WAIT piles up.
        /// A short sleep every 50 connects gives the run queue wakeups to measure.
        static func connectLoop(to address: SocketAddress, _ handoff: Handoff) {
            handoff.tid.store(ThreadID.current(), ordering: .sequentiallyConsistent)
            let giveUp = MonotonicClock.now() + 30_000_000_000
            while !handoff.go.load(ordering: .sequentiallyConsistent) && MonotonicClock.now() < giveUp { usleep(1000) }
            var seen = Seen()
            var wall = LatencyHistogram.make()
            for i in 0..<connects {
                guard let fd = try? FileDescriptor.socket(domain: AF_INET) else { seen.failed += 1; continue }
                let t0 = MonotonicClock.now()
                let start = fd.startConnect(to: address)
                wall.record(MonotonicClock.now() - t0)
                switch start {
                case .inProgress: seen.inProgress += 1
                case .connected: seen.connected += 1
                case .failed: seen.failed += 1
                }
                var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
                if (try? syscallRetryingEINTR { poll(&pfd, 1, 1000) }) == 1, (try? fd.pendingError()) == .some(nil) {
                    seen.established += 1
                }
                try? fd.setLingerZero()
                fd.closeSocket()
                if i % 50 == 49 { usleep(200) }
            }
            seen.wall = LatencySummary(wall)
            handoff.seen.withLock { $0 = seen }
        }

        static func tracefsMounts() -> Int {
            (ProcFiles.read("/proc/self/mountinfo") ?? "").split(separator: "\n").filter { $0.contains(" tracefs ") }.count
        }

        /// Both ways to tracefs: on a host without it mounted the automatic one is the private
        /// mount too; run the suite under `unshare --mount` with tracefs mounted to try the other.
        @Test(.needsRoot, .needsBpftrace,
              .timeLimit(.minutes(1)), arguments: [KernelTrace.TracefsAccess.privateMount, .automatic])
        func kernelClockAgreesWithTheThread(tracefs: KernelTrace.TracefsAccess) throws {
            let listener = try ListenerAndKernelTests.listener(threads: 1)
            defer { listener.stop() }
            let mountsBefore = Self.tracefsMounts()
            let handoff = Handoff()
            let address = listener.address
            let thread = try PosixThread.spawn { Self.connectLoop(to: address, handoff) }
            var tid: Int32 = 0
            for _ in 0..<5000 where tid == 0 {
                tid = handoff.tid.load(ordering: .sequentiallyConsistent)
                if tid == 0 { usleep(1000) }
            }
            #expect(tid != 0)
            let trace: KernelTrace
            do {
                trace = try KernelTrace.start(pid: getpid(), tids: [tid], timeLimitSeconds: 60, tracefs: tracefs)
            } catch {
                handoff.go.store(true, ordering: .sequentiallyConsistent)
                thread.join()
                Issue.record("\(error)")
                return
            }
            handoff.go.store(true, ordering: .sequentiallyConsistent)
            thread.join()
            let figures = trace.stop()
            let seen = handoff.seen.withLock { $0 }
            print("kernel trace (\(tracefs)): attached in \(trace.attachNanoseconds / 1_000_000) ms; figures \(figures); thread saw \(seen)")
            try check(figures, against: seen)
            #expect(Self.tracefsMounts() == mountsBefore, "a tracefs mount was left on the host")
        }

        /// A trace never stopped in time ends at its own limit, and says so; stopping it
        /// afterwards still reads what it printed, and a second stop changes nothing.
        @Test(.needsRoot, .needsBpftrace,
              .timeLimit(.minutes(1)))
        func boundedByItsTimeLimit() throws {
            #expect(throws: KernelTrace.Failure.noThreads) {
                try KernelTrace.start(pid: getpid(), tids: [], timeLimitSeconds: 1)
            }
            let trace = try KernelTrace.start(pid: getpid(), tids: [ThreadID.current()], timeLimitSeconds: 1)
            usleep(2_500_000)
            let began = MonotonicClock.now()
            let figures = trace.stop()
            #expect(MonotonicClock.now() - began < 2_000_000_000)
            #expect(figures.timeLimitReached)
            #expect(figures.warnings.contains { $0.contains("time limit of 1 s") }, "\(figures.warnings)")
            #expect(trace.stop() == figures)
        }

        /// A stand-in for bpftrace: a shell script with `body`, in a fresh directory.
        static func fakeTracer(_ body: String) throws -> String {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connbench-fake-bpftrace-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("bpftrace").path
            let created = FileManager.default.createFile(atPath: path, contents: Data(("#!/bin/sh\n" + body + "\n").utf8),
                                                         attributes: [.posixPermissions: 0o700])
            try #require(created)
            return path
        }

        static func removeFake(_ path: String) {
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }

        @Test(.needsRoot, .timeLimit(.minutes(1)))
        func tracerThatDiesEarlySaysWhy() throws {
            let fake = try Self.fakeTracer("echo 'ERROR: couldn'\\''t set RLIMIT_MEMLOCK' >&2; echo 'stdin:1:1-8: ERROR: no such probe' >&2; exit 1")
            defer { Self.removeFake(fake) }
            #expect(throws: KernelTrace.Failure.exitedBeforeAttaching("stdin:1:1-8: ERROR: no such probe")) {
                try KernelTrace.start(pid: getpid(), tids: [ThreadID.current()], timeLimitSeconds: 5,
                                      tracefs: .privateMount, bpftrace: fake, attachLimitSeconds: 10)
            }
        }

        /// A tracer that never attaches is killed at the limit: nothing of it is left.
        @Test(.needsRoot, .timeLimit(.minutes(1)))
        func tracerThatNeverAttachesTimesOut() throws {
            let fake = try Self.fakeTracer("echo attaching; exec sleep 300")
            defer { Self.removeFake(fake) }
            let began = MonotonicClock.now()
            #expect(throws: KernelTrace.Failure.attachTimeout(seconds: 1)) {
                try KernelTrace.start(pid: getpid(), tids: [ThreadID.current()], timeLimitSeconds: 5,
                                      tracefs: .automatic, bpftrace: fake, attachLimitSeconds: 1)
            }
            #expect(MonotonicClock.now() - began < 8_000_000_000)
            let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            #expect(!processes.contains { ProcFiles.read("/proc/\($0)/cmdline") == "sleep\u{0}300\u{0}" }, "the stand-in outlived its trace")
        }

        func check(_ figures: KernelTraceFigures, against seen: Seen) throws {
            #expect(figures.warnings.isEmpty, "\(figures.warnings)")
            #expect(figures.connectReturns[-115, default: 0] == seen.inProgress)
            #expect(figures.connectReturns[0, default: 0] == seen.connected)
            #expect(figures.connectReturns.values.reduce(0, +) == UInt64(Self.connects))
            #expect(figures.synSent == UInt64(Self.connects))
            #expect(figures.handshakes >= seen.established * 98 / 100 && figures.handshakes <= figures.synSent,
                    "handshakes \(figures.handshakes), established \(seen.established)")
            let call = try #require(figures.call)
            let wall = try #require(seen.wall)
            #expect(call.count == UInt64(Self.connects))
            // The kernel's time is inside the wall time: at most it plus the buckets' 0.5 %
            // and a microsecond for the clock reads; and not absurdly below it.
            #expect(Double(call.p50) <= Double(wall.p50) * 1.005 + 1000, "kernel p50 \(call.p50) ns, wall p50 \(wall.p50) ns")
            #expect(call.p50 * 10 >= wall.p50, "kernel p50 \(call.p50) ns, wall p50 \(wall.p50) ns")
            let runQueue = try #require(figures.runQueue)
            #expect(runQueue.count > 0)
        }
    }
}
