@preconcurrency import Glibc
import SystemPackage

/// RLIMIT_NOFILE, raised as far as allowed: every connect in flight holds a descriptor,
/// and a benchmark that dies of EMFILE at 1024 measures the default limit, not the host.
public enum ResourceLimits {
    public struct OpenFiles: Sendable, Codable, Equatable {
        public var soft: UInt64
        public var hard: UInt64
    }

    public static func openFiles() throws(Errno) -> OpenFiles {
        var lim = rlimit()
        _ = try syscall { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }
        return OpenFiles(soft: UInt64(lim.rlim_cur), hard: UInt64(lim.rlim_max))
    }

    /// Raises the soft limit to the hard one; as root, first tries the hard limit up to
    /// `fs.nr_open`. Returns the limit in force afterwards.
    @discardableResult
    public static func raiseOpenFiles() -> OpenFiles {
        guard var current = try? openFiles() else { return OpenFiles(soft: 0, hard: 0) }
        if let nrOpen = ProcFiles.readInteger("/proc/sys/fs/nr_open"), UInt64(nrOpen) > current.hard {
            var lim = rlimit(rlim_cur: rlim_t(nrOpen), rlim_max: rlim_t(nrOpen))
            if (try? syscall { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }) != nil {
                current = OpenFiles(soft: UInt64(nrOpen), hard: UInt64(nrOpen))
                return current
            }
        }
        if current.soft < current.hard {
            var lim = rlimit(rlim_cur: rlim_t(current.hard), rlim_max: rlim_t(current.hard))
            if (try? syscall { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }) != nil {
                current.soft = current.hard
            }
        }
        return current
    }

    /// Grows this process's descriptor table now to hold `count` descriptors (at most the
    /// soft limit). The kernel grows it by doubling as descriptors are opened, and in a
    /// process of more than one thread each growth waits for an RCU grace period
    /// (expand_files → synchronize_rcu): a hold part's socket() calls stalled 10–23 ms at
    /// each doubling on the way to 16,384 (sched_switch in state D, perf). Done before the
    /// clock starts, no growth falls inside a run; the table never shrinks.
    public static func reserveDescriptorTable(count: Int) {
        guard let limit = try? openFiles() else { return }
        let top = Int32(clamping: Swift.min(count, Int(clamping: limit.soft)) - 1)
        guard top > 64 else { return }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else { return }
        let high = fcntl(null, F_DUPFD_CLOEXEC, top)
        if high >= 0 { close(high) }
        close(null)
    }

    /// Lowers the soft limit (tests use it to provoke EMFILE).
    public static func setOpenFilesSoftLimit(_ soft: UInt64) throws(Errno) {
        let current = try openFiles()
        var lim = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(current.hard))
        _ = try syscall { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) }
    }
}
