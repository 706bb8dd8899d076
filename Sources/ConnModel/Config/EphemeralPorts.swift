import ConnSys

/// The host's (or the namespace's) ephemeral port range, for the self-connect check.
public struct EphemeralPorts: Sendable, Equatable {
    public var low: UInt16
    public var high: UInt16

    public static func current() -> EphemeralPorts {
        let text = ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range") ?? ""
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        return parts.count == 2 ? EphemeralPorts(low: parts[0], high: parts[1]) : EphemeralPorts(low: 32768, high: 60999)
    }

    public func contains(_ port: UInt16) -> Bool { port >= low && port <= high }
    public var count: Int { Int(high) - Int(low) + 1 }
}
