@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// The one way connbench starts a process: posix_spawn from the calling thread (a child
/// created by clone() takes that thread's network namespace, so a thread that entered a
/// fresh namespace starts its children inside it), with its standard descriptors set and
/// its signals arranged for how it is to be stopped. ``ChildProcess`` (a copy of connbench)
/// and ``SpawnedProgram`` (another program) are its two uses.
public enum ProcessSpawn {
    /// What a child's standard descriptor is.
    public enum Stdio: Sendable {
        case devNull
        /// The child's end of a channel; the caller closes its copy after the spawn.
        case descriptor(Int32)
    }

    /// How the child takes SIGINT and SIGTERM.
    public enum Signals: Sendable {
        /// Blocked: a Ctrl-C reaches the whole process group, and a part of connbench must
        /// answer it through its parent (report, then close), not die mid-count.
        case stopSignalsBlocked
        /// An empty mask, default handlers and a process group of its own: connbench blocks
        /// those signals in its threads to take them synchronously, and a Ctrl-C to the
        /// terminal's group must reach connbench alone, which then stops the program in order.
        case ownGroupDefaults
    }

    /// Starts `path` with `argv0` and `arguments`; stdin, stdout and stderr as given (a nil
    /// stderr is inherited). `environment`: the whole environment; nil is the caller's.
    public static func spawn(path: String, argv0: String, arguments: [String], stdin: Stdio, stdout: Stdio, stderr: Stdio?,
                             signals: Signals, environment: [String]? = nil) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var standard: [(Int32, Stdio)] = [(0, stdin), (1, stdout)]
        if let stderr { standard.append((2, stderr)) }
        for (fd, stdio) in standard {
            switch stdio {
            case .devNull: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let d): posix_spawn_file_actions_adddup2(&actions, d, fd)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        switch signals {
        case .stopSignalsBlocked:
            posix_spawnattr_setsigmask(&attributes, &stopSignals)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        case .ownGroupDefaults:
            var empty = sigset_t()
            sigemptyset(&empty)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &stopSignals)
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([argv0] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc: Int32
        if let environment {
            let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
            defer { envp.forEach { free($0) } }
            rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        } else {
            rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        }
        guard rc == 0 else { throw Errno(rawValue: rc) }
        return pid
    }

    /// A close-on-exec unix stream pair (parent's end, child's end). A socketpair and not
    /// pipes: the parent writes with MSG_NOSIGNAL (a child that died is an EPIPE, not a
    /// SIGPIPE), and a child sees EOF when the parent is gone.
    public static func channelPair() throws(Errno) -> (parent: FileDescriptor, child: FileDescriptor) {
        var pair: [Int32] = [-1, -1]
        _ = try syscall { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        return (FileDescriptor(rawValue: pair[0]), FileDescriptor(rawValue: pair[1]))
    }
}
