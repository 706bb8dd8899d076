@preconcurrency import Glibc
import ConnSys
import Synchronization
import ConnModel

/// connbench's built-in listener: accept4 in an epoll loop, one SO_REUSEPORT socket per
/// thread so the kernel spreads connections without a shared accept queue.
///
/// It is the default target (a benchmark that needs no setup) and the `listen`
/// subcommand. What it does with an accepted connection is its ``ListenerMode``; in
/// never-accept it only listens, so its backlog fills: tests use that for dropped SYNs
/// (TCP) and EAGAIN (unix).
public final class Listener: Sendable {
    public let address: SocketAddress
    package let effectiveBacklog: Int32
    package let threadCount: Int
    /// Set when the port is inside the ephemeral range (an explicit port there, or no free
    /// port outside it): the one case where a client may be given the listener's port.
    package let portNote: String?
    package let mode: ListenerMode
    /// The namespace's counters just before the sockets were bound: the base of
    /// ``sideReport(countersBefore:)``.
    package let countersAtStart: [String: Int64]
    private let stopFlag = StopFlag()
    private let threads: [PosixThread]
    private let sockets: [FileDescriptor]
    private let threadCounts: [ThreadCounts]
    private let shared: SharedHeld
    private let unixPath: String?

    public enum Failure: Error, CustomStringConvertible {
        case call(String, Errno)
        /// The namespace's ephemeral range could not be read (the text says why).
        case ephemeralRange(String)
        public var description: String {
            switch self {
            case .call(let what, let e): "listener: \(what) failed: \(e.name) (\(e))"
            case .ephemeralRange(let why): "listener: \(why)"
            }
        }
    }

    /// Binds and listens now (so the port is known on return) and starts accept threads.
    ///
    /// A TCP address with port 0 gets a port outside the namespace's ephemeral range
    /// (``ListenerPort``); only when none is free does the kernel choose, and `portNote`
    /// says so.
    public init(config: ListenerConfig, defaultCPUs: [Int] = []) throws(Failure) {
        mode = config.mode
        countersAtStart = NetCounters.read()
        let threadCount = config.accepts ? Swift.max(1, config.threads ?? Swift.max(1, defaultCPUs.count)) : 1
        let somaxconn = Int32(ProcFiles.readInteger("/proc/sys/net/core/somaxconn") ?? 4096)
        effectiveBacklog = Swift.min(config.backlog, somaxconn)
        unixPath = config.address.family == .unix ? config.address.unixPath : nil
        let ephemeral: EphemeralPorts
        do throws(EphemeralPorts.Unreadable) { ephemeral = try EphemeralPorts.current() } catch {
            throw Failure.ephemeralRange(error.description)
        }
        let (sockets, bound) = try Self.openSockets(config, count: threadCount, ephemeral: ephemeral)
        portNote = Self.portNote(bound, requested: config.address, ephemeral: ephemeral)
        address = bound
        self.sockets = sockets
        self.threadCount = config.accepts ? threadCount : 0
        var threads: [PosixThread] = []
        let threadCounts = (0..<(config.accepts ? threadCount : 0)).map { _ in ThreadCounts() }
        self.threadCounts = threadCounts
        let shared = SharedHeld(limit: config.mode == .hold ? Swift.max(0, config.holdLimit) : Int.max)
        self.shared = shared
        if config.accepts {
            let cpus = config.cpus ?? defaultCPUs
            for i in 0..<threadCount {
                let socket = sockets[i % sockets.count]
                let cpu = cpus.isEmpty ? nil : cpus[i % cpus.count]
                let sharedSocket = sockets.count == 1 && threadCount > 1
                let context = AcceptContext(socket: socket, cpu: cpu, mode: config.mode, exclusive: sharedSocket,
                                            counts: threadCounts[i], shared: shared)
                do {
                    threads.append(try PosixThread.spawn { [stopFlag] in context.run(stop: stopFlag) })
                } catch {
                    stopFlag.stop()
                    threads.forEach { $0.join() }
                    sockets.forEach { $0.closeSocket() }
                    throw Failure.call("pthread_create", error)
                }
            }
        }
        self.threads = threads
    }

    /// The listening sockets: one per accept thread (SO_REUSEPORT), one for a unix path.
    /// A TCP port 0 is first bound outside the ephemeral range; the rest share its port.
    static func openSockets(_ config: ListenerConfig, count threadCount: Int,
                            ephemeral: EphemeralPorts) throws(Failure) -> ([FileDescriptor], SocketAddress) {
        var sockets: [FileDescriptor] = []
        var bound = config.address
        if bound.family != .unix && bound.port == 0 {
            do throws(Errno) {
                if let fd = try ListenerPort.bindOutside(ephemeral, address: bound, backlog: config.backlog) {
                    sockets.append(fd)
                    bound = try fd.localAddress()
                }
            } catch {
                sockets.forEach { $0.closeSocket() }
                throw Failure.call("bind outside the ephemeral range \(ephemeral.low)-\(ephemeral.high)", error)
            }
        }
        for i in sockets.count..<(config.address.family == .unix ? 1 : threadCount) {
            var stage = "socket"
            do throws(Errno) {
                let fd = try FileDescriptor.socket(domain: bound.domain)
                sockets.append(fd)
                stage = "setsockopt"
                if bound.family != .unix {
                    try fd.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1))
                    try fd.setOption(level: SOL_SOCKET, name: SO_REUSEPORT, value: Int32(1))
                } else if i == 0 {
                    _ = unlink(bound.unixPath)
                }
                stage = "bind \(bound)"
                try fd.bind(to: bound)
                stage = "listen on \(bound)"
                try fd.listen(backlog: config.backlog)
                if i == 0 && bound.family != .unix { bound = try fd.localAddress() }
            } catch {
                sockets.forEach { $0.closeSocket() }
                throw Failure.call(stage, error)
            }
        }
        return (sockets, bound)
    }

    /// A listener port inside the ephemeral range can be handed to a connect as its source.
    static func portNote(_ bound: SocketAddress, requested: SocketAddress, ephemeral: EphemeralPorts) -> String? {
        guard bound.family != .unix && ephemeral.contains(bound.port) else { return nil }
        return "listener port \(bound.port) is inside the ephemeral range \(ephemeral.low)-\(ephemeral.high)"
            + (requested.port == 0 ? " (no port outside it was free)" : "")
            + ": a connect may be given it as its source port"
    }

    /// Connections accepted so far (live; exact after `stop()`).
    package var acceptedCount: UInt64 { threadCounts.reduce(0) { $0 + $1.accepted.load(ordering: .relaxed) } }

    /// Accepted connections the listener has closed: at once, after the client ended
    /// them, past the hold limit, or at `stop()`.
    package var closedCount: UInt64 { threadCounts.reduce(0) { $0 + $1.closed.load(ordering: .relaxed) } }

    /// Accepted connections still open, waiting for the client's FIN or RST (wait-fin and
    /// hold; 0 after `stop()`). A connection the client reset counts as closed too.
    package var heldConnections: Int { shared.held.load(ordering: .relaxed) }

    /// The most connections held open at once over the listener's life.
    package var heldPeak: Int { shared.peak.load(ordering: .relaxed) }

    /// What a report says of this listener; `close` is the config's older view of its mode.
    package func info(close: ListenerClose) -> ListenerInfo {
        ListenerInfo(address: address.description, threads: threadCount, backlog: effectiveBacklog,
                     accepted: acceptedCount, close: close, mode: mode, heldPeak: heldPeak)
    }

    /// hold only: connections closed at once because the hold limit was reached.
    package var closedOverHoldLimit: UInt64 { shared.overLimit.load(ordering: .relaxed) }

    /// The listener's own side so far: its counts, and what the namespace's counters and
    /// TIME_WAIT table say since `countersBefore` (default: just before it bound). Call
    /// it from a thread in the listener's namespace — the counters are the caller's
    /// namespace's, and they cover every socket there, not only this listener's.
    package func sideReport(countersBefore: [String: Int64]? = nil) -> ListenerSideReport {
        let sides = address.family == .unix ? nil : TcpSocketTable.timeWaitSides(listenerPorts: [address.port])
        return ListenerSideReport(
            address: address.description, mode: mode, accepted: acceptedCount, closed: closedCount,
            heldNow: heldConnections, heldPeak: heldPeak, closedOverHoldLimit: closedOverHoldLimit,
            counters: KernelContext.deltas(before: countersBefore ?? countersAtStart, after: NetCounters.read(),
                                           counters: KernelCounter.listenQueue),
            timeWaitListenerSide: sides?.listenerSide)
    }

    /// Stops the accept threads (they wake within 50 ms) and closes the sockets.
    public func stop() {
        stopFlag.stop()
        threads.forEach { $0.join() }
        sockets.forEach { $0.closeSocket() }
        if let unixPath { _ = unlink(unixPath) }
    }
}

/// One accept thread's counts. One writer (its thread), so a plain load and store, no
/// read-modify-write, per connection; any thread may read them while it runs.
private final class ThreadCounts: Sendable {
    let accepted = Atomic<UInt64>(0)
    let closed = Atomic<UInt64>(0)
    func accept() { accepted.store(accepted.load(ordering: .relaxed) &+ 1, ordering: .relaxed) }
    func close(_ n: Int = 1) { closed.store(closed.load(ordering: .relaxed) &+ UInt64(n), ordering: .relaxed) }
}

/// Connections held open by all threads together: the hold limit and the peak are over
/// the whole listener, so this is one shared read-modify-write per held connection
/// (tens of ns beside accept4's and close's µs).
private final class SharedHeld: Sendable {
    let held = Atomic<Int>(0)
    let peak = Atomic<Int>(0)
    let overLimit = Atomic<UInt64>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts one more held connection; false (and nothing counted but the refusal) when
    /// that would pass the limit.
    func hold() -> Bool {
        let now = held.wrappingAdd(1, ordering: .relaxed).newValue
        if now > limit {
            held.wrappingSubtract(1, ordering: .relaxed)
            overLimit.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (done, original) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if done { break }
            seen = original
        }
        return true
    }

    func release(_ n: Int = 1) { held.wrappingSubtract(n, ordering: .relaxed) }
}

/// The descriptors a thread holds open, one bit per fd number: epoll cannot list its
/// members, and `stop` must close them. Sized from RLIMIT_NOFILE's soft limit, so a
/// connection costs a bit flip, not an allocation (it grows only if the limit is raised
/// while the listener runs).
private struct OpenDescriptors: ~Copyable {
    private var words: UnsafeMutablePointer<UInt64>
    private var wordCount: Int

    init() {
        let limit = (try? ResourceLimits.openFiles().soft) ?? 1024
        wordCount = Swift.max(16, Int(Swift.min(limit, 1 << 26) + 63) / 64)
        words = .allocate(capacity: wordCount)
        words.initialize(repeating: 0, count: wordCount)
    }

    deinit { words.deallocate() }

    mutating func insert(_ fd: Int32) {
        let w = Int(fd) >> 6
        if w >= wordCount { grow(to: w + 1) }
        words[w] |= 1 << UInt64(fd & 63)
    }

    /// Clears the bit; false when it was not set (the event was for a descriptor this
    /// thread already closed).
    mutating func remove(_ fd: Int32) -> Bool {
        let w = Int(fd) >> 6
        guard w < wordCount else { return false }
        let bit: UInt64 = 1 << UInt64(fd & 63)
        defer { words[w] &= ~bit }
        return words[w] & bit != 0
    }

    /// Closes every descriptor still recorded; returns how many.
    mutating func closeAll() -> Int {
        var n = 0
        for w in 0..<wordCount where words[w] != 0 {
            var bits = words[w]
            while bits != 0 {
                let b = bits.trailingZeroBitCount
                FileDescriptor(rawValue: Int32(w * 64 + b)).closeSocket()
                bits &= bits - 1
                n += 1
            }
            words[w] = 0
        }
        return n
    }

    private mutating func grow(to count: Int) {
        let newCount = Swift.max(count, wordCount * 2)
        let new = UnsafeMutablePointer<UInt64>.allocate(capacity: newCount)
        new.initialize(from: words, count: wordCount)
        (new + wordCount).initialize(repeating: 0, count: newCount - wordCount)
        words.deallocate()
        words = new
        wordCount = newCount
    }
}

/// One accept thread's loop.
private struct AcceptContext: Sendable {
    let socket: FileDescriptor
    let cpu: Int?
    let mode: ListenerMode
    let exclusive: Bool
    let counts: ThreadCounts
    let shared: SharedHeld

    private static let listenTag: UInt64 = 1 << 63

    func run(stop: StopFlag) {
        if let cpu { _ = try? CPUAffinity.pinCurrentThread(to: cpu) }
        guard let epoll = try? Epoll() else { return }
        let events = EpollEventBuffer(capacity: 256)
        let flags = Epoll.readable | (exclusive ? Epoll.exclusive : 0)
        guard (try? epoll.add(socket, events: flags, tag: Self.listenTag)) != nil else { return }
        var open = OpenDescriptors()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer {
            let n = open.closeAll()
            shared.release(n)
            counts.close(n)
            scratch.deallocate()
        }
        // wait-fin reads, to see the FIN behind any data; hold asks only for the peer's
        // half-close (and, always reported, errors and hang-ups), so data a client sends
        // stays unread and never wakes the thread.
        let peerEvents = mode == .hold ? Epoll.peerClosed : Epoll.readable | Epoll.peerClosed
        let holds = mode == .waitFin || mode == .hold
        let gone = Epoll.error | Epoll.hangUp
        while !stop.isStopped {
            let n = (try? epoll.wait(into: events, timeoutNanoseconds: 50_000_000)) ?? 0
            for i in 0..<n {
                let tag = events.tag(at: i)
                if tag == Self.listenTag {
                    while let conn = try? socket.acceptNonblocking() {
                        counts.accept()
                        if holds && shared.hold() {
                            if (try? epoll.add(conn, events: peerEvents, tag: UInt64(conn.rawValue))) != nil {
                                open.insert(conn.rawValue)
                                continue
                            }
                            shared.release()
                        }
                        conn.closeSocket()
                        counts.close()
                    }
                    continue
                }
                // Waiting for the client's FIN (read returns 0) or its RST (EPOLLERR or
                // EPOLLHUP, read fails with ECONNRESET): either way the connection is over.
                // hold registered nothing but those, so any event ends the connection (a
                // close with unread data answers the client's FIN with an RST).
                let conn = FileDescriptor(rawValue: Int32(truncatingIfNeeded: tag))
                var over = events.flags(at: i) & gone != 0 || mode == .hold
                if !over {
                    do throws(Errno) {
                        over = try conn.readDiscarding(scratch) == 0
                    } catch {
                        over = error != .wouldBlock && error != .interrupted
                    }
                }
                if over && open.remove(conn.rawValue) {
                    conn.closeSocket()
                    shared.release()
                    counts.close()
                }
            }
        }
    }
}
