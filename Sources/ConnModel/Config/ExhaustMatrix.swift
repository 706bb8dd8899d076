import ConnSys

/// `connbench exhaust`: the socket strategies side by side, each run in its own fresh
/// namespace with the same small port range, to the onset of exhaustion.
///
/// Every case gets a new namespace because TIME_WAIT entries stay with the namespace that
/// made them: a case run after another would start with the other's ports taken.
package enum ExhaustMatrix {
    /// One row of the matrix.
    package struct Case: Sendable, Equatable, Codable {
        package var strategy: SocketStrategy
        package var close: CloseMode
        package var twReuse: Int
        /// Listeners on this many ports: a plain connect shares source ports across them.
        package var destinations: Int

        package init(strategy: SocketStrategy = SocketStrategy(), close: CloseMode = .fin, twReuse: Int = 0, destinations: Int = 1) {
            self.strategy = strategy
            self.close = close
            self.twReuse = twReuse
            self.destinations = destinations
        }

        package var label: String { strategy.name + (destinations > 1 ? " ×\(destinations) dst" : "") }
    }

    package struct Settings: Sendable, Equatable {
        /// The namespace's ephemeral range for every case (1000 ports: each case ends in
        /// well under a second at loopback rates).
        package var portRange: ClosedRange<UInt16> = 40000...40999
        /// Upper bound per case; a case that never exhausts runs this long.
        package var maxDurationNs: UInt64 = 2_000_000_000
        package var tailNs: UInt64 = 300_000_000
        package var workers: Int?
        package var concurrency: Int?
        /// epoll or io_uring: the same matrix on either engine.
        package var engine: EngineChoice = .epoll
        package init() {}
    }

    /// Listeners sit below the ephemeral range so they never take one of its ports.
    package static let firstListenerPort: UInt16 = 30000

    /// The default matrix: the strategies of kernel-facts' table with FIN close and no
    /// TIME_WAIT reuse, then the variables that move the onset (more destinations,
    /// tcp_tw_reuse, RST close).
    package static func defaultCases(portRange: ClosedRange<UInt16>) -> [Case] {
        let lo = SocketAddress(ip: "127.0.0.1", port: 0)!
        let half = portRange.lowerBound...(portRange.lowerBound + UInt16((Int(portRange.count) / 2) - 1))
        return [
            Case(),
            Case(strategy: SocketStrategy(sources: [lo])),
            Case(strategy: SocketStrategy(sources: [lo], reuseAddress: true)),
            Case(strategy: SocketStrategy(reuseAddress: true)),
            Case(strategy: SocketStrategy(sources: [lo], bindAddressNoPort: true)),
            Case(strategy: SocketStrategy(portRange: half)),
            Case(destinations: 4),
            Case(strategy: SocketStrategy(sources: [lo]), destinations: 4),
            Case(twReuse: 1),
            Case(close: .rst),
        ]
    }
}
