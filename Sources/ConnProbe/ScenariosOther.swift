@preconcurrency import Glibc
import ConnSys

/// Scenarios about the descriptor rather than the address, and the errors the probe explains
/// rather than provokes.
enum ScenariosOther {
    static func ebadf() throws(ProbeSetupFailure) -> ProbeObservation {
        let target = try ProbeSockets.ip("127.0.0.1", ScenariosTCP.listenPort)
        let outcome = observe("connect") { () throws(Errno) in
            try ProbeSockets.connect(FileDescriptor(rawValue: -1), target)
        }
        return ProbeObservation(outcome, detail: "connect on descriptor -1")
    }

    static func enotsock() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let file = try dir.makeFile("regular-file")
            let fd = try setup("open") { () throws(Errno) in try syscall { open(file, O_RDWR | O_CLOEXEC) } }
            defer { _ = try? syscall { close(fd) } }
            let target = try ProbeSockets.ip("127.0.0.1", ScenariosTCP.listenPort)
            let outcome = observe("connect") { () throws(Errno) in
                try ProbeSockets.connect(FileDescriptor(rawValue: fd), target)
            }
            return ProbeObservation(outcome, detail: "connect on the descriptor of an open regular file")
        }
    }

    /// AF_PACKET sockets have no connect operation (sock_no_connect). Needs CAP_NET_RAW; it
    /// runs in the scenario's own namespace and never sends.
    static func eopnotsupp() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try setup("socket(AF_PACKET)") { () throws(Errno) in
            FileDescriptor(rawValue: try syscall { socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0) })
        }
        defer { fd.closeSocket() }
        var storage = sockaddr_storage()
        storage.ss_family = sa_family_t(AF_PACKET)
        let outcome = observe("connect") { () throws(Errno) in
            try withUnsafePointer(to: &storage) { p throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(Errno) in
                    try fd.connect(rawPointer: sa, length: 20)  // sizeof(struct sockaddr_ll)
                }
            }
        }
        return ProbeObservation(outcome, detail: "AF_PACKET SOCK_DGRAM socket (protocol 0: receives nothing), connect to a sockaddr_ll")
    }

    static func enobufs() throws(ProbeSetupFailure) -> ProbeObservation {
        ProbeObservation(.notRun, detail: "would need the kernel to fail a memory allocation inside connect")
    }

    /// The mechanism behind connect()'s only ENOSPC: with SO_PASSCRED set, connect on an
    /// unbound unix socket autobinds it to an abstract name `\0` + 5 hex digits.
    static func autobindDemo() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let path = dir.child("listener")
            let listener = try ProbeSockets.unixBound(dir, path)
            defer { listener.closeSocket() }
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            try setup("SO_PASSCRED") { () throws(Errno) in try fd.setOption(level: SOL_SOCKET, name: SO_PASSCRED, value: 1) }
            let target = try ProbeSockets.unix(path)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            let name = (try? fd.localAddress()).map(abstractName) ?? "?"
            return ProbeObservation(outcome, detail: "SO_PASSCRED on an unbound unix socket: connect autobound it to \(name), one of 2^20 such names per network namespace")
        }
    }

    /// `@` + the abstract name, or the path, of a unix address the kernel returned.
    static func abstractName(_ a: SocketAddress) -> String {
        let bytes = withUnsafeBytes(of: a.storage) { raw in
            Array(raw[MemoryLayout<sa_family_t>.size..<min(raw.count, Int(a.length))])
        }
        guard let first = bytes.first else { return "(unnamed)" }
        if first != 0 { return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        return "@" + String(decoding: bytes.dropFirst(), as: UTF8.self)
    }
}
