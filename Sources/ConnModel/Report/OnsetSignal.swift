import ConnSys

/// What marked the exhaustion onset: an exhaustion errno the kernel returned, or a sign
/// the workers measured before any errno came.
package enum OnsetSignal: Sendable, Hashable, Codable, CustomStringConvertible {
    case errno(Errno)
    /// connect()'s own cost rose the way a port search that skips used ports makes it.
    case connectCallCost
    /// io_uring: the submission's time per chain rose (the connect runs inline in it).
    case submitCost
    case rateDrop
    /// The workers counted exhaustion errnos, but the errors table dated none of them.
    case undatedErrno

    package var description: String {
        switch self {
        case .errno(let e): e.name
        case .connectCallCost: "connect-call-cost"
        case .submitCost: "submit-cost"
        case .rateDrop: "rate-drop"
        case .undatedErrno: "errno"
        }
    }

    /// Reads what ``description`` writes.
    package init?(text: String) {
        if let measured = [OnsetSignal.connectCallCost, .submitCost, .rateDrop, .undatedErrno].first(where: { $0.description == text }) {
            self = measured
        } else if let e = Errno(name: text) {
            self = .errno(e)
        } else {
            return nil
        }
    }

    /// Saved as its text, as reports have always shown it.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let signal = OnsetSignal(text: try c.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an onset signal")
        }
        self = signal
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
