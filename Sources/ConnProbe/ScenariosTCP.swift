@preconcurrency import Glibc
import ConnSys

/// Scenarios on TCP/UDP sockets. Each runs in its own fresh network namespace (only `lo`),
/// so fixed ports cannot collide and sysctls set here stay here.
enum ScenariosTCP {
    static let listenPort: UInt16 = 5000
    static let silentPort: UInt16 = 6000
    static let closedPort: UInt16 = 6001
    /// A four-port ephemeral range, set inside the namespace only.
    static let tinyRange = (low: 40000, high: 40003)

    static func econnrefused() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        let target = try ProbeSockets.ip("127.0.0.1", closedPort)
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "blocking TCP connect to \(target), nothing listening: the RST ends it")
    }

    static func einprogress() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let listener = try ProbeSockets.tcpListener(target, backlog: 16)
        defer { listener.closeSocket() }
        let fd = try ProbeSockets.socket(AF_INET, nonblocking: true)
        defer { fd.closeSocket() }
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        var detail = "nonblocking TCP connect to a listener at \(target)"
        if case .failed(let e, _) = outcome, e == .nowInProgress {
            let writable = ProbeSockets.waitWritable(fd, timeoutMs: 1000)
            let pending = (try? fd.pendingError()) ?? nil
            detail += writable ? "; then writable, SO_ERROR \(pending?.name ?? "0"): established" : "; not writable within 1 s"
        }
        return ProbeObservation(outcome, detail: detail)
    }

    static func ealready() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.silentTarget(port: silentPort)
        defer { target.close() }
        let fd = try ProbeSockets.socket(AF_INET, nonblocking: true)
        defer { fd.closeSocket() }
        let first = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target.address) }
        guard case .failed(let e, _) = first, e == .nowInProgress else {
            return ProbeObservation(.setupFailed(.ioError, step: "first connect gave \(first.observedText), not EINPROGRESS"))
        }
        let second = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target.address) }
        return ProbeObservation(second, detail: "nonblocking: first connect EINPROGRESS (SYN unanswered: accept queue of \(target.address) full), second connect at once")
    }

    static func eisconn() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let listener = try ProbeSockets.tcpListener(target, backlog: 16)
        defer { listener.closeSocket() }
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        _ = try setup("first connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "blocking TCP connect to \(target) succeeded, then connect again")
    }

    static func etimedout() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.silentTarget(port: silentPort)
        defer { target.close() }
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        try ProbeSockets.boundHandshake(fd, userTimeoutMs: 1000)
        let start = MonotonicClock.now()
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target.address) }
        let took = MonotonicClock.now() - start
        return ProbeObservation(outcome, detail: "blocking connect, SYNs dropped (accept queue full), TCP_SYNCNT 1, TCP_USER_TIMEOUT 1000 ms; returned after \(ProbeSockets.millis(took))", callNs: took)
    }

    static func eintr() throws(ProbeSetupFailure) -> ProbeObservation {
        if let e = ProbeSignal.installed { throw ProbeSetupFailure(errno: e, step: "sigaction") }
        let target = try ProbeSockets.silentTarget(port: silentPort)
        defer { target.close() }
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        try ProbeSockets.boundHandshake(fd, userTimeoutMs: 3000)
        ProbeSignal.unblockInThisThread()
        let interrupter = try ProbeSignal.Interrupter.start(target: pthread_self(), firstAfterMs: 100, everyMs: 100, times: 25)
        let start = MonotonicClock.now()
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target.address) }
        let took = MonotonicClock.now() - start
        let sent = interrupter.stop()
        // The reference page: "the connection will be established asynchronously". The handshake goes
        // on after EINTR: a nonblocking connect on the same socket now says EALREADY.
        var after = ""
        if case .failed(let e, _) = outcome, e == .interrupted {
            let flags = (try? syscall { fcntl(fd.rawValue, F_GETFL) }) ?? 0
            _ = try? syscall { fcntl(fd.rawValue, F_SETFL, flags | O_NONBLOCK) }
            let again = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target.address) }
            after = "; then a nonblocking connect on it: \(again.observedText) (the handshake went on)"
        }
        return ProbeObservation(outcome, detail: "blocking connect, SYN unanswered; SIGURG handler without SA_RESTART, pthread_kill every 100 ms (\(sent) sent); connect returned after \(ProbeSockets.millis(took))" + after, callNs: took)
    }

    static func eafnosupport() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        let target = try ProbeSockets.ip("::1", listenPort)
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "AF_INET TCP socket, connect to an AF_INET6 sockaddr \(target)")
    }

    static func efault() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        let bad = UnsafePointer<sockaddr>(bitPattern: 16)
        let outcome = observe("connect") { () throws(Errno) in
            try fd.connect(rawPointer: bad, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        return ProbeObservation(outcome, detail: "address pointer 0x10 (unmapped page zero), length 16")
    }

    static func einvalLength() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        let target = try ProbeSockets.ip("127.0.0.1", listenPort).withLength(8)
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "AF_INET TCP connect with address length 8 (sockaddr_in is 16)")
    }

    static func enetunreach() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        let target = try ProbeSockets.ip("192.0.2.1", 80)
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "TCP connect to \(target) (TEST-NET-1) in a namespace whose only route is lo's")
    }

    static func enetdown() throws(ProbeSetupFailure) -> ProbeObservation {
        try setup("set lo down") { () throws(Errno) in try NetNamespace.setLinkUp("lo", up: false) }
        let fd = try ProbeSockets.socket(AF_INET)
        defer { fd.closeSocket() }
        try setup("SO_BINDTODEVICE lo") { () throws(Errno) in
            var name = Array("lo".utf8CString)
            _ = try syscall { setsockopt(fd.rawValue, SOL_SOCKET, SO_BINDTODEVICE, &name, socklen_t(name.count)) }
        }
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "interface lo set down (IFF_UP cleared) in the namespace; TCP socket bound to lo (SO_BINDTODEVICE) connects to \(target)")
    }

    static func enotconn() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_INET, nonblocking: true)
        defer { fd.closeSocket() }
        let target = try ProbeSockets.ip("127.0.0.1", closedPort)
        let first = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        _ = ProbeSockets.waitWritable(fd, timeoutMs: 1000)
        let pending = (try? fd.pendingError()) ?? nil
        let peer = observe("getpeername") { () throws(Errno) in _ = try fd.peerAddress() }
        let again = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(peer, detail: "a socket that could not be connected: nonblocking connect to \(target) gave \(first.observedText), SO_ERROR \(pending?.name ?? "0"); getpeername \(peer.observedText); connect again \(again.observedText)")
    }

    // MARK: ephemeral ports and local addresses

    /// Holds connections from fresh sockets to one listener until connect fails.
    static func exhaustTCPPorts() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.writeNamespaceSysctl("net.ipv4.ip_local_port_range", "\(tinyRange.low) \(tinyRange.high)")
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let listener = try ProbeSockets.tcpListener(target, backlog: 64)
        defer { listener.closeSocket() }
        var held: [FileDescriptor] = []
        defer { for s in held { s.closeSocket() } }
        for i in 0..<64 {
            let fd = try ProbeSockets.socket(AF_INET)
            held.append(fd)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            if case .failed = outcome {
                return ProbeObservation(outcome, detail: "ip_local_port_range \(tinyRange.low)-\(tinyRange.high) in the namespace; plain TCP connects to \(target): \(i) held, connect #\(i + 1) failed")
            }
        }
        return ProbeObservation(.succeeded(call: "connect"), detail: "64 connects, the range never ran out")
    }

    static func exhaustUDPPorts() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.writeNamespaceSysctl("net.ipv4.ip_local_port_range", "\(tinyRange.low) \(tinyRange.high)")
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        var held: [FileDescriptor] = []
        defer { for s in held { s.closeSocket() } }
        for i in 0..<64 {
            let fd = try ProbeSockets.socket(AF_INET, .datagram)
            held.append(fd)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            if case .failed = outcome {
                return ProbeObservation(outcome, detail: "ip_local_port_range \(tinyRange.low)-\(tinyRange.high); unbound UDP sockets connect to \(target) (connect autobinds a port): \(i) held, connect #\(i + 1) failed")
            }
        }
        return ProbeObservation(.succeeded(call: "connect"), detail: "64 connects, the range never ran out")
    }

    static func exhaustBindBeforeConnect() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.writeNamespaceSysctl("net.ipv4.ip_local_port_range", "\(tinyRange.low) \(tinyRange.high)")
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let listener = try ProbeSockets.tcpListener(target, backlog: 64)
        defer { listener.closeSocket() }
        let local = try ProbeSockets.ip("127.0.0.1", 0)
        var held: [FileDescriptor] = []
        defer { for s in held { s.closeSocket() } }
        for i in 0..<64 {
            let fd = try ProbeSockets.socket(AF_INET)
            held.append(fd)
            var outcome = observe("bind") { () throws(Errno) in try fd.bind(to: local) }
            if case .succeeded = outcome {
                outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            }
            if case .failed = outcome {
                return ProbeObservation(outcome, detail: "ip_local_port_range \(tinyRange.low)-\(tinyRange.high); bind(127.0.0.1:0) then connect to \(target): \(i) held, attempt #\(i + 1) failed")
            }
        }
        return ProbeObservation(.succeeded(call: "connect"), detail: "64 attempts, the range never ran out")
    }

    /// Two sockets with SO_REUSEADDR bound to the same address and port, connected to the
    /// same destination: the second would duplicate the first one's 4-tuple.
    static func sameFourTuple() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.ip("127.0.0.1", listenPort)
        let listener = try ProbeSockets.tcpListener(target, backlog: 16)
        defer { listener.closeSocket() }
        let local = try ProbeSockets.ip("127.0.0.1", 7000)
        let a = try ProbeSockets.socket(AF_INET)
        defer { a.closeSocket() }
        let b = try ProbeSockets.socket(AF_INET)
        defer { b.closeSocket() }
        for s in [a, b] {
            try setup("SO_REUSEADDR") { () throws(Errno) in try s.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) }
            try setup("bind \(local)") { () throws(Errno) in try s.bind(to: local) }
        }
        _ = try setup("first connect") { () throws(Errno) in try ProbeSockets.connect(a, target) }
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(b, target) }
        return ProbeObservation(outcome, detail: "two SO_REUSEADDR sockets bound to \(local); the first connected to \(target), then the second to the same destination")
    }
}
