@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// A copy of this executable started with posix_spawn, talking to its parent over one
/// unix socketpair that is the child's stdin and stdout.
///
/// Why posix_spawn from the calling thread: namespaces belong to threads, and a child
/// created by clone() takes the *calling thread's* network namespace. A supervisor thread
/// that entered a fresh anonymous namespace therefore starts children inside it, and the
/// namespace lives exactly as long as that thread and those children.
///
/// Why a socketpair and not two pipes: the parent writes with MSG_NOSIGNAL (a child that
/// died is an EPIPE, not a SIGPIPE that kills the supervisor), and the child sees EOF on
/// its stdin when the parent is gone, which is its signal to close everything and exit.
public struct ChildProcess: Sendable, WaitableChild {
    public let pid: pid_t
    /// The parent's end of the socketpair (close-on-exec, so no other child inherits it).
    public let channel: FileDescriptor

    /// Starts `/proc/self/exe` with `arguments` (argv[0] is `connbench`). The child starts
    /// with SIGINT and SIGTERM blocked: a Ctrl-C reaches the whole process group, and a
    /// child must answer it through its parent (report, then close), not die mid-count.
    public static func spawnSelf(arguments: [String]) throws(Errno) -> ChildProcess {
        var pair: [Int32] = [-1, -1]
        _ = try syscall { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = (["connbench"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, environ)
        FileDescriptor(rawValue: pair[1]).closeSocket()
        guard rc == 0 else {
            FileDescriptor(rawValue: pair[0]).closeSocket()
            throw Errno(rawValue: rc)
        }
        return ChildProcess(pid: pid, channel: FileDescriptor(rawValue: pair[0]))
    }

    /// For a child: SIGKILL when the thread that spawned it ends, so that a supervisor
    /// killed outright takes its parts (and their connections) with it.
    public static func dieWithParent() {
        _ = try? syscall { cbs_set_parent_death_signal(SIGKILL) }
    }
}

/// Line I/O on a channel socket: whole lines out (MSG_NOSIGNAL), lines in through a
/// buffer kept by the reader.
public enum ChannelIO {
    @discardableResult
    public static func sendAll(_ fd: FileDescriptor, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                Glibc.send(fd.rawValue, buf.baseAddress! + offset, buf.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if Glibc.errno == EINTR || Glibc.errno == EAGAIN { continue }
                return false
            }
            offset += n
        }
        bytes.removeAll()
        return true
    }
}

/// Reads lines from a channel without blocking past a deadline.
public final class LineReader {
    public let fd: FileDescriptor
    private var buffer: [UInt8] = []
    /// EOF (or an error) seen: nothing more will come.
    public private(set) var closed = false

    public init(_ fd: FileDescriptor) { self.fd = fd }

    /// One nonblocking read into the buffer.
    public func fill() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
        } else if n == 0 || (Glibc.errno != EAGAIN && Glibc.errno != EINTR) {
            closed = true
        }
    }

    /// A complete line already read, if any.
    public func takeLine() -> String? {
        guard let nl = buffer.firstIndex(of: 10) else { return nil }
        let line = String(decoding: buffer[..<nl], as: UTF8.self)
        buffer.removeSubrange(...nl)
        return line
    }

    /// Waits up to `timeoutNs` for a complete line; nil at the deadline or at EOF.
    public func nextLine(timeoutNs: UInt64) -> String? {
        let end = MonotonicClock.now() + timeoutNs
        while true {
            if let line = takeLine() { return line }
            let now = MonotonicClock.now()
            if closed || now >= end { return nil }
            var pfd = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(UInt64(100), (end - now) / 1_000_000 + 1))
            if ((try? syscall { poll(&pfd, 1, ms) }) ?? 0) > 0 { fill() }
        }
    }
}
