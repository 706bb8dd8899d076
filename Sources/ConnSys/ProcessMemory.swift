@preconcurrency import Glibc
import SystemPackage

/// Memory figures of processes and of the kernel's slab caches, for "what does holding a
/// connection cost": a process's resident set, and the slab objects each socket needs.
public enum ProcessMemory {
    /// VmRSS in kB of `pid` (nil: this process) from /proc/PID/status; nil if unreadable
    /// (the process is gone).
    public static func residentKB(pid: pid_t? = nil) -> UInt64? {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = ProcFiles.read(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
        }
        return nil
    }
}

/// One slab cache's line of /proc/slabinfo.
public struct SlabCache: Sendable, Codable, Equatable {
    public var name: String
    public var activeObjects: Int64
    public var objectSize: Int64

    public init(name: String, activeObjects: Int64, objectSize: Int64) {
        self.name = name; self.activeObjects = activeObjects; self.objectSize = objectSize
    }

    public var activeBytes: Int64 { activeObjects * objectSize }
}

/// /proc/slabinfo (root only). Host-wide, not per namespace: every process's sockets are
/// in it, so a delta over a run is the run's cost plus whatever else the host did.
public enum SlabInfo {
    /// The caches a TCP connection allocates from: the socket (TCP), its inode
    /// (sock_inode_cache), its file (filp), its bind buckets, request socks of handshakes,
    /// and the epoll items of watched sockets.
    public static let connectionCaches = ["TCP", "tcp_bind_bucket", "tcp_bind2_bucket", "request_sock_TCP",
                                          "sock_inode_cache", "filp", "eventpoll_epi"]

    /// The named caches present in slabinfo; nil when it cannot be read.
    public static func read(names: [String] = connectionCaches) -> [SlabCache]? {
        guard let text = ProcFiles.read("/proc/slabinfo") else { return nil }
        return parse(text, names: names)
    }

    public static func parse(_ text: String, names: [String]) -> [SlabCache] {
        var found: [String: SlabCache] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4, names.contains(String(fields[0])),
                  let active = Int64(fields[1]), let size = Int64(fields[3]) else { continue }
            found[String(fields[0])] = SlabCache(name: String(fields[0]), activeObjects: active, objectSize: size)
        }
        return names.compactMap { found[$0] }
    }
}
