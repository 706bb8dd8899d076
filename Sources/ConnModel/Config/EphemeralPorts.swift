/// The host's (or the namespace's) ephemeral port range, for the self-connect check, the
/// listener's port and the port budget.
package struct EphemeralPorts: Sendable, Equatable {
    package var low: UInt16
    package var high: UInt16

    package init(low: UInt16, high: UInt16) { self.low = low; self.high = high }

    /// From `ip_local_port_range`'s text ("32768\t60999"); nil unless it reads as two ports,
    /// low first. The one parser of it: a range assumed instead of read would put the
    /// listener's port, the self-connect check and the port budget in the wrong place.
    package static func parse(_ text: String) -> EphemeralPorts? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        let parts = fields.compactMap { UInt16($0) }
        guard fields.count == 2, parts.count == 2, parts[0] <= parts[1] else { return nil }
        return EphemeralPorts(low: parts[0], high: parts[1])
    }

    package func contains(_ port: UInt16) -> Bool { port >= low && port <= high }
    package var count: Int { Int(high) - Int(low) + 1 }

    /// Why the range could not be had.
    package struct Unreadable: Error, CustomStringConvertible {
        /// What the file held; nil when it could not be read at all.
        package var text: String?
        package init(text: String?) { self.text = text }
        package var description: String {
            "cannot read the ephemeral port range: " + (text.map { "ip_local_port_range reads \"\($0.trimmingWhitespace())\", not two ports" }
                ?? "/proc/sys/net/ipv4/ip_local_port_range is unreadable")
        }
    }
}
