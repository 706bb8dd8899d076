@testable import ConnEngine
import ConnModel
import ConnSys
import Testing

/// A readiness driver with no sockets: what each attempt's calls answer is fixed by its
/// number, so the worker loop's accounting can be checked exactly, the way swift-nio's
/// embedded channel tests a pipeline without a network. The end-to-end tests run the same
/// loop on real sockets.
struct ScriptedDriver: SocketlessDriver, NoDescriptorCloses {
    static var engine: Engine { .epoll }
    static var submitsChains: Bool { false }

    /// Descriptor numbers handed out; nothing is ever called on them.
    var opened: Int32 = 1000

    init(capacity: Int, config: RunConfig, workerID: Int, targets: [SocketAddress]) throws(Errno) {}

    /// Every tenth socket() fails as a full descriptor table would.
    mutating func open(domain: Int32) -> Result<FileDescriptor, SiteError> {
        opened += 1
        if opened % 10 == 0 { return .failure(SiteError(site: .socket, errno: .tooManyOpenFiles)) }
        return .success(FileDescriptor(rawValue: opened))
    }

    /// By descriptor: established at once, refused at once, or never answered (a dropped
    /// SYN: it times out at its deadline, or is in flight at the end).
    func connect(_ fd: FileDescriptor, to target: SocketAddress) -> DriverOutcome {
        switch fd.rawValue % 4 {
        case 1: .failed(.connect, .connectionRefused)
        case 2: .pending
        default: .established
        }
    }

}

/// What a scripted driver does with a socket besides its connect: nothing, so each
/// script says only how its calls answer. Every connect ends inside the call or never.
protocol SocketlessDriver: ReadinessDriver {}

extension SocketlessDriver {
    mutating func settleQuickly(_ fd: FileDescriptor) -> DriverOutcome { .pending }
    func watch(_ fd: FileDescriptor, tag: UInt64) -> Errno? { nil }
    func completionTag(at k: Int) -> UInt64 { 0 }
    func outcome(at k: Int, fd: FileDescriptor) -> DriverOutcome { .pending }
    mutating func poll(timeoutNs: Int64) -> Int { 0 }
}

/// Closes and spares that touch no descriptor (they are numbers, never opened).
protocol NoDescriptorCloses: ConnectDriver {}

extension NoDescriptorCloses {
    mutating func closeLater(_ fd: FileDescriptor) {}
    mutating func flushCloses() {}
    mutating func close(_ fd: FileDescriptor) {}
    mutating func keep(_ fd: FileDescriptor, watched: Bool) -> Int32? { fd.rawValue }
    mutating func prepareSpare(domain: Int32) {}
    mutating func dropSpare() {}
}

struct ScriptedDriverTests {
    /// One worker under `Driver`, open loop at no rate limit, 8 slots, bounded by
    /// `attempts` and `durationMs`.
    static func run<Driver: ConnectDriver>(_ driver: Driver.Type = ScriptedDriver.self, attempts: Int,
                                           durationMs: UInt64, timeoutMs: UInt64) throws -> WorkerResult {
        var c = RunConfig()
        c.rate = .max
        c.durationNs = durationMs * 1_000_000
        c.timeoutNs = timeoutMs * 1_000_000
        c.concurrency = 8
        c.maxAttemptsPerWorker = UInt64(attempts)
        c.targets = [try #require(SocketAddress(ip: "127.0.0.1", port: 9))]
        let plan = WorkerPlan(id: 0, workerCount: 1, cpu: nil, targets: c.targets, config: c, place: 0, places: 1,
                              maxAttempts: c.maxAttemptsPerWorker, perWorkerIntervalNs: nil)
        var loop = try WorkerLoop<Driver>(plan: plan, ephemeral: EphemeralPorts(low: 32768, high: 60999))
        loop.run(Timeline(startNs: MonotonicClock.now(), warmupNs: 0, durationNs: c.durationNs), stop: StopFlag())
        return loop.finish(cpu: nil, pinMethod: nil, pinError: nil, cpuNs: 0, wallNs: 0)
    }

    /// Every attempt ends exactly once, each by the errno and call the driver gave it, and
    /// an attempt nobody answers is a timeout at its deadline, never lost.
    @Test func everyAttemptIsCountedOnceByHowItEnded() throws {
        let r = try Self.run(attempts: 400, durationMs: 2000, timeoutMs: 20)
        let t = r.figures.measured
        #expect(t.attempts == 400)
        #expect(t.attempts == t.established + t.failed + t.timedOut + t.inFlight, "\(t)")
        #expect(t.inFlight == 0, "the count cap ends the run once every attempt has ended: \(t)")
        let count = { (e: Errno, site: SyscallSite) in r.errors.filter { $0.errno == e.rawValue && $0.site == site }.reduce(0) { $0 + $1.count } }
        // Attempt k got descriptor 1000 + k (a failed socket() uses its number too).
        let numbers = (Int32(1001)...Int32(1400))
        let sockets = numbers.filter { $0 % 10 != 0 }
        #expect(count(.tooManyOpenFiles, .socket) == UInt64(numbers.count - sockets.count))
        #expect(count(.connectionRefused, .connect) == UInt64(sockets.filter { $0 % 4 == 1 }.count))
        #expect(t.timedOut == UInt64(sockets.filter { $0 % 4 == 2 }.count))
        #expect(count(.timedOut, .timeout) == t.timedOut)
        #expect(t.established == UInt64(sockets.filter { $0 % 4 == 0 || $0 % 4 == 3 }.count))
        #expect(t.failed == count(.tooManyOpenFiles, .socket) + count(.connectionRefused, .connect))
    }

    /// A window that ends with connects unanswered leaves them in flight, not timed out
    /// (their deadline is after the window) and not dropped.
    @Test func unansweredConnectsAtTheEndAreInFlight() throws {
        let r = try Self.run(attempts: 1_000_000, durationMs: 100, timeoutMs: 10_000)
        let t = r.figures.measured
        #expect(t.attempts == t.established + t.failed + t.timedOut + t.inFlight, "\(t)")
        #expect(t.timedOut == 0)
        #expect(t.inFlight == 8, "all 8 slots end up holding an unanswered connect: \(t)")
    }
}
