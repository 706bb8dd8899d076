/// How attempts are paced.
///
/// Open loop (`fixed`) is what a capacity question needs: attempts are due at fixed
/// intended times whatever the system does, so a stall shows up as latency (measured from
/// the intended time) instead of silently lowering the offered load. Closed loop (`max`)
/// starts an attempt whenever a slot frees, to find the ceiling.
public enum Rate: Sendable, Equatable, Codable, CustomStringConvertible {
    case fixed(perSecond: Double)
    case max

    public var description: String {
        switch self {
        case .fixed(let r): r == r.rounded() ? String(Int64(r)) : String(r)
        case .max: "max"
        }
    }

    package var perSecond: Double? {
        if case .fixed(let r) = self { return r }
        return nil
    }
}

/// How an established connection is closed.
public enum CloseMode: String, Sendable, Codable, CaseIterable {
    /// A normal close: FIN, and the closer keeps TIME_WAIT — what a real client does.
    case fin
    /// SO_LINGER {1, 0}: RST, no TIME_WAIT — isolates connect() from port reuse.
    case rst
}

/// How the built-in listener treats an accepted connection.
public enum ListenerClose: String, Sendable, Codable, CaseIterable {
    /// Close at once after accept: the cheapest listener, the ceiling for the generator.
    case immediate
    /// Wait for the client's FIN, so that the client is the active closer and holds the
    /// TIME_WAIT — the setting under which a client runs out of ephemeral ports. The default.
    case peer
}
