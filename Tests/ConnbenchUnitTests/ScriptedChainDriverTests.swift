@testable import ConnEngine
import ConnModel
import ConnSys
import Testing

/// A completion driver with no ring: each attempt's chain ends as its number says, in the
/// completions io_uring would post, so the loop's completion side (chains, broken chains,
/// the kernel's deadline, stale completions of a reused slot) is checked exactly. The
/// end-to-end tests run the same loop on a real ring.
struct ScriptedChainDriver: CompletionDriver, NoDescriptorCloses {
    static var engine: Engine { .ioUring }
    static var submitsChains: Bool { true }

    let timeoutNs: UInt64
    var submitted: Int32 = 1000
    /// Completions the next poll returns, and those the last one returned.
    var ready: [ChainCompletion] = []
    var reaped: [ChainCompletion] = []
    /// Connects nobody answers: the kernel's timer cancels each at its deadline.
    var unanswered: [(tag: UInt64, deadlineNs: UInt64)] = []

    init(capacity: Int, config: RunConfig, workerID: Int, targets: [SocketAddress]) throws(Errno) {
        timeoutNs = config.timeoutNs
    }

    /// By attempt number: socket() made by a syscall fails at once (every tenth); the
    /// chain's bind fails and the kernel cancels its connect (every tenth, offset five);
    /// else the connect is refused, never answered, or established.
    mutating func submit(slot: Int, tag: UInt64, target: Int) -> SiteError? {
        submitted += 1
        let n = submitted
        if n % 10 == 0 { return SiteError(site: .socket, errno: .tooManyOpenFiles) }
        if n % 10 == 5 {
            ready.append(ChainCompletion(tag: tag, step: .bind, result: -Errno.addressInUse.rawValue))
            ready.append(ChainCompletion(tag: tag, step: .connect, result: -Errno.canceled.rawValue))
            return nil
        }
        switch n % 4 {
        case 1: ready.append(ChainCompletion(tag: tag, step: .connect, result: -Errno.connectionRefused.rawValue))
        case 2: unanswered.append((tag, MonotonicClock.now() + timeoutNs))
        default: ready.append(ChainCompletion(tag: tag, step: .connect, result: 0))
        }
        return nil
    }

    mutating func poll(timeoutNs: Int64) -> Int {
        let now = MonotonicClock.now()
        for u in unanswered where u.deadlineNs <= now {
            ready.append(ChainCompletion(tag: u.tag, step: .connect, result: -Errno.canceled.rawValue))
        }
        unanswered.removeAll { $0.deadlineNs <= now }
        reaped = ready
        ready = []
        return reaped.count
    }

    func chainCompletion(at k: Int) -> ChainCompletion { reaped[k] }
    mutating func chainBroke(slot: Int) {}
}

struct ScriptedChainDriverTests {
    /// Every chain ends exactly once: a socket() that failed before submission, a broken
    /// chain by the step that broke it (its connect's cancel is a stale completion, not a
    /// second ending), a refused connect, a timeout at the kernel's deadline.
    @Test func everyChainIsCountedOnceByTheStepThatEndedIt() throws {
        let r = try ScriptedDriverTests.run(ScriptedChainDriver.self, attempts: 400, durationMs: 2000, timeoutMs: 20)
        let t = r.figures.measured
        #expect(t.attempts == 400)
        #expect(t.attempts == t.established + t.failed + t.timedOut + t.inFlight, "\(t)")
        #expect(t.inFlight == 0, "the count cap ends the run once every attempt has ended: \(t)")
        let count = { (e: Errno, site: SyscallSite) in r.errors.filter { $0.errno == e.rawValue && $0.site == site }.reduce(0) { $0 + $1.count } }
        let numbers = Int32(1001)...Int32(1400)
        let chains = numbers.filter { $0 % 10 != 0 && $0 % 10 != 5 }
        #expect(count(.tooManyOpenFiles, .socket) == UInt64(numbers.filter { $0 % 10 == 0 }.count))
        #expect(count(.addressInUse, .bind) == UInt64(numbers.filter { $0 % 10 == 5 }.count))
        #expect(count(.connectionRefused, .connect) == UInt64(chains.filter { $0 % 4 == 1 }.count))
        #expect(t.timedOut == UInt64(chains.filter { $0 % 4 == 2 }.count))
        #expect(count(.timedOut, .timeout) == t.timedOut)
        #expect(count(.canceled, .connect) == 0, "a broken chain's cancelled connect is not an ending of its own")
        #expect(t.established == UInt64(chains.filter { $0 % 4 == 0 || $0 % 4 == 3 }.count))
        #expect(t.failed == count(.tooManyOpenFiles, .socket) + count(.addressInUse, .bind) + count(.connectionRefused, .connect))
    }

    /// Chains still unanswered when the window and its drain end are in flight: their
    /// deadline is after the window, so the kernel's cancel never came.
    @Test func unansweredChainsAtTheEndAreInFlight() throws {
        let r = try ScriptedDriverTests.run(ScriptedChainDriver.self, attempts: 1_000_000, durationMs: 100, timeoutMs: 10_000)
        let t = r.figures.measured
        #expect(t.attempts == t.established + t.failed + t.timedOut + t.inFlight, "\(t)")
        #expect(t.timedOut == 0)
        #expect(t.inFlight == 8, "all 8 slots end up holding an unanswered chain: \(t)")
    }
}
