@preconcurrency import Glibc
import ConnSys

/// Keeps every scenario to itself: a thread of its own in a fresh network namespace, a
/// temporary directory that is removed whatever happens.
enum ProbeIsolation {
    /// Runs `body` on a new thread that first moves into a new, anonymous network namespace
    /// with only loopback up. The namespace belongs to that thread alone and the kernel frees
    /// it when the thread ends, so nothing can be left behind; sysctls set in it never reach
    /// the host.
    static func inFreshNetworkNamespace(_ body: @escaping @Sendable () throws(ProbeSetupFailure) -> ProbeObservation) -> ProbeObservation {
        let outcome = NetNamespace.onFreshThread { () -> ProbeObservation in
            do throws(ProbeSetupFailure) {
                return try body()
            } catch {
                return ProbeObservation(.setupFailed(error.errno, step: error.step))
            }
        }
        switch outcome {
        case .success(let observation): return observation
        case .failure(.enter(let e)): return ProbeObservation(.setupFailed(e, step: "unshare(CLONE_NEWNET)"))
        case .failure(.notIsolated): return ProbeObservation(.setupFailed(.permissionDenied, step: "check fresh namespace"))
        case .failure(.thread(let e)): return ProbeObservation(.setupFailed(e, step: "pthread_create"))
        }
    }

    /// Writes a sysctl of the calling thread's network namespace, and refuses to unless that
    /// namespace differs from the process's own (the host's): the probe never tunes the host.
    static func writeNamespaceSysctl(_ key: String, _ value: String) throws(ProbeSetupFailure) {
        guard key.hasPrefix("net."),
              let mine = NetNamespace.currentIdentity(),
              let process = ProcFiles.readLink("/proc/self/ns/net"),
              mine != process
        else {
            throw ProbeSetupFailure(errno: .permissionDenied, step: "\(key): not inside a probe namespace")
        }
        try setup("write \(key)") { () throws(Errno) in try ProcFiles.write(ProcFiles.sysctlPath(key), value) }
    }

    /// Runs `body` with a fresh temporary directory and removes everything in it afterwards.
    static func withTemporaryDirectory(_ body: (ProbeTempDir) throws(ProbeSetupFailure) -> ProbeObservation) throws(ProbeSetupFailure) -> ProbeObservation {
        let dir = try ProbeTempDir()
        defer { dir.removeAll() }
        return try body(dir)
    }
}

/// A temporary directory under /tmp that remembers what the scenario made in it, so it can
/// be removed entry by entry (sockets bound to paths leave their files behind). Its name
/// carries the process id, so a check for leftovers can tell one run's from another's.
package final class ProbeTempDir {
    /// `/tmp/connbench-probe-<pid>-`: every temporary directory of process `pid` starts so.
    package static func prefix(pid: Int32 = getpid()) -> String { "/tmp/connbench-probe-\(pid)-" }
    let path: String
    private var created: [(path: String, directory: Bool)] = []

    init() throws(ProbeSetupFailure) {
        var template = Array((ProbeTempDir.prefix() + "XXXXXX").utf8CString)
        let made = try setup("mkdtemp") { () throws(Errno) -> Int32 in
            try syscall { template.withUnsafeMutableBufferPointer { buf -> Int32 in
                guard let base = buf.baseAddress else { return -1 }
                return mkdtemp(base) == nil ? -1 : 0
            } }
        }
        _ = made
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func child(_ name: String) -> String { path + "/" + name }

    /// Registers a path the scenario is about to create (a socket file, a symlink).
    func track(_ path: String, directory: Bool = false) {
        created.append((path, directory))
    }

    func makeFile(_ name: String) throws(ProbeSetupFailure) -> String {
        let p = child(name)
        track(p)
        let fd = try setup("open \(name)") { () throws(Errno) in
            try syscall { open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600) }
        }
        _ = try? syscall { close(fd) }
        return p
    }

    func makeDirectory(_ name: String, mode: mode_t) throws(ProbeSetupFailure) -> String {
        let p = child(name)
        _ = try setup("mkdir \(name)") { () throws(Errno) in try syscall { mkdir(p, mode) } }
        track(p, directory: true)
        _ = try setup("chmod \(name)") { () throws(Errno) in try syscall { chmod(p, mode) } }
        return p
    }

    func makeSymlink(_ name: String, pointingTo target: String) throws(ProbeSetupFailure) -> String {
        let p = child(name)
        _ = try setup("symlink \(name)") { () throws(Errno) in try syscall { symlink(target, p) } }
        track(p)
        return p
    }

    func chmodPath(_ p: String, _ mode: mode_t) throws(ProbeSetupFailure) {
        _ = try setup("chmod") { () throws(Errno) in try syscall { chmod(p, mode) } }
    }

    /// Removes what was made, newest first, then the directory itself.
    func removeAll() {
        for entry in created.reversed() {
            if entry.directory {
                _ = try? syscall { rmdir(entry.path) }
            } else {
                _ = try? syscall { unlink(entry.path) }
            }
        }
        created.removeAll()
        _ = try? syscall { rmdir(path) }
    }
}
