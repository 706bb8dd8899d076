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
    private let stopFlag = StopFlag()
    private let accepted = SharedCounter()
    private let threads: [PosixThread]
    private let sockets: [FileDescriptor]
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
    public init(config: ListenerConfig, defaultCPUs: [Int] = []) throws(Failure) {
        let threadCount = config.accepts ? Swift.max(1, config.threads ?? Swift.max(1, defaultCPUs.count)) : 1
        let somaxconn = Int32(ProcFiles.readInteger("/proc/sys/net/core/somaxconn") ?? 4096)
        effectiveBacklog = Swift.min(config.backlog, somaxconn)
        var sockets: [FileDescriptor] = []
        var bound = config.address
        unixPath = config.address.family == .unix ? config.address.unixPath : nil
        for i in 0..<(config.address.family == .unix ? 1 : threadCount) {
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
        address = bound
        self.sockets = sockets
        self.threadCount = config.accepts ? threadCount : 0
        var threads: [PosixThread] = []
        if config.accepts {
            let cpus = config.cpus ?? defaultCPUs
            for i in 0..<threadCount {
                let socket = sockets[i % sockets.count]
                let cpu = cpus.isEmpty ? nil : cpus[i % cpus.count]
                let shared = sockets.count == 1 && threadCount > 1
                let context = AcceptContext(socket: socket, cpu: cpu, close: config.close, exclusive: shared)
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

    /// Stops the accept threads (they wake within 50 ms) and closes the sockets.
    public func stop() {
        stopFlag.stop()
        threads.forEach { $0.join() }
        sockets.forEach { $0.closeSocket() }
        if let unixPath { _ = unlink(unixPath) }
    }
}

/// One accept thread's loop.
private struct AcceptContext: Sendable {
    let socket: FileDescriptor
    let cpu: Int?
    let close: ListenerClose
    let exclusive: Bool

    private static let listenTag: UInt64 = 1 << 63

    func run(stop: StopFlag) -> UInt64 {
        if let cpu { _ = try? CPUAffinity.pinCurrentThread(to: cpu) }
        guard let epoll = try? Epoll() else { return 0 }
        let events = EpollEventBuffer(capacity: 256)
        let flags = Epoll.readable | (exclusive ? Epoll.exclusive : 0)
        guard (try? epoll.add(socket, events: flags, tag: Self.listenTag)) != nil else { return 0 }
        var accepted: UInt64 = 0
        var waiting = Set<Int32>()
        defer { waiting.forEach { FileDescriptor(rawValue: $0).closeSocket() } }
        var scratch = [UInt8](repeating: 0, count: 512)
        while !stop.isStopped {
            let n = (try? epoll.wait(into: events, timeoutNanoseconds: 50_000_000)) ?? 0
            for i in 0..<n {
                let tag = events.tag(at: i)
                if tag == Self.listenTag {
                    while let conn = try? socket.acceptNonblocking() {
                        accepted += 1
                        if close == .peer, (try? epoll.add(conn, events: Epoll.readable | Epoll.peerClosed, tag: UInt64(conn.rawValue))) != nil {
                            waiting.insert(conn.rawValue)
                            continue
                        }
                        conn.closeSocket()
                    }
                } else {
                    // Waiting for the client's FIN: read until EOF or error, then close.
                    let conn = FileDescriptor(rawValue: Int32(truncatingIfNeeded: tag))
                    let r = scratch.withUnsafeMutableBytes { buf -> Int in
                        do throws(Errno) { return try conn.readDiscarding(buf) } catch { return error == .wouldBlock ? 1 : -1 }
                    }
                    if r == 0 || r < 0 {
                        waiting.remove(conn.rawValue)
                        conn.closeSocket()
                    }
                }
            }
        }
        return accepted
    }
}
