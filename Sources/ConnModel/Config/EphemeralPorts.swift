/// The host's (or the namespace's) ephemeral port range, for the self-connect check.
package struct EphemeralPorts: Sendable, Equatable {
    package var low: UInt16
    package var high: UInt16

    /// From `ip_local_port_range`'s text ("32768\t60999"); the kernel's default when it
    /// does not read as two ports.
    package static func parse(_ text: String) -> EphemeralPorts {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        return parts.count == 2 ? EphemeralPorts(low: parts[0], high: parts[1]) : EphemeralPorts(low: 32768, high: 60999)
    }

    package func contains(_ port: UInt16) -> Bool { port >= low && port <= high }
    package var count: Int { Int(high) - Int(low) + 1 }
}
