#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ConnEngine
import ConnSys
@preconcurrency import Glibc
import ConnModel

/// `listen --stats-port`: answers every TCP connection with the JSON of the listener's
/// current side report and closes, so a generator on another host can read the listener's
/// figures before and after its run (`run --listener-stats`). One thread, one connection
/// at a time: it is polled twice a run, not load.
///
/// Its thread is started from the listener's thread, so it reads the counters of the
/// listener's namespace. Connections to it are not the listener's: they go to another
/// port and are not counted in accepted/closed (they do appear in the namespace-wide
/// counters, as one passive open each).
final class ListenerStatsServer: Sendable {
    let address: SocketAddress
    private let stopFlag = StopFlag()
    private let thread: PosixThread
    private let socket: FileDescriptor

    init(listener: Listener, port: UInt16) throws(Errno) {
        // On the listener's own address: reachable from wherever the listener is.
        var bound = listener.address.family == .unix ? SocketAddress(ip: "127.0.0.1", port: 0)! : listener.address
        bound.port = port
        let socket = try FileDescriptor.socket(domain: bound.domain)
        do throws(Errno) {
            try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1))
            try socket.bind(to: bound)
            try socket.listen(backlog: 16)
            address = try socket.localAddress()
        } catch {
            socket.closeSocket()
            throw error
        }
        self.socket = socket
        let stop = stopFlag
        do {
            thread = try PosixThread.spawn { Self.serve(socket, listener: listener, stop: stop) }
        } catch {
            socket.closeSocket()
            throw error
        }
    }

    func stop() {
        stopFlag.stop()
        thread.join()
        socket.closeSocket()
    }

    private static func serve(_ socket: FileDescriptor, listener: Listener, stop: StopFlag) {
        guard let epoll = try? Epoll(), (try? epoll.add(socket, events: Epoll.readable, tag: 0)) != nil else { return }
        let events = EpollEventBuffer(capacity: 4)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        while !stop.isStopped {
            guard ((try? epoll.wait(into: events, timeoutNanoseconds: 50_000_000)) ?? 0) > 0 else { continue }
            while let conn = try? socket.acceptNonblocking() {
                defer { conn.closeSocket() }
                guard var json = try? encoder.encode(listener.sideReport()) else { continue }
                json.append(UInt8(ascii: "\n"))
                // A few hundred bytes into a fresh socket's send buffer: one send fits.
                _ = json.withUnsafeBytes { try? conn.send($0) }
            }
        }
    }
}
