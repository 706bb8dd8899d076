import ConnSys
import ConnModel

/// One worker's fine-grained record for exhaustion onset: per bucket of a few
/// milliseconds, attempts started, connect() calls and their summed duration,
/// established, failed, exhaustion errnos, and the parity of the source ports the kernel
/// chose. The 1 s time series is far too coarse: a 1000-port range runs out in ~40 ms.
///
/// Allocated once before the first connect; recording is an index and a few adds.
package struct OnsetTrack: ~Copyable {
    package let bucketNs: UInt64
    package let count: Int
    package let buckets: UnsafeMutablePointer<OnsetBucket>

    package init(totalNs: UInt64) {
        bucketNs = OnsetTrack.bucketNs(totalNs: totalNs)
        count = Int(totalNs / bucketNs) + 2
        buckets = .allocate(capacity: count)
        buckets.initialize(repeating: OnsetBucket(), count: count)
    }

    deinit { buckets.deallocate() }

    /// 5 ms, or coarser for long runs so a worker holds at most 50 000 buckets (2.4 MB).
    package static func bucketNs(totalNs: UInt64) -> UInt64 {
        Swift.max(5_000_000, totalNs / 50_000)
    }

    @inlinable @inline(__always)
    package func index(_ sinceStartNs: UInt64) -> Int {
        let i = Int(sinceStartNs / bucketNs)
        return i < count ? i : count - 1
    }

    package func snapshot(upTo n: Int) -> [OnsetBucket] {
        Array(UnsafeBufferPointer(start: buckets, count: Swift.min(n, count)))
    }
}

/// Per-bucket counts; merged across workers by adding.
package struct OnsetBucket: Sendable, Codable, Equatable {
    package var started: UInt32 = 0
    /// The cost the detector watches, as a count and a summed duration: on epoll each
    /// connect() call; on io_uring each attempt's chain and its share of the submitting
    /// io_uring_enter (where the connect, port search included, runs inline).
    package var calls: UInt32 = 0
    package var callNs: UInt64 = 0
    package var established: UInt32 = 0
    package var failed: UInt32 = 0
    /// EADDRNOTAVAIL, EADDRINUSE, EAGAIN: the errnos that mean "no port left".
    package var exhaustion: UInt32 = 0
    package var evenPorts: UInt32 = 0
    package var oddPorts: UInt32 = 0

    package init() {}

    package static func + (a: OnsetBucket, b: OnsetBucket) -> OnsetBucket {
        var r = a
        r.started &+= b.started
        r.calls &+= b.calls
        r.callNs &+= b.callNs
        r.established &+= b.established
        r.failed &+= b.failed
        r.exhaustion &+= b.exhaustion
        r.evenPorts &+= b.evenPorts
        r.oddPorts &+= b.oddPorts
        return r
    }

    /// The errnos that say the ports ran out: connect()'s EADDRNOTAVAIL, bind()'s
    /// EADDRINUSE, and EAGAIN (a unix socket's full backlog, kernel-facts.md).
    package static let exhaustionErrnos: [Errno] = [.addressNotAvailable, .addressInUse, .resourceTemporarilyUnavailable]

    /// ``exhaustionErrnos`` as three compares: the worker asks it at every failure.
    @inlinable @inline(__always)
    package static func isExhaustion(_ e: Errno) -> Bool {
        e == .addressNotAvailable || e == .addressInUse || e == .resourceTemporarilyUnavailable
    }
}
