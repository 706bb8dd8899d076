@preconcurrency import Glibc
import ConnSys
import Histogram
import ConnModel

/// A worker's established connections under ``KeepOpen``, and their latency by step of
/// open count. The descriptor array is allocated before the first connect, for every
/// attempt the worker may make, so keeping one is a store; the descriptors themselves
/// leave with the result (``KeptConnections``), still open.
struct KeptSockets: ~Copyable {
    let enabled: Bool
    private let fds: UnsafeMutablePointer<Int32>
    private(set) var count = 0
    private let capacity: Int
    /// Latency from the intended start and from the connect() call, by global attempt / step.
    var latency: [Histogram<UInt64>]
    var service: [Histogram<UInt64>]
    private let stepAttempts: UInt64
    private let place: UInt64
    private let places: UInt64
    private let streakLimit: Int
    private var streak = 0
    /// The failures in a row reached the limit: the build-up starts nothing more.
    private(set) var limitHit = false

    init(keep: KeepOpen?, attempts: UInt64, place: Int, places: Int) {
        enabled = keep != nil
        capacity = keep == nil ? 0 : Int(attempts)
        fds = .allocate(capacity: Swift.max(1, capacity))
        let steps = keep?.stepCount ?? 0
        latency = (0..<steps).map { _ in LatencyHistogram.make() }
        service = (0..<steps).map { _ in LatencyHistogram.make() }
        stepAttempts = UInt64(Swift.max(1, keep?.stepAttempts ?? 1))
        self.place = UInt64(place)
        self.places = UInt64(Swift.max(1, places))
        streakLimit = keep?.failureStreakLimit ?? Int.max
    }

    deinit { fds.deallocate() }

    /// The run-wide attempt number (0-based) of this worker's `local`th (1-based) attempt.
    @inline(__always)
    func globalAttempt(_ local: UInt64) -> UInt64 { (local &- 1) &* places &+ place }

    @inline(__always)
    mutating func keep(_ fd: Int32, _ slot: ConnSlot, at now: UInt64) {
        if count < capacity { fds[count] = fd; count += 1 } else { FileDescriptor(rawValue: fd).closeSocket() }
        streak = 0
        let b = Int(globalAttempt(slot.localAttempt) / stepAttempts)
        guard b < latency.count else { return }
        latency[b].recordClamped(now > slot.intendedNs ? now - slot.intendedNs : 0)
        service[b].recordClamped(now > slot.callNs ? now - slot.callNs : 0)
    }

    @inline(__always)
    mutating func failed() {
        streak += 1
        if streak >= streakLimit { limitHit = true }
    }

    /// What the worker hands back: the open descriptors (still open), its steps, its
    /// errors numbered run-wide and dated on the monotonic clock (`startNs` is the run's
    /// start), so that processes' errors compare.
    func result(errors: [WorkerErrorEntry], startNs: UInt64) -> KeptConnections {
        KeptConnections(descriptors: Array(UnsafeBufferPointer(start: fds, count: count)), latency: latency, service: service,
                        limitHit: limitHit,
                        errors: errors.map {
                            HoldErrorCount(site: $0.site, errno: $0.errno, count: $0.count, firstNs: $0.firstNs + startNs,
                                           firstAttempt: globalAttempt($0.firstLocalAttempt))
                        })
    }
}

/// What a ``KeepOpen`` run built, beside its report: the open connections (their
/// descriptors, still open, closed by ``closeAll()``), the latency per step of open count
/// over the run's workers, and its errors numbered by global attempt.
package struct KeptConnections: Sendable {
    package var descriptors: [Int32]
    package var latency: [Histogram<UInt64>]
    package var service: [Histogram<UInt64>]
    /// Some worker stopped on a streak of failures (``KeepOpen/failureStreakLimit``).
    package var limitHit: Bool
    package var errors: [HoldErrorCount]

    /// The workers' together: histograms added step by step, errors merged per call and errno.
    package static func merged(_ parts: [KeptConnections], steps: Int) -> KeptConnections {
        var all = KeptConnections(descriptors: [], latency: (0..<steps).map { _ in LatencyHistogram.make() },
                                  service: (0..<steps).map { _ in LatencyHistogram.make() }, limitHit: false, errors: [])
        for p in parts {
            all.descriptors += p.descriptors
            for (b, h) in p.latency.enumerated() where b < steps { all.latency[b].add(h) }
            for (b, h) in p.service.enumerated() where b < steps { all.service[b].add(h) }
            all.limitHit = all.limitHit || p.limitHit
            all.errors += p.errors
        }
        all.errors = all.errors.mergedByErrnoAndCall().sorted { $0.firstNs < $1.firstNs }
        return all
    }

    /// POLLRDHUP (GNU-only in the headers Swift sees).
    private static let pollPeerClosed: Int16 = 0x2000

    /// Kept connections the peer has closed or reset by now: one poll() over all of them.
    package func countLost() -> UInt64 {
        var pfds = descriptors.map { pollfd(fd: $0, events: Self.pollPeerClosed, revents: 0) }
        guard !pfds.isEmpty, ((try? syscall { poll(&pfds, nfds_t(pfds.count), 0) }) ?? 0) > 0 else { return 0 }
        return UInt64(pfds.filter { $0.revents & (Self.pollPeerClosed | Int16(POLLHUP | POLLERR)) != 0 }.count)
    }

    /// Closes every kept connection (RST when the run set SO_LINGER 0); how many, and how long it took.
    package mutating func closeAll() -> (closed: UInt64, ns: UInt64) {
        let t0 = MonotonicClock.now()
        for fd in descriptors { FileDescriptor(rawValue: fd).closeSocket() }
        let n = UInt64(descriptors.count)
        descriptors = []
        return (n, n > 0 ? MonotonicClock.now() - t0 : 0)
    }
}
