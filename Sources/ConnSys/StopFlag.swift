import Synchronization

/// Read by every worker once per loop turn, written only to stop: a relaxed load on a
/// line nobody else writes, not an atomic shared on the per-connect path.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .relaxed) }
    public var isStopped: Bool { flag.load(ordering: .relaxed) }
}

/// A counter threads add to when they finish (never per connect).
public final class SharedCounter: Sendable {
    private let atomic = Atomic<UInt64>(0)
    public init() {}
    public func add(_ n: UInt64) { atomic.add(n, ordering: .relaxed) }
    public var value: UInt64 { atomic.load(ordering: .relaxed) }
}
