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
/// The socketpair (``ProcessSpawn/channelPair()``) is the child's stdin and stdout: it
/// sees EOF there when the parent is gone, its signal to close everything and exit.
public struct ChildProcess: Sendable, WaitableChild {
    public let pid: pid_t
    /// The parent's end of the socketpair (close-on-exec, so no other child inherits it).
    public let channel: FileDescriptor

    /// Starts `/proc/self/exe` with `arguments` (argv[0] is `connbench`), its stop signals
    /// blocked (``ProcessSpawn/Signals/stopSignalsBlocked``).
    public static func spawnSelf(arguments: [String]) throws(Errno) -> ChildProcess {
        let pair = try ProcessSpawn.channelPair()
        defer { pair.child.closeSocket() }
        do {
            let pid = try ProcessSpawn.spawn(path: "/proc/self/exe", argv0: "connbench", arguments: arguments,
                                             stdin: .descriptor(pair.child.rawValue), stdout: .descriptor(pair.child.rawValue),
                                             stderr: nil, signals: .stopSignalsBlocked)
            return ChildProcess(pid: pid, channel: pair.parent)
        } catch {
            pair.parent.closeSocket()
            throw error
        }
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
