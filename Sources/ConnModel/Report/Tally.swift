/// How attempts ended. Every attempt lands in exactly one field, so
/// `attempts == established + failed + timedOut + inFlight` is an identity, not a hope.
public struct Tally: Sendable, Codable, Equatable {
    public var attempts: UInt64 = 0
    public var established: UInt64 = 0
    package var failed: UInt64 = 0
    package var timedOut: UInt64 = 0
    /// Still connecting when the run ended; abandoned, not guessed at.
    package var inFlight: UInt64 = 0

    package init() {}

    package var isBalanced: Bool { attempts == established + failed + timedOut + inFlight }

    /// The identity as it fails, with its figures: what a refusal of an unbalanced tally says.
    package var imbalanceText: String {
        "attempts \(attempts) != established \(established) + failed \(failed) + timed out \(timedOut) + in flight \(inFlight)"
    }

    package static func + (a: Tally, b: Tally) -> Tally {
        var t = a
        t.attempts += b.attempts
        t.established += b.established
        t.failed += b.failed
        t.timedOut += b.timedOut
        t.inFlight += b.inFlight
        return t
    }
}
