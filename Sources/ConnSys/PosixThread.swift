@preconcurrency import Glibc
import SystemPackage

/// A joinable pthread running a Sendable closure.
///
/// Workers are real, pinned OS threads rather than tasks on Swift's cooperative pool: the
/// pool may move work between threads, and a pinned epoll loop must not move. The entry
/// point is an ordinary function here, not a closure in `main.swift` (those inherit
/// main-actor isolation and trap when another thread runs them).
public struct PosixThread: Sendable {
    private final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let handle: pthread_t

    public static func spawn(_ body: @escaping @Sendable () -> Void) throws(Errno) -> PosixThread {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, posixThreadEntry, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw Errno(rawValue: rc)
        }
        return PosixThread(handle: handle)
    }

    public func join() {
        pthread_join(handle, nil)
    }

    fileprivate static func run(_ raw: UnsafeMutableRawPointer) {
        let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
        box.body()
    }
}

private func posixThreadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let raw { PosixThread.run(raw) }
    return nil
}

/// A value a thread hands back to the thread that joins it. The join is the
/// synchronisation: the value is written before the thread ends and read after
/// ``PosixThread/join()``, so no lock is needed, which the compiler cannot see.
public final class JoinedResult<T>: @unchecked Sendable {
    public var value: T?
    public init() {}
}
