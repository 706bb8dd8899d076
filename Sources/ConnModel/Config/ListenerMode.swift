/// What the built-in listener does with a connection once the kernel has completed it.
/// Each mode decides which end closes first (and so holds TIME_WAIT) or what fills up.
/// The raw values are the CLI names.
package enum ListenerMode: String, Sendable, Codable, CaseIterable {
    /// Close right after accept: the cheapest listener, the generator's ceiling. Both
    /// ends race to send the first FIN, so which one holds TIME_WAIT is chance.
    case acceptClose = "accept-close"
    /// Read (and discard) until the client's FIN or RST, then close: the client is always
    /// the active closer and holds TIME_WAIT — the setting under which a client runs out
    /// of ephemeral ports, the same on every run. The default.
    case waitFin = "wait-fin"
    /// Keep each accepted connection open and never read it, until the client closes it
    /// (FIN or RST), up to the hold limit; past the limit a new connection is closed at
    /// once and counted. Unlike wait-fin the listener never drains data, so a client
    /// that writes sees an established but idle peer whose receive window fills; and the
    /// held count is bounded, so a study of many open connections cannot exhaust the
    /// listener's descriptors.
    case hold
    /// Listen and never accept: the backlog fills, then SYNs are dropped (TCP:
    /// ListenOverflows) or connects fail with EAGAIN (unix).
    case neverAccept = "never-accept"

    /// Whether the listener runs accept threads at all.
    package var accepts: Bool { self != .neverAccept }

    /// The mode a pre-mode config's `close` flag stood for, and back (``ListenerConfig/close``).
    package init(_ close: ListenerClose) { self = close == .immediate ? .acceptClose : .waitFin }
}
