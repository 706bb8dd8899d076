import CConnShim
import SystemPackage

/// Network namespaces owned by connbench.
///
/// `unshare(CLONE_NEWNET)` gives the calling thread an anonymous namespace: nothing names
/// it in /var/run/netns, and the kernel frees it when the last thread in it exits — so it
/// cannot be left behind, not even by SIGKILL. Threads created afterwards inherit it.
public enum NetNamespace {
    /// Moves the calling thread into a new namespace with loopback up.
    public static func enterFresh() throws(Errno) {
        _ = try syscall { cbs_unshare_net() }
        try setLinkUp("lo")
    }

    public static func setLinkUp(_ name: String, up: Bool = true) throws(Errno) {
        _ = try syscall { cbs_set_link_up(name, up ? 1 : 0) }
    }

    /// Joins the namespace open at `fd` (e.g. /var/run/netns/NAME or /proc/PID/ns/net).
    public static func join(_ fd: FileDescriptor) throws(Errno) {
        _ = try syscall { cbs_setns_net(fd.rawValue) }
    }

    /// The inode that identifies the calling thread's namespace, to tell two apart.
    public static func currentIdentity() -> String? {
        ProcFiles.readLink("/proc/thread-self/ns/net")
    }
}

extension ProcFiles {
    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        let n = (try? syscall { readlink(path, &buf, buf.count - 1) }) ?? -1
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import Glibc
