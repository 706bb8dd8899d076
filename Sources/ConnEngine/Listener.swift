@preconcurrency import Glibc
import ConnSys
import Synchronization

/// connbench's built-in listener: accept4 in an epoll loop, one SO_REUSEPORT socket per
/// thread so the kernel spreads connections without a shared accept queue.
///
/// It is the default target (a benchmark that needs no setup) and the `listen`
/// subcommand. With `accepts == false` it only listens, so its backlog fills: tests use
/// that for dropped SYNs (TCP) and EAGAIN (unix).
public final class Listener: Sendable {
    public let address: SocketAddress
    public let effectiveBacklog: Int32
    public let threadCount: Int
    /// Set when the port is inside the ephemeral range (an explicit port there, or no free
    /// port outside it): the one case where a client may be given the listener's port.
    public let portNote: String?
    private let stopFlag = StopFlag()
    private let accepted = SharedCounter()
    private let threads: [PosixThread]
    private let sockets: [FileDescriptor]
    private let heldCounts: [HeldCount]
    private let unixPath: String?

    public enum Failure: Error, CustomStringConvertible {
        case call(String, Errno)
        public var description: String {
            switch self {
            case .call(let what, let e): "listener: \(what) failed: \(e.name) (\(e))"
            }
        }
    }

    /// Binds and listens now (so the port is known on return) and starts accept threads.
    ///
    /// A TCP address with port 0 gets a port outside the namespace's ephemeral range
    /// (``ListenerPort``); only when none is free does the kernel choose, and `portNote`
    /// says so.
    public init(config: ListenerConfig, defaultCPUs: [Int] = []) throws(Failure) {
        let threadCount = config.accepts ? Swift.max(1, config.threads ?? Swift.max(1, defaultCPUs.count)) : 1
        let somaxconn = Int32(ProcFiles.readInteger("/proc/sys/net/core/somaxconn") ?? 4096)
        effectiveBacklog = Swift.min(config.backlog, somaxconn)
        var sockets: [FileDescriptor] = []
        var bound = config.address
        unixPath = config.address.family == .unix ? config.address.unixPath : nil
        let ephemeral = EphemeralPorts.current()
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
        if bound.family != .unix && ephemeral.contains(bound.port) {
            portNote = "listener port \(bound.port) is inside the ephemeral range \(ephemeral.low)-\(ephemeral.high)"
                + (config.address.port == 0 ? " (no port outside it was free)" : "")
                + ": a connect may be given it as its source port"
        } else {
            portNote = nil
        }
        address = bound
        self.sockets = sockets
        self.threadCount = config.accepts ? threadCount : 0
        var threads: [PosixThread] = []
        let heldCounts = (0..<(config.accepts ? threadCount : 0)).map { _ in HeldCount() }
        self.heldCounts = heldCounts
        if config.accepts {
            let cpus = config.cpus ?? defaultCPUs
            for i in 0..<threadCount {
                let socket = sockets[i % sockets.count]
                let cpu = cpus.isEmpty ? nil : cpus[i % cpus.count]
                let shared = sockets.count == 1 && threadCount > 1
                let context = AcceptContext(socket: socket, cpu: cpu, close: config.close, exclusive: shared,
                                            held: heldCounts[i])
                do {
                    threads.append(try PosixThread.spawn { [stopFlag, accepted] in
                        let n = context.run(stop: stopFlag)
                        accepted.add(n)
                    })
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

    /// Connections accepted so far by threads that have stopped; exact after `stop()`.
    public var acceptedCount: UInt64 { accepted.value }

    /// Accepted connections still open, waiting for the client's FIN (`.peer` only; 0 after
    /// `stop()`). A connection the client reset counts as closed too.
    public var heldConnections: Int { heldCounts.reduce(0) { $0 + $1.value.load(ordering: .relaxed) } }

    /// Stops the accept threads (they wake within 50 ms) and closes the sockets.
    public func stop() {
        stopFlag.stop()
        threads.forEach { $0.join() }
        sockets.forEach { $0.closeSocket() }
        if let unixPath { _ = unlink(unixPath) }
    }
}

/// Accepted connections a `.peer` thread still holds, waiting for the client's FIN. One
/// writer (its thread), so a plain load and store, no read-modify-write, per connection.
private final class HeldCount: Sendable {
    let value = Atomic<Int>(0)
    func add(_ n: Int) { value.store(value.load(ordering: .relaxed) &+ n, ordering: .relaxed) }
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
    let close: ListenerClose
    let exclusive: Bool
    let held: HeldCount

    private static let listenTag: UInt64 = 1 << 63

    func run(stop: StopFlag) -> UInt64 {
        if let cpu { _ = try? CPUAffinity.pinCurrentThread(to: cpu) }
        guard let epoll = try? Epoll() else { return 0 }
        let events = EpollEventBuffer(capacity: 256)
        let flags = Epoll.readable | (exclusive ? Epoll.exclusive : 0)
        guard (try? epoll.add(socket, events: flags, tag: Self.listenTag)) != nil else { return 0 }
        var accepted: UInt64 = 0
        var open = OpenDescriptors()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer {
            held.add(-open.closeAll())
            scratch.deallocate()
        }
        let peerEvents = Epoll.readable | Epoll.peerClosed
        let gone = Epoll.error | Epoll.hangUp
        while !stop.isStopped {
            let n = (try? epoll.wait(into: events, timeoutNanoseconds: 50_000_000)) ?? 0
            for i in 0..<n {
                let tag = events.tag(at: i)
                if tag == Self.listenTag {
                    while let conn = try? socket.acceptNonblocking() {
                        accepted += 1
                        if close == .peer, (try? epoll.add(conn, events: peerEvents, tag: UInt64(conn.rawValue))) != nil {
                            open.insert(conn.rawValue)
                            held.add(1)
                            continue
                        }
                        conn.closeSocket()
                    }
                    continue
                }
                // Waiting for the client's FIN (read returns 0) or its RST (EPOLLERR or
                // EPOLLHUP, read fails with ECONNRESET): either way the connection is over.
                let conn = FileDescriptor(rawValue: Int32(truncatingIfNeeded: tag))
                var over = events.flags(at: i) & gone != 0
                if !over {
                    do throws(Errno) {
                        over = try conn.readDiscarding(scratch) == 0
                    } catch {
                        over = error != .wouldBlock && error != .interrupted
                    }
                }
                if over && open.remove(conn.rawValue) {
                    conn.closeSocket()
                    held.add(-1)
                }
            }
        }
        return accepted
    }
}
