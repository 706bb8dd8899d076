/// What the listener saw of a run, from its own side: the generator reports connects,
/// this reports accepts, closes and held connections, and the listen-queue counters that
/// say whether connects were lost before any accept (a full backlog drops SYNs silently;
/// the client only sees a retransmission or a timeout).
package struct ListenerSideReport: Sendable, Codable, Equatable {
    package var address: String
    package var mode: ListenerMode
    package var accepted: UInt64
    /// Closed by the listener: at once, after the client ended them, past the hold
    /// limit, or at stop.
    package var closed: UInt64
    /// Open now, waiting for the client to close (wait-fin, hold).
    package var heldNow: Int
    package var heldPeak: Int
    /// hold: refused a hold (closed at once) because the limit was reached.
    package var closedOverHoldLimit: UInt64
    /// ``KernelCounter/listenQueue`` over the listener's life (or since the caller's baseline), for
    /// its whole namespace.
    package var counters: [KernelContext.CounterDelta]
    /// TIME_WAIT sockets whose local port is the listener's: connections the listener
    /// closed first. Nil for a unix listener or when the table cannot be read.
    package var timeWaitListenerSide: Int?

    /// The delta of one of ``KernelCounter/listenQueue``, when it was read.
    package func delta(_ c: KernelCounter) -> Int64? { counters.first { $0.counter == c }?.delta }

    /// One `key=value` figure per line, `accepted` first (what `connbench listen` printed
    /// before it printed anything else, so scripts that read the first line keep working).
    package var keyValues: [(key: String, value: String)] {
        var out: [(key: String, value: String)] = [
            ("accepted", String(accepted)), ("closed", String(closed)), ("held_now", String(heldNow)),
            ("held_peak", String(heldPeak)), ("closed_over_hold_limit", String(closedOverHoldLimit)),
            ("mode", mode.rawValue), ("address", address),
        ]
        for c in counters { out.append((c.name, String(c.delta))) }
        out.append(("time_wait_listener_side", timeWaitListenerSide.map(String.init) ?? "n/a"))
        return out
    }

    package init(address: String, mode: ListenerMode, accepted: UInt64, closed: UInt64, heldNow: Int, heldPeak: Int, closedOverHoldLimit: UInt64, counters: [KernelContext.CounterDelta], timeWaitListenerSide: Int? = nil) {
        self.address = address
        self.mode = mode
        self.accepted = accepted
        self.closed = closed
        self.heldNow = heldNow
        self.heldPeak = heldPeak
        self.closedOverHoldLimit = closedOverHoldLimit
        self.counters = counters
        self.timeWaitListenerSide = timeWaitListenerSide
    }
}
