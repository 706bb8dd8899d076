/// SYN retransmits of the measured attempts, from each socket's own TCP_INFO
/// (`tcpi_total_retrans`) read before it was closed, whatever became of the attempt.
///
/// Two figures, because the kernel and a reader count differently: the kernel's
/// `TcpExt.TCPSynRetrans` counts retransmitted SYN *segments* (a connect that needed two
/// counts twice), a reader of a latency table wants *connects*. Both are kept, and the
/// connects by how they ended, so that the sum over every ending — not only the
/// established ones — can be set against the kernel's counter.
///
/// Only attempts that lasted ``checkAfterNs`` are asked: a SYN is first retransmitted after
/// the initial RTO (1 s, never under TCP_RTO_MIN, 200 ms), so a faster attempt cannot have
/// needed one and a healthy run pays nothing.
package struct SynRetransmits: Sendable, Codable, Equatable {
    /// Attempts that needed at least one SYN retransmit, by how they ended.
    package var established: UInt64 = 0
    package var failed: UInt64 = 0
    package var timedOut: UInt64 = 0
    /// Still in SYN_SENT when the run ended (read before they were abandoned).
    package var inFlight: UInt64 = 0
    /// SYN segments retransmitted in all: `tcpi_total_retrans` summed.
    package var segments: UInt64 = 0
    /// Attempts asked (those that lasted at least ``checkAfterNs``).
    package var checked: UInt64 = 0

    package init() {}

    @inlinable package static var checkAfterNs: UInt64 { 100_000_000 }

    /// Connects that needed at least one SYN retransmit.
    package var connects: UInt64 { established + failed + timedOut + inFlight }

    /// How an attempt that was asked ended.
    package enum Ending: Sendable {
        case established, failed, timedOut, inFlight
    }

    /// One socket's answer: `retransmits` segments, for an attempt that ended so.
    @inlinable @inline(__always)
    package mutating func count(_ retransmits: UInt32, ending: Ending) {
        checked += 1
        guard retransmits > 0 else { return }
        segments += UInt64(retransmits)
        switch ending {
        case .established: established += 1
        case .failed: failed += 1
        case .timedOut: timedOut += 1
        case .inFlight: inFlight += 1
        }
    }

    package static func + (a: SynRetransmits, b: SynRetransmits) -> SynRetransmits {
        var s = a
        s.established += b.established
        s.failed += b.failed
        s.timedOut += b.timedOut
        s.inFlight += b.inFlight
        s.segments += b.segments
        s.checked += b.checked
        return s
    }
}
