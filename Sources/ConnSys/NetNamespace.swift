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
        let box = ResultBox<Result<T, FreshThreadFailure>>()
        do throws(Errno) {
            let thread = try PosixThread.spawn {
                let before = currentIdentity()
                do throws(Errno) {
                    try enterFresh()
                } catch {
                    box.value = .failure(.enter(error))
                    return
                }
                guard let after = currentIdentity(), after != before else {
                    box.value = .failure(.notIsolated)
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

    /// Written by the namespace's thread before it ends, read after the join.
    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
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
