@preconcurrency import Glibc
import CConnShim
import SystemPackage

/// One epoll instance, owned by one thread. Events carry a 64-bit tag that the owner
/// chooses (connbench packs slot index and generation into it).
public struct Epoll: ~Copyable {
    public let fd: FileDescriptor

    public init() throws(Errno) {
        fd = FileDescriptor(rawValue: try syscall { epoll_create1(Int32(EPOLL_CLOEXEC)) })
    }

    deinit { fd.closeSocket() }

    @inlinable
    public func add(_ target: FileDescriptor, events: UInt32, tag: UInt64) throws(Errno) {
        _ = try syscall { cbs_epoll_add(fd.rawValue, target.rawValue, events, tag) }
    }

    @inlinable
    public func remove(_ target: FileDescriptor) throws(Errno) {
        _ = try syscall { cbs_epoll_del(fd.rawValue, target.rawValue) }
    }

    /// Waits up to `timeoutNanoseconds` (negative: forever) with epoll_pwait2, whose
    /// nanosecond timeout lets an open-loop schedule wake for attempts 20 µs apart, which
    /// epoll_wait's millisecond timeout cannot. EINTR is reported as zero events.
    @inlinable
    public func wait(into buffer: borrowing EpollEventBuffer, timeoutNanoseconds: Int64) throws(Errno) -> Int {
        do throws(Errno) {
            return Int(try syscall {
                cbs_epoll_wait_ns(fd.rawValue, buffer.events, Int32(buffer.capacity), timeoutNanoseconds)
            })
        } catch {
            if error == .interrupted { return 0 }
            throw error
        }
    }

    public static let readable = EPOLLIN.rawValue
    public static let writable = EPOLLOUT.rawValue
    public static let peerClosed = EPOLLRDHUP.rawValue
    public static let error = EPOLLERR.rawValue
    public static let hangUp = EPOLLHUP.rawValue
    public static let exclusive = EPOLLEXCLUSIVE.rawValue
    /// EPOLLONESHOT (1 << 30): report once, then stay in the set disabled — a connect that
    /// completed never wakes its owner again. Spelled out: the header Swift sees hides it.
    public static let oneShot: UInt32 = 1 << 30
}

/// Room for the events one `epoll_pwait2` returns, allocated once per thread.
/// `epoll_event` is packed, so its fields are read through the C shim, not by Swift layout.
public struct EpollEventBuffer: ~Copyable {
    public let events: UnsafeMutablePointer<epoll_event>
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = Swift.max(1, capacity)
        events = .allocate(capacity: self.capacity)
    }

    deinit { events.deallocate() }

    @inlinable public func tag(at i: Int) -> UInt64 { cbs_event_data(events, Int32(i)) }
    @inlinable public func flags(at i: Int) -> UInt32 { cbs_event_flags(events, Int32(i)) }
}
