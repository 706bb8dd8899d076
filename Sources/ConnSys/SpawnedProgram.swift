@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// Another program (not a copy of connbench), started with posix_spawn, with its stdout
/// and stderr each on a socketpair so that a `LineReader` can read them against a deadline.
///
/// The program gets its own process group and default stop signals
/// (``ProcessSpawn/Signals/ownGroupDefaults``), so connbench stops it in order.
public struct SpawnedProgram: Sendable, WaitableChild {
    public let pid: pid_t
    public let stdout: FileDescriptor
    public let stderr: FileDescriptor

    /// `environment` entries replace or add to the caller's environment.
    public static func spawn(path: String, arguments: [String],
                             environment: [String: String] = [:]) throws(Errno) -> SpawnedProgram {
        let out = try ProcessSpawn.channelPair()
        let err: (parent: FileDescriptor, child: FileDescriptor)
        do { err = try ProcessSpawn.channelPair() } catch {
            out.parent.closeSocket()
            out.child.closeSocket()
            throw error
        }
        defer {
            out.child.closeSocket()
            err.child.closeSocket()
        }
        do {
            let pid = try ProcessSpawn.spawn(path: path, argv0: path, arguments: arguments, stdin: .devNull,
                                             stdout: .descriptor(out.child.rawValue), stderr: .descriptor(err.child.rawValue),
                                             signals: .ownGroupDefaults, environment: mergedEnvironment(environment))
            return SpawnedProgram(pid: pid, stdout: out.parent, stderr: err.parent)
        } catch {
            out.parent.closeSocket()
            err.parent.closeSocket()
            throw error
        }
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
