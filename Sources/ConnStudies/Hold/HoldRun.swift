@preconcurrency import Glibc
import ConnSys
import Histogram
import ConnModel
import ConnEngine

/// What one generator part of a hold does.
package struct HoldPartConfig: Sendable {
    package var part: Int
    package var parts: Int
    /// Connections over all parts: part k makes the global attempts k, k + parts, …
    package var connections: Int
    /// Connects per second over all parts: global attempt g is due at go + g / rate.
    package var ratePerSecond: Double
    package var step: Int
    package var sources: [SocketAddress]
    package var targets: [SocketAddress]
    package var timeoutNs: UInt64
    package var buildLimitNs: UInt64

    package init(part: Int, parts: Int, connections: Int, ratePerSecond: Double, step: Int,
                sources: [SocketAddress], targets: [SocketAddress], timeoutNs: UInt64, buildLimitNs: UInt64) {
        self.part = part; self.parts = parts; self.connections = connections; self.ratePerSecond = ratePerSecond
        self.step = step; self.sources = sources; self.targets = targets; self.timeoutNs = timeoutNs
        self.buildLimitNs = buildLimitNs
    }

    package var planned: Int { (connections - part + parts - 1) / parts }
}

/// One process's part of `connbench hold`: opens its connections on schedule, keeps them,
/// and closes them all with RST.
///
/// A simpler loop than ``WorkerLoop``: the goal is to hold, not to find a ceiling. Each
/// attempt's state sits in arrays indexed by the attempt, allocated up front, so the
/// connect path allocates nothing and takes no lock; epoll tags are attempt indices, and
/// a connect still pending is registered one-shot, so a held connection never wakes the
/// loop again. Attempts start in order, so the oldest pending one is the next to time
/// out, and one cursor finds every timeout.
///
/// Every socket gets SO_LINGER {1, 0} before its connect: the close at the end sends RST,
/// and nothing is left in TIME_WAIT (the namespace goes away with the run anyway).
package final class HoldRun {
    package let config: HoldPartConfig
    private let planned: Int
    private let fds: UnsafeMutablePointer<Int32>
    private let state: UnsafeMutablePointer<UInt8>
    private let callStart: UnsafeMutablePointer<UInt64>
    private let epoll: Epoll
    private let events = EpollEventBuffer(capacity: 256)
    private let errors = ErrorTable()
    private var latency: [Histogram<UInt64>]
    private var service: [Histogram<UInt64>]
    private var result: HoldPartResult
    private let nsPerAttempt: Double
    private var goNs: UInt64 = 0
    private var nextSource = 0
    private var nextTarget = 0

    private static let free: UInt8 = 0, pending: UInt8 = 1, open: UInt8 = 2, over: UInt8 = 3
    private static let controlTag = UInt64.max
    /// Failures in a row that end the build: a limit is hit, and it is not going away.
    static let failureStreakLimit = 64
    static let lateThresholdNs: UInt64 = 1_000_000

    package init(config: HoldPartConfig) throws(Errno) {
        self.config = config
        planned = config.planned
        epoll = try Epoll()
        fds = .allocate(capacity: Swift.max(1, planned))
        fds.initialize(repeating: -1, count: Swift.max(1, planned))
        state = .allocate(capacity: Swift.max(1, planned))
        state.initialize(repeating: Self.free, count: Swift.max(1, planned))
        callStart = .allocate(capacity: Swift.max(1, planned))
        callStart.initialize(repeating: 0, count: Swift.max(1, planned))
        let buckets = (config.connections + config.step - 1) / config.step
        latency = (0..<buckets).map { _ in LatencyHistogram.make() }
        service = (0..<buckets).map { _ in LatencyHistogram.make() }
        result = HoldPartResult(part: config.part, planned: planned)
        nsPerAttempt = 1e9 / config.ratePerSecond
    }

    deinit {
        closeAll()
        fds.deallocate()
        state.deallocate()
        callStart.deallocate()
    }

    @inline(__always)
    private func globalIndex(_ i: Int) -> Int { i * config.parts + config.part }

    @inline(__always)
    private func intended(_ i: Int) -> UInt64 { goNs + UInt64(Double(globalIndex(i)) * nsPerAttempt) }

    /// Builds up from `go` (a CLOCK_MONOTONIC time shared by all parts). `control` is
    /// watched with the sockets; when it turns readable `shouldStop` is asked (it reads the
    /// supervisor's line) and a true answer ends the build-up.
    package func build(go: UInt64, control: FileDescriptor?, shouldStop: () -> Bool) {
        goNs = go
        result.goNs = go
        if let control { _ = try? epoll.add(control, events: Epoll.readable, tag: Self.controlTag) }
        let deadline = go + config.buildLimitNs
        var next = 0, oldest = 0, pendingCount = 0, streak = 0
        var stop = HoldBuildStop.complete
        loop: while true {
            var now = MonotonicClock.now()
            if now >= deadline { stop = .deadline; break }
            var started = 0
            while next < planned && started < 64 && intended(next) <= now {
                if now - intended(next) > Self.lateThresholdNs { result.lateStarts += 1 }
                switch start(next) {
                case .established: streak = 0
                case .pending: pendingCount += 1; streak = 0
                case .failed: streak += 1
                }
                next += 1
                started += 1
                if streak >= Self.failureStreakLimit { stop = .limit; break }
                now = MonotonicClock.now()
            }
            if stop == .limit { break }
            while oldest < next {
                if state[oldest] != Self.pending { oldest += 1; continue }
                let due = intended(oldest) + config.timeoutNs
                if due > now { break }
                expire(oldest, at: due)
                pendingCount -= 1
                oldest += 1
            }
            if next == planned && pendingCount == 0 { break }
            var waitNs: Int64 = 50_000_000
            if started == 64 { waitNs = 0 }
            if next < planned { waitNs = Swift.min(waitNs, Int64(intended(next)) - Int64(now)) }
            if oldest < next { waitNs = Swift.min(waitNs, Int64(intended(oldest) + config.timeoutNs) - Int64(now)) }
            let n = (try? epoll.wait(into: events, timeoutNanoseconds: Swift.max(0, waitNs))) ?? 0
            for e in 0..<n {
                let tag = events.tag(at: e)
                if tag == Self.controlTag {
                    if shouldStop() { stop = .interrupted; break loop }
                    continue
                }
                let i = Int(tag)
                guard i < planned, state[i] == Self.pending else { continue }
                pendingCount -= 1
                settle(i, flags: events.flags(at: e))
            }
        }
        if let control { _ = try? epoll.remove(control) }
        // Whatever is still connecting: in flight after an interrupt; after a limit or the
        // deadline they are given until their own timeout like any other attempt.
        if stop == .interrupted {
            for i in oldest..<next where state[i] == Self.pending {
                FileDescriptor(rawValue: fds[i]).closeSocket()
                fds[i] = -1
                state[i] = Self.over
                result.inFlight += 1
            }
        } else {
            drain(from: oldest, upTo: next)
        }
        result.stop = stop
        result.builtNs = MonotonicClock.now()
    }

    /// After a limit or the deadline: waits out the pending connects (each to its timeout).
    private func drain(from first: Int, upTo end: Int) {
        for i in first..<end where state[i] == Self.pending {
            let due = intended(i) + config.timeoutNs
            while state[i] == Self.pending {
                let now = MonotonicClock.now()
                if now >= due { expire(i, at: due); break }
                let n = (try? epoll.wait(into: events, timeoutNanoseconds: Int64(due - now))) ?? 0
                for e in 0..<n {
                    let j = Int(events.tag(at: e))
                    if j < planned, state[j] == Self.pending { settle(j, flags: events.flags(at: e)) }
                }
            }
        }
    }

    private enum StartOutcome { case established, pending, failed }

    /// socket, SO_LINGER 0, IP_BIND_ADDRESS_NO_PORT, bind(source, 0), connect: the
    /// port is chosen per 4-tuple by connect, so a source's ports are shared across the
    /// listener ports.
    @inline(__always)
    private func start(_ i: Int) -> StartOutcome {
        result.attempts += 1
        let g = UInt64(globalIndex(i))
        let fd: FileDescriptor
        do { fd = try FileDescriptor.socket(domain: AF_INET) } catch { return fail(i, .socket, error, g) }
        do throws(Errno) {
            try fd.setLingerZero()
            try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.bindAddressNoPort, value: Int32(1))
        } catch {
            fd.closeSocket()
            return fail(i, .setsockopt, error, g)
        }
        let source = config.sources[nextSource]
        nextSource += 1
        if nextSource == config.sources.count {
            nextSource = 0
            nextTarget += 1
            if nextTarget == config.targets.count { nextTarget = 0 }
        }
        do { try fd.bind(to: source) } catch {
            fd.closeSocket()
            return fail(i, .bind, error, g)
        }
        fds[i] = fd.rawValue
        callStart[i] = MonotonicClock.now()
        switch fd.startConnect(to: config.targets[nextTarget]) {
        case .connected:
            opened(i, at: MonotonicClock.now())
            return .established
        case .failed(let e):
            fd.closeSocket()
            fds[i] = -1
            return fail(i, .connect, e, g)
        case .inProgress:
            // On loopback the handshake is usually over when connect() returns.
            if let revents = try? fd.pollWritable(), revents != 0 {
                if revents & Int16(POLLERR | POLLHUP) == 0 {
                    opened(i, at: MonotonicClock.now())
                    return .established
                }
                let e = (try? fd.pendingError()) ?? nil
                fd.closeSocket()
                fds[i] = -1
                return fail(i, .soError, e ?? .socketNotConnected, g)
            }
            do throws(Errno) { try epoll.add(fd, events: Epoll.writable | Epoll.oneShot, tag: UInt64(i)) } catch {
                fd.closeSocket()
                fds[i] = -1
                return fail(i, .connect, error, g)
            }
            state[i] = Self.pending
            return .pending
        }
    }

    @inline(__always)
    private func fail(_ i: Int, _ site: SyscallSite, _ e: Errno, _ g: UInt64) -> StartOutcome {
        errors.count(e, at: site, nowNs: MonotonicClock.now(), localAttempt: g)
        state[i] = Self.over
        result.failed += 1
        return .failed
    }

    @inline(__always)
    private func opened(_ i: Int, at now: UInt64) {
        state[i] = Self.open
        result.established += 1
        let b = globalIndex(i) / config.step
        let due = intended(i)
        latency[b].recordClamped(now > due ? now - due : 0)
        service[b].recordClamped(now > callStart[i] ? now - callStart[i] : 0)
    }

    private func settle(_ i: Int, flags: UInt32) {
        let fd = FileDescriptor(rawValue: fds[i])
        if flags & (Epoll.error | Epoll.hangUp) == 0 && flags & Epoll.writable != 0 {
            opened(i, at: MonotonicClock.now())
            return
        }
        let e = ((try? fd.pendingError()) ?? nil) ?? .socketNotConnected
        fd.closeSocket()
        fds[i] = -1
        _ = fail(i, .soError, e, UInt64(globalIndex(i)))
    }

    /// A connect past its deadline: what the kernel says now (established or failed) wins
    /// over the timer; only a connect still in progress is a timeout.
    private func expire(_ i: Int, at due: UInt64) {
        let fd = FileDescriptor(rawValue: fds[i])
        if let e = (try? fd.pendingError()) ?? nil {
            fd.closeSocket()
            fds[i] = -1
            _ = fail(i, .soError, e, UInt64(globalIndex(i)))
            return
        }
        if (try? fd.isWritableNow()) == true { opened(i, at: MonotonicClock.now()); return }
        fd.closeSocket()
        fds[i] = -1
        state[i] = Self.over
        result.timedOut += 1
        errors.count(.timedOut, at: .timeout, nowNs: due, localAttempt: UInt64(globalIndex(i)))
    }

    /// POLLRDHUP (GNU-only in the headers Swift sees).
    private static let pollPeerClosed: Int16 = 0x2000

    /// Open connections now.
    package var openCount: UInt64 { result.established }

    /// Held connections the peer closed or reset: one poll() over all of them (not a
    /// connect-path cost; allocated here, once, at the end of the hold).
    package func countLost() {
        var pfds: [pollfd] = []
        pfds.reserveCapacity(Int(result.established))
        for i in 0..<planned where state[i] == Self.open {
            pfds.append(pollfd(fd: fds[i], events: Self.pollPeerClosed, revents: 0))
        }
        guard !pfds.isEmpty else { return }
        let n = (try? syscall { poll(&pfds, nfds_t(pfds.count), 0) }) ?? 0
        guard n > 0 else { return }
        result.lostDuringHold = UInt64(pfds.filter { $0.revents & (Self.pollPeerClosed | Int16(POLLHUP | POLLERR)) != 0 }.count)
    }

    /// Closes every connection still open (RST: SO_LINGER 0 was set before connect).
    package func closeAll() {
        let t0 = MonotonicClock.now()
        var n: UInt64 = 0
        for i in 0..<planned where fds[i] >= 0 {
            FileDescriptor(rawValue: fds[i]).closeSocket()
            fds[i] = -1
            if state[i] == Self.open { n += 1 }
            state[i] = Self.over
        }
        if n > 0 {
            result.closed += n
            result.closeNs += MonotonicClock.now() - t0
        }
    }

    /// The part's figures so far.
    package func report() -> HoldPartResult {
        var r = result
        r.latency = latency
        r.service = service
        r.errors = errors.entries().map {
            HoldErrorCount(site: $0.site, errno: $0.errno, count: $0.count, firstNs: $0.firstNs, firstAttempt: $0.firstLocalAttempt)
        }
        return r
    }
}
