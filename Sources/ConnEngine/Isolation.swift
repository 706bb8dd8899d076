import ConnSys

/// One `--sysctl KEY=VALUE`.
public struct SysctlSetting: Sendable, Codable, Equatable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(key: String, value: String) { self.key = key; self.value = value }

    /// Only `net.*` keys: the network tunables are the ones a fresh network namespace gets
    /// its own copy of. Linux registers the global ones (net.core.rmem_max, tcp_mem, …)
    /// in the initial namespace only, so inside a fresh namespace they do not exist and
    /// the write fails instead of reaching the host.
    public static func parse(_ text: String) throws(ConfigError) -> SysctlSetting {
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError("--sysctl: expected KEY=VALUE, e.g. net.ipv4.tcp_tw_reuse=0 (got '\(text)')")
        }
        let key = String(text[..<eq]).trimmingWhitespace().replacingSlashes()
        var value = String(text[text.index(after: eq)...]).trimmingWhitespace()
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
        let allowed = key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-" }
        guard key.hasPrefix("net."), allowed, !key.contains(".."), !key.hasSuffix(".") else {
            throw ConfigError("--sysctl: '\(key)' is not a network tunable (net.*); only those are set, and only inside the run's own namespace")
        }
        guard !value.isEmpty, !value.contains("\n") else { throw ConfigError("--sysctl: \(key) needs a value") }
        return SysctlSetting(key: key, value: value)
    }

    public var description: String { "\(key)=\(value)" }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}

/// Whether a run gets its own network namespace, and what is set inside it.
public struct Isolation: Sendable, Codable, Equatable {
    public var netns = false
    public var sysctls: [SysctlSetting] = []
    public init(netns: Bool = false, sysctls: [SysctlSetting] = []) { self.netns = netns; self.sysctls = sysctls }
}

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
    public static func check(sysctls: [SysctlSetting]) throws(Failure) {
        try run(sysctls: sysctls) { () }
    }

    /// Runs `body` in a new namespace with `sysctls` applied, and returns its result after
    /// the namespace's thread has ended.
    public static func run<T: Sendable>(sysctls: [SysctlSetting], _ body: @escaping @Sendable () -> T) throws(Failure) -> T {
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
