import ConnSys
import Histogram

/// One (call, errno) count of a hold, with its first occurrence: the monotonic time
/// (CLOCK_MONOTONIC is one clock for every process on the host, so parts compare) and the
/// global attempt number.
package struct HoldErrorCount: Sendable, Codable, Equatable {
    package var site: SyscallSite
    package var errno: Int32
    package var count: UInt64
    package var firstNs: UInt64
    package var firstAttempt: UInt64

    package init(site: SyscallSite, errno: Int32, count: UInt64, firstNs: UInt64, firstAttempt: UInt64) {
        self.site = site; self.errno = errno; self.count = count; self.firstNs = firstNs; self.firstAttempt = firstAttempt
    }

    package var errnoName: String { site == .timeout ? "timeout" : Errno(rawValue: errno).name }
}

/// Why a part stopped building before it had made all its attempts.
package enum HoldBuildStop: String, Sendable, Codable, Equatable {
    /// Every attempt made and settled.
    case complete
    /// 64 attempts in a row failed at once: a limit is reached and more attempts would
    /// only count it again.
    case limit
    /// The build-up time limit passed (``HoldPlan/buildLimitNs``).
    case deadline
    /// The supervisor asked it to stop (Ctrl-C, SIGTERM) or went away.
    case interrupted
}

/// What one generator part reports: its counts, its latency buckets and its times. Sent
/// to the supervisor as JSON; the histograms are HdrHistograms, Codable and so merged
/// losslessly (counts added, never percentiles averaged).
package struct HoldPartResult: Sendable, Codable, Equatable {
    package var part: Int
    package var planned: Int
    /// Attempts begun (socket() called).
    package var attempts: UInt64 = 0
    package var established: UInt64 = 0
    package var failed: UInt64 = 0
    package var timedOut: UInt64 = 0
    /// Still connecting when the build-up ended (an interrupt); closed uncounted otherwise.
    package var inFlight: UInt64 = 0
    package var stop: HoldBuildStop = .complete
    package var errors: [HoldErrorCount] = []
    /// Connect latency from each attempt's intended start (coordinated omission corrected),
    /// bucket b holding the global attempts b·step ..< (b+1)·step.
    package var latency: [Histogram<UInt64>] = []
    /// The same connects timed from the connect() call (service time, uncorrected).
    package var service: [Histogram<UInt64>] = []
    package var goNs: UInt64 = 0
    package var builtNs: UInt64 = 0
    /// Starts that began more than 1 ms after their intended time: the part fell behind.
    package var lateStarts: UInt64 = 0
    /// Established connections that had been closed or reset by the time the hold ended.
    package var lostDuringHold: UInt64 = 0
    /// Connections closed at the end (with RST), and how long closing them took.
    package var closed: UInt64 = 0
    package var closeNs: UInt64 = 0

    package init(part: Int, planned: Int) { self.part = part; self.planned = planned }

    /// attempts = established + failed + timed out + in flight.
    package var balanced: Bool { attempts == established + failed + timedOut + inFlight }
}

/// What one listener process reports.
package struct HoldListenerResult: Sendable, Codable, Equatable {
    package var part: Int
    package var accepted: UInt64 = 0
    package var closed: UInt64 = 0
    /// Sum over its ports of each port's peak held count.
    package var heldPeak: Int = 0
    /// Held when told to stop (after the generators had closed): connections whose RST it
    /// had not seen yet.
    package var heldAtStop: Int = 0
    package var closedOverHoldLimit: UInt64 = 0
    package var backlog: Int32 = 0

    package init(part: Int) { self.part = part }
}
