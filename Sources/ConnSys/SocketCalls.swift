@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// Socket calls on swift-system's `FileDescriptor`, each through ``syscall(_:)``.
///
/// Kept `@inlinable`: the engine calls them once per connect attempt, across a module
/// boundary, and a non-inlined hop per call would show in the ratio against the C generator.
extension FileDescriptor {
    public enum SocketKind: Sendable {
        case stream, datagram

        @usableFromInline var raw: Int32 {
            switch self {
            case .stream: Int32(SOCK_STREAM.rawValue)
            case .datagram: Int32(SOCK_DGRAM.rawValue)
            }
        }
    }

    /// A close-on-exec socket; nonblocking unless the caller (the probe) wants blocking.
    @inlinable
    public static func socket(domain: Int32, kind: SocketKind = .stream, nonblocking: Bool = true) throws(Errno) -> FileDescriptor {
        var type = kind.raw | Int32(SOCK_CLOEXEC.rawValue)
        if nonblocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = try syscall { Glibc.socket(domain, type, 0) }
        return FileDescriptor(rawValue: fd)
    }

    /// `connect`. Returns true when the connection completed at once (unix sockets, some
    /// loopback cases) and false for EINPROGRESS — the normal case for a nonblocking socket.
    @inlinable
    public func connect(to address: SocketAddress) throws(Errno) -> Bool {
        do throws(Errno) {
            _ = try syscall { address.withSockaddr { sa, len in Glibc.connect(rawValue, sa, len) } }
            return true
        } catch {
            if error == .nowInProgress { return false }
            throw error
        }
    }

    /// How a nonblocking `connect` answered.
    public enum ConnectStart: Equatable, Sendable {
        /// Completed inside the call (unix sockets, some loopback cases).
        case connected
        /// EINPROGRESS: the handshake goes on; writability (or an error) will tell.
        case inProgress
        case failed(Errno)
    }

    /// `connect` for the engine's hot path: EINPROGRESS is a value, not a throw.
    @inlinable @inline(__always)
    public func startConnect(to address: SocketAddress) -> ConnectStart {
        switch syscallOutcome({ address.withSockaddr { sa, len in Glibc.connect(rawValue, sa, len) } }) {
        case .success: return .connected
        case .failure(let e): return e == .nowInProgress ? .inProgress : .failed(e)
        }
    }

    /// poll() with a zero timeout for writability: the raw `revents` (0 when not ready).
    @inlinable @inline(__always)
    public func pollWritable() throws(Errno) -> Int16 {
        var pfd = pollfd(fd: rawValue, events: Int16(POLLOUT), revents: 0)
        let n = try syscall { Glibc.poll(&pfd, 1, 0) }
        return n > 0 ? pfd.revents : 0
    }

    /// Whether the socket is writable right now (poll with a zero timeout): for a
    /// connecting socket with no pending error, that means the handshake completed.
    public func isWritableNow() throws(Errno) -> Bool {
        try pollWritable() & Int16(POLLOUT) != 0
    }

    /// `connect` with a raw pointer, for the probe's invalid-pointer (EFAULT) case.
    public func connect(rawPointer: UnsafePointer<sockaddr>?, length: socklen_t) throws(Errno) {
        _ = try syscall { Glibc.connect(rawValue, rawPointer, length) }
    }

    @inlinable
    public func bind(to address: SocketAddress) throws(Errno) {
        _ = try syscall { address.withSockaddr { sa, len in Glibc.bind(rawValue, sa, len) } }
    }

    public func listen(backlog: Int32) throws(Errno) {
        _ = try syscall { Glibc.listen(rawValue, backlog) }
    }

    /// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; nil when nothing is pending (EAGAIN).
    @inlinable
    public func acceptNonblocking() throws(Errno) -> FileDescriptor? {
        do throws(Errno) {
            let fd = try syscall { cbs_accept4(rawValue, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)) }
            return FileDescriptor(rawValue: fd)
        } catch {
            if error == .wouldBlock { return nil }
            throw error
        }
    }

    @inlinable
    public func setOption(level: Int32, name: Int32, value: Int32) throws(Errno) {
        var v = value
        _ = try syscall { Glibc.setsockopt(rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    @inlinable
    public func setOption<T: BitwiseCopyable>(level: Int32, name: Int32, value: T) throws(Errno) {
        var v = value
        _ = try syscall { Glibc.setsockopt(rawValue, level, name, &v, socklen_t(MemoryLayout<T>.size)) }
    }

    public func getIntOption(level: Int32, name: Int32) throws(Errno) -> Int32 {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        _ = try syscall { Glibc.getsockopt(rawValue, level, name, &v, &len) }
        return v
    }

    /// The pending error of a nonblocking connect (`SO_ERROR`); nil when it succeeded.
    @inlinable
    public func pendingError() throws(Errno) -> Errno? {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        _ = try syscall { Glibc.getsockopt(rawValue, SOL_SOCKET, SO_ERROR, &v, &len) }
        return v == 0 ? nil : Errno(rawValue: v)
    }

    /// Segments this socket has retransmitted (`tcp_info.tcpi_total_retrans`). On a client
    /// socket just connected, anything above zero was its SYN: nothing else was sent yet.
    /// Nil on a socket that is not TCP (unix).
    @inlinable
    public func totalRetransmits() -> UInt32? {
        var info = tcp_info()
        var len = socklen_t(MemoryLayout<tcp_info>.size)
        guard case .success = syscallOutcome({ Glibc.getsockopt(rawValue, Int32(IPPROTO_TCP), TCP_INFO, &info, &len) }),
              len >= MemoryLayout<tcp_info>.offset(of: \.tcpi_total_retrans)! + 4 else { return nil }
        return info.tcpi_total_retrans
    }

    /// SO_LINGER {1, 0}: the next close sends RST and leaves no TIME_WAIT behind.
    @inlinable
    public func setLingerZero() throws(Errno) {
        try setOption(level: SOL_SOCKET, name: SO_LINGER, value: linger(l_onoff: 1, l_linger: 0))
    }

    public func localAddress() throws(Errno) -> SocketAddress {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { ptr throws(Errno) -> Int32 in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) -> Int32 in
                try syscall { Glibc.getsockname(rawValue, sa, &len) }
            }
        }
        return SocketAddress(storage: storage, length: len)
    }

    /// The local port alone, read into stack storage: cheap enough to call per connect
    /// (the source-port parity the kernel chose says how full the ephemeral range is).
    @inline(__always)
    public func localPort() throws(Errno) -> UInt16 {
        var storage = sockaddr_in6()
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { ptr throws(Errno) -> Int32 in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) -> Int32 in
                try syscall { Glibc.getsockname(rawValue, sa, &len) }
            }
        }
        // sin_port and sin6_port sit at the same offset.
        return UInt16(bigEndian: storage.sin6_port)
    }

    public func peerAddress() throws(Errno) -> SocketAddress {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { ptr throws(Errno) -> Int32 in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) -> Int32 in
                try syscall { Glibc.getpeername(rawValue, sa, &len) }
            }
        }
        return SocketAddress(storage: storage, length: len)
    }

    /// close(2) through the wrapper. The fd is gone whatever it returns (Linux never
    /// leaves it open after EINTR), so callers count the error and move on.
    @inlinable
    public func closeSocket() {
        _ = try? syscall { Glibc.close(rawValue) }
    }

    /// send(2) with MSG_NOSIGNAL: a peer that went away is an EPIPE, not a SIGPIPE.
    @inlinable
    public func send(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try syscall { Glibc.send(rawValue, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// read(2) of a few bytes, to see a peer's FIN (0) on a listener that waits for it.
    @inlinable
    public func readDiscarding(_ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try syscall { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }
}

/// Option numbers newer than some libc headers, re-exported so upper layers need no C.
public enum SocketOptionName {
    public static let bindAddressNoPort = CBS_IP_BIND_ADDRESS_NO_PORT
    public static let localPortRange = CBS_IP_LOCAL_PORT_RANGE
    public static let tcpUserTimeout = CBS_TCP_USER_TIMEOUT
    public static let tcpSynCount = CBS_TCP_SYNCNT
}
