@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// Another program (not a copy of connbench), started with posix_spawn, with its stdout
/// and stderr each on a socketpair so that a `LineReader` can read them against a deadline.
///
/// The program gets its own process group, an empty signal mask and default SIGINT and
/// SIGTERM: connbench blocks those signals in its threads to take them synchronously, and a
/// Ctrl-C to the terminal's group must reach connbench alone, which then stops the program
/// in order instead of having it stop on its own mid-run.
public struct SpawnedProgram: Sendable, WaitableChild {
    public let pid: pid_t
    public let stdout: FileDescriptor
    public let stderr: FileDescriptor

    /// `environment` entries replace or add to the caller's environment.
    public static func spawn(path: String, arguments: [String],
                             environment: [String: String] = [:]) throws(Errno) -> SpawnedProgram {
        let out = try socketPair()
        let err: (parent: Int32, child: Int32)
        do { err = try socketPair() } catch {
            FileDescriptor(rawValue: out.parent).closeSocket()
            FileDescriptor(rawValue: out.child).closeSocket()
            throw error
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.child, 1)
        posix_spawn_file_actions_adddup2(&actions, err.child, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = mergedEnvironment(environment).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        FileDescriptor(rawValue: out.child).closeSocket()
        FileDescriptor(rawValue: err.child).closeSocket()
        guard rc == 0 else {
            FileDescriptor(rawValue: out.parent).closeSocket()
            FileDescriptor(rawValue: err.parent).closeSocket()
            throw Errno(rawValue: rc)
        }
        return SpawnedProgram(pid: pid, stdout: FileDescriptor(rawValue: out.parent), stderr: FileDescriptor(rawValue: err.parent))
    }

    public func closeChannels() {
        stdout.closeSocket()
        stderr.closeSocket()
    }

    /// The first executable called `name` in a directory of PATH.
    public static func locate(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if (try? syscall { access(candidate, X_OK) }) != nil { return candidate }
        }
        return nil
    }

    /// A close-on-exec unix stream pair: lines both ways, readable by `LineReader`.
    public static func channelPair() throws(Errno) -> (FileDescriptor, FileDescriptor) {
        let pair = try socketPair()
        return (FileDescriptor(rawValue: pair.parent), FileDescriptor(rawValue: pair.child))
    }

    private static func socketPair() throws(Errno) -> (parent: Int32, child: Int32) {
        var pair: [Int32] = [-1, -1]
        _ = try syscall { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) }
        return (pair[0], pair[1])
    }

    private static func mergedEnvironment(_ extra: [String: String]) -> [String] {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            let key = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if extra[key] == nil { entries.append(text) }
            cursor += 1
        }
        return entries + extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
