@preconcurrency import Glibc
import ConnSys

/// Socket plumbing the scenarios share. Every call goes through ConnSys's `syscall`.
enum ProbeSockets {
    static let tcpLevel = Int32(IPPROTO_TCP)

    static func socket(_ domain: Int32, _ kind: FileDescriptor.SocketKind = .stream, nonblocking: Bool = false) throws(ProbeSetupFailure) -> FileDescriptor {
        try setup("socket") { () throws(Errno) in try FileDescriptor.socket(domain: domain, kind: kind, nonblocking: nonblocking) }
    }

    /// connect(2) exactly as called: EINPROGRESS is an errno here, not a success.
    static func connect(_ fd: FileDescriptor, _ address: SocketAddress) throws(Errno) {
        _ = try syscall { address.withSockaddr { sa, len in Glibc.connect(fd.rawValue, sa, len) } }
    }

    static func ip(_ text: String, _ port: UInt16) throws(ProbeSetupFailure) -> SocketAddress {
        guard let a = SocketAddress(ip: text, port: port) else {
            throw ProbeSetupFailure(errno: .invalidArgument, step: "address \(text)")
        }
        return a
    }

    static func unix(_ path: String) throws(ProbeSetupFailure) -> SocketAddress {
        guard let a = SocketAddress(unixPath: path) else {
            throw ProbeSetupFailure(errno: .fileNameTooLong, step: "unix path \(path)")
        }
        return a
    }

    /// A blocking TCP listener on `address`.
    static func tcpListener(_ address: SocketAddress, backlog: Int32) throws(ProbeSetupFailure) -> FileDescriptor {
        let fd = try socket(address.domain)
        do {
            try fd.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            try fd.bind(to: address)
            try fd.listen(backlog: backlog)
        } catch {
            fd.closeSocket()
            throw ProbeSetupFailure(errno: error, step: "listen on \(address)")
        }
        return fd
    }

    /// A unix-domain socket bound to `path` (tracked for removal), listening unless told not to.
    static func unixBound(_ dir: ProbeTempDir, _ path: String, kind: FileDescriptor.SocketKind = .stream,
                          listen: Bool = true, backlog: Int32 = 16) throws(ProbeSetupFailure) -> FileDescriptor {
        let address = try unix(path)
        let fd = try socket(AF_UNIX, kind)
        dir.track(path)
        do {
            try fd.bind(to: address)
            if listen { try fd.listen(backlog: backlog) }
        } catch {
            fd.closeSocket()
            throw ProbeSetupFailure(errno: error, step: listen ? "bind+listen \(path)" : "bind \(path)")
        }
        return fd
    }

    /// Bounds a blocking connect that may never be answered: one SYN retry and a user
    /// timeout, so ETIMEDOUT arrives after about `userTimeoutMs`.
    static func boundHandshake(_ fd: FileDescriptor, userTimeoutMs: Int32) throws(ProbeSetupFailure) {
        try setup("setsockopt TCP_SYNCNT") { () throws(Errno) in
            try fd.setOption(level: tcpLevel, name: SocketOptionName.tcpSynCount, value: Int32(1))
        }
        try setup("setsockopt TCP_USER_TIMEOUT") { () throws(Errno) in
            try fd.setOption(level: tcpLevel, name: SocketOptionName.tcpUserTimeout, value: userTimeoutMs)
        }
    }

    /// A loopback address whose SYNs are never answered: a listener with backlog 0 whose one
    /// accept-queue slot is taken by a connection nobody accepts. Linux drops SYNs to a
    /// listener with a full accept queue (ListenOverflows), so a client's handshake stays in
    /// SYN_SENT until its retries run out. Lives in the scenario's namespace only.
    struct SilentTarget {
        let address: SocketAddress
        let sockets: [FileDescriptor]
        func close() { for s in sockets { s.closeSocket() } }
    }

    static func silentTarget(port: UInt16) throws(ProbeSetupFailure) -> SilentTarget {
        let address = try ip("127.0.0.1", port)
        let listener = try tcpListener(address, backlog: 0)
        let filler: FileDescriptor
        do {
            filler = try socket(AF_INET)
        } catch {
            listener.closeSocket()
            throw error
        }
        do {
            try connect(filler, address)
        } catch {
            listener.closeSocket()
            filler.closeSocket()
            throw ProbeSetupFailure(errno: error, step: "fill accept queue")
        }
        return SilentTarget(address: address, sockets: [listener, filler])
    }

    /// Waits until `fd` is writable (a nonblocking connect finished) or `timeoutMs` passes.
    static func waitWritable(_ fd: FileDescriptor, timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
        let n = (try? syscallRetryingEINTR { poll(&p, 1, timeoutMs) }) ?? 0
        return n > 0
    }

    static func millis(_ ns: UInt64) -> String {
        let ms = Double(ns) / 1_000_000
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) ms"
    }
}
