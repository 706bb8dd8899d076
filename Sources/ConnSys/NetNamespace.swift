@preconcurrency import Glibc
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

    /// Why ``onFreshThread(_:)`` could not run its body.
    public enum FreshThreadFailure: Error, Sendable {
        /// unshare(CLONE_NEWNET) or bringing loopback up failed.
        case enter(Errno)
        /// The thread is still in the namespace it started in: nothing may be tuned there.
        case notIsolated
        case thread(Errno)
    }

    /// Runs `body` on a new thread that first enters a fresh namespace (loopback up) and
    /// checks that it really left the one it started in; returns after the thread ended,
    /// which frees the namespace. The one way connbench isolates work: runs, exhaust
    /// cases and probe scenarios all go through here.
    public static func onFreshThread<T>(_ body: @escaping @Sendable () -> T) -> Result<T, FreshThreadFailure> {
        let box = JoinedResult<Result<T, FreshThreadFailure>>()
        do throws(Errno) {
            let thread = try PosixThread.spawn {
                do throws(FreshThreadFailure) {
                    try enterFreshChecked()
                } catch {
                    box.value = .failure(error)
                    return
                }
                box.value = .success(body())
            }
            thread.join()
        } catch {
            return .failure(.thread(error))
        }
        return box.value ?? .failure(.thread(.ioError))
    }

    /// ``enterFresh()``, then a check that the calling thread really left the namespace it
    /// was in (nothing may be tuned in the old one). For a thread that must stay in its
    /// namespace while others work, such as the veth lab's listener thread.
    public static func enterFreshChecked() throws(FreshThreadFailure) {
        let before = currentIdentity()
        do throws(Errno) {
            try enterFresh()
        } catch {
            throw .enter(error)
        }
        guard let after = currentIdentity(), after != before else { throw .notIsolated }
    }

    public static func setLinkUp(_ name: String, up: Bool = true) throws(Errno) {
        _ = try syscall { cbs_set_link_up(name, up ? 1 : 0) }
    }

    /// Joins the namespace open at `fd` (e.g. /var/run/netns/NAME or /proc/PID/ns/net).
    public static func join(_ fd: FileDescriptor) throws(Errno) {
        _ = try syscall { cbs_setns_net(fd.rawValue) }
    }

    /// The calling thread's namespace, open so that another thread can ``join(_:)`` it;
    /// the caller closes it with ``close(_:)``.
    public static func openCurrent() throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try syscall { open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) })
    }

    public static func close(_ fd: FileDescriptor) {
        _ = try? syscall { Glibc.close(fd.rawValue) }
    }

    /// The inode that identifies the calling thread's namespace, to tell two apart.
    public static func currentIdentity() -> String? {
        ProcFiles.readLink("/proc/thread-self/ns/net")
    }
}

/// Which network namespace a thread is in, as a report should name it: a run that did not
/// create its namespace (`ip netns exec lab1 connbench …`) is not on the host, and saying
/// "host" there would make two incomparable runs look alike.
public struct NamespaceIdentity: Sendable, Codable, Equatable {
    /// The nsfs inode, as in `net:[INODE]`; equal inodes are the same namespace.
    public var inode: UInt64
    /// Same namespace as PID 1 (the host's, or the container's own when run in one).
    public var isInitial: Bool
    /// The `ip netns` name bound to it in /run/netns (or /var/run/netns), if any.
    public var name: String?

    public init(inode: UInt64, isInitial: Bool, name: String?) {
        self.inode = inode
        self.isInitial = isInitial
        self.name = name
    }

    /// `net:[INODE]`, as readlink shows it.
    public var link: String { "net:[\(inode)]" }
}

extension NetNamespace {
    /// The calling thread's namespace; nil when /proc/thread-self/ns/net cannot be read.
    ///
    /// Initial means PID 1's namespace. Where PID 1's links cannot be read (even root gets
    /// EACCES when PID 1 is not dumpable to it, as in some sandboxes), the kernel's fixed
    /// inode for the initial namespace decides; before Linux gave initial namespaces fixed
    /// inodes, such a thread is reported as not initial.
    public static func identity() -> NamespaceIdentity? {
        guard let own = ProcFiles.readLink("/proc/thread-self/ns/net").flatMap(inode(ofLink:)) else { return nil }
        let isInitial: Bool
        if let pid1 = ProcFiles.readLink("/proc/1/ns/net").flatMap(inode(ofLink:)) {
            isInitial = pid1 == own
        } else {
            isInitial = own == initialNetInode
        }
        return NamespaceIdentity(inode: own, isInitial: isInitial, name: name(ofInode: own))
    }

    /// The initial network namespace's inode on kernels that fix it (PROC_NET_INIT_INO,
    /// 0xEFFFFFF9, Linux 6.18 on; this machine's host namespace shows it). Namespaces created later
    /// get inodes from 0xF0000000 up, so no other namespace can have it.
    public static let initialNetInode: UInt64 = 0xEFFF_FFF9

    /// The inode in `net:[4026531840]`.
    public static func inode(ofLink link: String) -> UInt64? {
        guard link.hasPrefix("net:["), link.hasSuffix("]") else { return nil }
        return UInt64(link.dropFirst(5).dropLast())
    }

    /// The first name under /run/netns or /var/run/netns whose bind mount has this inode.
    public static func name(ofInode inode: UInt64) -> String? {
        for dir in ["/run/netns", "/var/run/netns"] {
            for entry in ProcFiles.directoryEntries(dir) {
                var st = Glibc.stat()
                // lstat: the entries are nsfs bind mounts, not links; no struct/function clash.
                guard (try? syscall { lstat(dir + "/" + entry, &st) }) != nil else { continue }
                if UInt64(st.st_ino) == inode { return entry }
            }
        }
        return nil
    }
}

extension ProcFiles {
    /// Names in a directory, without `.` and `..`; empty when it cannot be opened.
    public static func directoryEntries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        let n = (try? syscall { readlink(path, &buf, buf.count - 1) }) ?? -1
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import Glibc
