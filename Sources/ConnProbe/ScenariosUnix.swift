@preconcurrency import Glibc
import CConnShim
import ConnSys

/// Scenarios on unix-domain sockets, each in a temporary directory of its own.
enum ScenariosUnix {
    /// The credential the EACCES child drops to (nobody/nogroup).
    static let unprivilegedID: UInt32 = 65534

    static func econnrefused() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let path = dir.child("bound-not-listening")
            let bound = try ProbeSockets.unixBound(dir, path, listen: false)
            defer { bound.closeSocket() }
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(path)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            return ProbeObservation(outcome, detail: "unix stream connect to a socket that is bound but not listening")
        }
    }

    static func backlogFull() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let path = dir.child("listener")
            let listener = try ProbeSockets.unixBound(dir, path, backlog: 0)
            defer { listener.closeSocket() }
            let target = try ProbeSockets.unix(path)
            var held: [FileDescriptor] = []
            defer { for s in held { s.closeSocket() } }
            for i in 0..<32 {
                let fd = try ProbeSockets.socket(AF_UNIX, nonblocking: true)
                held.append(fd)
                let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
                if case .failed = outcome {
                    return ProbeObservation(outcome, detail: "nonblocking unix stream connects to a listener with backlog 0 that never accepts: \(i) queued, connect #\(i + 1) failed")
                }
            }
            return ProbeObservation(.succeeded(call: "connect"), detail: "32 connects queued, backlog never full")
        }
    }

    static func eprototype() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let path = dir.child("datagram")
            let dgram = try ProbeSockets.unixBound(dir, path, kind: .datagram, listen: false)
            defer { dgram.closeSocket() }
            let fd = try ProbeSockets.socket(AF_UNIX, .stream)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(path)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            return ProbeObservation(outcome, detail: "unix stream socket connects to a path bound by a datagram socket")
        }
    }

    static func enoent() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(dir.child("missing"))
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            return ProbeObservation(outcome, detail: "unix connect to a path whose last component does not exist")
        }
    }

    static func emptyPath() throws(ProbeSetupFailure) -> ProbeObservation {
        let fd = try ProbeSockets.socket(AF_UNIX)
        defer { fd.closeSocket() }
        // sun_family only: the path is the empty string.
        let target = try ProbeSockets.unix("/x").withLength(socklen_t(MemoryLayout<sa_family_t>.size))
        let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
        return ProbeObservation(outcome, detail: "unix connect with an empty path (address length = sizeof(sun_family))")
    }

    static func enotdir() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let file = try dir.makeFile("plain-file")
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(file + "/sock")
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            return ProbeObservation(outcome, detail: "unix connect to <regular file>/sock")
        }
    }

    static func eloop() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let a = try dir.makeSymlink("loop-a", pointingTo: dir.child("loop-b"))
            _ = try dir.makeSymlink("loop-b", pointingTo: a)
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(a)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            return ProbeObservation(outcome, detail: "unix connect to loop-a -> loop-b -> loop-a (symlink loop)")
        }
    }

    /// A path with bytes that have the high bit set (UTF-8 "é" is 0xC3 0xA9): Linux takes
    /// sun_path as bytes, so binding and connecting both work.
    static func highBitPath() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            let path = dir.child("caf\u{E9}-\u{FF}")
            let listener = try ProbeSockets.unixBound(dir, path)
            defer { listener.closeSocket() }
            let fd = try ProbeSockets.socket(AF_UNIX)
            defer { fd.closeSocket() }
            let target = try ProbeSockets.unix(path)
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, target) }
            let bytes = Array("caf\u{E9}-\u{FF}".utf8).filter { $0 >= 0x80 }.map { "0x" + String($0, radix: 16, uppercase: true) }
            return ProbeObservation(outcome, detail: "unix connect to a listening socket named with high-bit bytes \(bytes.joined(separator: " "))")
        }
    }

    /// EACCES, search permission: the socket sits in a directory the caller may not search.
    static func eaccesSearch() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            try dir.chmodPath(dir.path, 0o755)
            let locked = try dir.makeDirectory("locked", mode: 0o700)
            let path = locked + "/sock"
            let listener = try ProbeSockets.unixBound(dir, path)
            defer { listener.closeSocket() }
            let target = try ProbeSockets.unix(path)
            let (outcome, who) = connectUnprivileged(target)
            return ProbeObservation(outcome, detail: "\(who) connects to locked/sock; locked is root's, mode 0700 (no search permission for others)")
        }
    }

    /// EACCES, write permission: the socket file itself is not writable by the caller.
    static func eaccesWrite() throws(ProbeSetupFailure) -> ProbeObservation {
        try ProbeIsolation.withTemporaryDirectory { dir throws(ProbeSetupFailure) in
            try dir.chmodPath(dir.path, 0o755)
            let path = dir.child("sock")
            let listener = try ProbeSockets.unixBound(dir, path)
            defer { listener.closeSocket() }
            try dir.chmodPath(path, 0o755)
            let target = try ProbeSockets.unix(path)
            let (outcome, who) = connectUnprivileged(target)
            return ProbeObservation(outcome, detail: "\(who) connects to a socket file of mode 0755 owned by root (no write permission for others)")
        }
    }

    /// Connects from a forked child that dropped to uid/gid 65534 (when the probe runs as
    /// root; otherwise the child keeps the caller's own credential).
    static func connectUnprivileged(_ target: SocketAddress) -> (ProbeOutcome, String) {
        var step: Int32 = 0
        var childErrno: Int32 = 0
        let who = geteuid() == 0 ? "a child process with uid/gid \(unprivilegedID)" : "a child process with uid \(geteuid())"
        do throws(Errno) {
            _ = try syscall {
                target.withSockaddr { sa, len in
                    cbs_probe_connect_as(sa, len, unprivilegedID, unprivilegedID, &step, &childErrno)
                }
            }
        } catch {
            return (.setupFailed(error, step: "fork child"), who)
        }
        let stepName: String
        switch step {
        case CBS_PROBE_STEP_SETGROUPS: stepName = "setgroups"
        case CBS_PROBE_STEP_SETGID: stepName = "setresgid"
        case CBS_PROBE_STEP_SETUID: stepName = "setresuid"
        case CBS_PROBE_STEP_SOCKET: stepName = "socket"
        case CBS_PROBE_STEP_CONNECT:
            return (childErrno == 0 ? .succeeded(call: "connect") : .failed(Errno(rawValue: childErrno), call: "connect"), who)
        default: stepName = "child step \(step)"
        }
        return (.setupFailed(Errno(rawValue: childErrno), step: "child \(stepName)"), who)
    }
}
