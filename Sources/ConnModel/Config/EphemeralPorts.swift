/// The host's (or the namespace's) ephemeral port range, for the self-connect check.
public struct EphemeralPorts: Sendable, Equatable {
    public var low: UInt16
    public var high: UInt16

    /// From `ip_local_port_range`'s text ("32768\t60999"); the kernel's default when it
    /// does not read as two ports.
    public static func parse(_ text: String) -> EphemeralPorts {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        return parts.count == 2 ? EphemeralPorts(low: parts[0], high: parts[1]) : EphemeralPorts(low: 32768, high: 60999)
    }

    public func contains(_ port: UInt16) -> Bool { port >= low && port <= high }
    public var count: Int { Int(high) - Int(low) + 1 }
}
