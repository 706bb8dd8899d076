import ConnSys

/// What is done to a socket between `socket()` and `connect()`.
///
/// These are the choices that decide whether and how a host runs out of ephemeral ports
/// (see kernel-facts: plain connect fails with EADDRNOTAVAIL from connect, bind-before-
/// connect with EADDRINUSE from bind), so a run names its strategy in the report.
package struct SocketStrategy: Sendable, Equatable, Codable {
    /// Source addresses to bind (port 0) before connect, used round-robin. Empty: no bind.
    package var sources: [SocketAddress]
    /// SO_REUSEADDR on the connecting socket.
    package var reuseAddress: Bool
    /// IP_BIND_ADDRESS_NO_PORT: bind picks the address only, connect picks the port
    /// (so the port can be shared across destinations again).
    package var bindAddressNoPort: Bool
    /// IP_LOCAL_PORT_RANGE (Linux 6.3+): a per-socket ephemeral range.
    package var portRange: ClosedRange<UInt16>?

    package init(sources: [SocketAddress] = [], reuseAddress: Bool = false,
                bindAddressNoPort: Bool = false, portRange: ClosedRange<UInt16>? = nil) {
        self.sources = sources
        self.reuseAddress = reuseAddress
        self.bindAddressNoPort = bindAddressNoPort
        self.portRange = portRange
    }

    /// A short name for tables: `plain`, `bind`, `bind+reuseaddr`, `bind+no-port`, ….
    package var name: String {
        var parts: [String] = []
        parts.append(sources.isEmpty ? "plain" : "bind")
        if reuseAddress { parts.append("reuseaddr") }
        if bindAddressNoPort { parts.append("no-port") }
        if portRange != nil { parts.append("port-range") }
        return parts.joined(separator: "+")
    }
}

extension SocketAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let parsed = try? TargetParser.parse(text) {
            self = parsed
        } else if let parsed = Self.anyPort(text) {
            // Port 0 (a listener's "any free port") is no target but is a saved address.
            self = parsed
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad address \(text)"))
        }
    }

    /// `IP:PORT` or `[IPv6]:PORT` as `description` prints it, port 0 allowed.
    static func anyPort(_ text: String) -> SocketAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return SocketAddress(ip: host, port: port)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
