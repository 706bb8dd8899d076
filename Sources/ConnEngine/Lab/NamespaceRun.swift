import ConnSys
import ConnModel

/// Runs work in a fresh network namespace on a thread of its own.
///
/// The thread unshares (CLONE_NEWNET), brings loopback up, applies the sysctls, runs the
/// body — whose threads inherit the namespace — and exits. The namespace is anonymous:
/// no name in /var/run/netns, nothing to delete; the kernel frees it, with every socket
/// and TIME_WAIT entry in it, when its last thread ends — on success, on error, on
/// Ctrl-C, even on SIGKILL. `ip netns list` never sees it.
public enum NamespaceRun {
    public enum Failure: Error, CustomStringConvertible {
        case notPermitted(Errno)
        case unshare(Errno)
        case notIsolated
        case sysctl(SysctlSetting, Errno)
        case thread(Errno)

        public var description: String {
            switch self {
            case .notPermitted(let e):
                "--netns needs root (CAP_SYS_ADMIN): unshare(CLONE_NEWNET) failed with \(e.name)"
            case .unshare(let e):
                "--netns: could not create a network namespace: \(e.name) (\(e))"
            case .notIsolated:
                "--netns: the thread is still in the host's namespace after unshare; refusing to set sysctls"
            case .sysctl(let s, let e):
                e == .noSuchFileOrDirectory
                    ? "--sysctl \(s.key): no such tunable in a network namespace (only per-namespace net.* keys can be set)"
                    : "--sysctl \(s): the kernel refused it: \(e.name) (\(e))"
            case .thread(let e):
                "--netns: pthread_create failed: \(e.name)"
            }
        }
    }

    /// Creates a namespace, applies the sysctls, and lets it go: a cheap (~ms) check that
    /// a run will be able to isolate itself, made before anything is printed or started.
    package static func check(sysctls: [SysctlSetting]) throws(Failure) {
        try run(sysctls: sysctls) { () }
    }

    /// Runs `body` in a new namespace with `sysctls` applied, and returns its result after
    /// the namespace's thread has ended.
    package static func run<T: Sendable>(sysctls: [SysctlSetting], _ body: @escaping @Sendable () -> T) throws(Failure) -> T {
        let outcome = NetNamespace.onFreshThread { () -> Result<T, Failure> in
            for s in sysctls {
                do throws(Errno) { try ProcFiles.write(ProcFiles.sysctlPath(s.key), s.value) } catch { return .failure(.sysctl(s, error)) }
            }
            return .success(body())
        }
        switch outcome {
        case .success(.success(let v)): return v
        case .success(.failure(let f)): throw f
        case .failure(.enter(let e)): throw e == .notPermitted || e == .permissionDenied ? .notPermitted(e) : .unshare(e)
        case .failure(.notIsolated): throw .notIsolated
        case .failure(.thread(let e)): throw .thread(e)
        }
    }
}
