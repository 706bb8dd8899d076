import ConnSys
import ConnModel

extension KernelTrace {
    /// Why a kernel trace could not start: each one line a user can act on.
    package enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case noBpftrace
        case notRoot
        case noThreads
        /// setpriv or unshare (util-linux) is missing.
        case missingHelper(String)
        /// tracefs is not mounted and could not be mounted in a private namespace.
        case noTracepoints(String)
        case spawnFailed(Errno)
        /// bpftrace ended before its probes were attached; its first line on stderr.
        case exitedBeforeAttaching(String)
        case attachTimeout(seconds: Int)

        package var description: String {
            switch self {
            case .noBpftrace: "kernel trace: no bpftrace on PATH (apt-get install bpftrace)"
            case .notRoot: "kernel trace: bpftrace needs root (the effective user id is not 0)"
            case .noThreads: "kernel trace: no thread ids to trace"
            case .missingHelper(let name): "kernel trace: \(name) not found on PATH (it is part of util-linux)"
            case .noTracepoints(let why): "kernel trace: no syscall tracepoints, tracefs could not be mounted\(why.isEmpty ? "" : ": " + why)"
            case .spawnFailed(let e): "kernel trace: cannot start bpftrace: \(e.name)"
            case .exitedBeforeAttaching(let line): "kernel trace: bpftrace exited before attaching its probes\(line.isEmpty ? "" : ": " + line)"
            case .attachTimeout(let s): "kernel trace: bpftrace did not attach its probes within \(s) s"
            }
        }
    }

    /// Where bpftrace finds tracefs.
    package enum TracefsAccess: Sendable, Equatable {
        /// The host's tracefs when it is mounted, else a private mount (below).
        case automatic
        /// A tracefs mounted in a private mount namespace that only bpftrace lives in, so
        /// that no mount is ever left on the host, whatever happens to connbench.
        case privateMount
    }
}
