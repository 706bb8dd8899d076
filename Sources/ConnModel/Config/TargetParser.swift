import ConnSys

/// Parses `--target` values: `127.0.0.1:5001`, `[::1]:5001`, `unix:/path`, `name:5001`.
///
/// Numeric addresses and unix paths become a ``SocketAddress`` here and never reach a
/// resolver; a host name stays a name (``TargetSpec/name(host:port:text:)``) until
/// ``TargetResolution`` resolves it once, before the run.
public enum TargetParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        package init(description: String) { self.description = description }
    }

    /// A numeric target or unix path only; names are an error. Reports decode their
    /// addresses with this, so a saved report never triggers a lookup.
    public static func parse(_ text: String) throws(Failure) -> SocketAddress {
        switch try parseSpec(text) {
        case .address(let address): return address
        case .name(let host, _, _):
            throw Failure(description: "'\(host)' in '\(text)' is not a numeric IPv4 or IPv6 address")
        }
    }

    /// A target as typed: an address, or a host name and port to resolve.
    package static func parseSpec(_ text: String) throws(Failure) -> TargetSpec {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard let address = SocketAddress(unixPath: path) else {
                throw Failure(description: "'\(text)' is not a unix socket path (empty or longer than 107 bytes)")
            }
            return .address(address)
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text.index(after: close) < text.endIndex, text[text.index(after: close)] == ":" else {
                throw Failure(description: "'\(text)' is not [IPv6]:PORT")
            }
            let host = text[text.index(after: text.startIndex)..<close]
            let port = try parsePort(String(text[text.index(close, offsetBy: 2)...]), in: text)
            guard let address = SocketAddress(ip: String(host), port: port), address.family == .inet6 else {
                throw Failure(description: "'\(host)' in '\(text)' is not a numeric IPv6 address")
            }
            return .address(address)
        }
        guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else {
            throw Failure(description: "'\(text)' is not HOST:PORT (IPv6 needs brackets: [::1]:PORT)")
        }
        let host = String(text[..<colon])
        let port = try parsePort(String(text[text.index(after: colon)...]), in: text)
        if let address = SocketAddress(ip: host, port: port) { return .address(address) }
        guard isHostName(host) else {
            throw Failure(description: "'\(host)' in '\(text)' is neither a numeric IPv4 or IPv6 address nor a host name")
        }
        return .name(host: host, port: port, text: text)
    }

    /// Letters, digits, `-` and `_` in dot-separated labels, and not digits and dots
    /// alone: getaddrinfo would read `1.2.3` as the inet_aton address 1.2.0.3, and a
    /// numeric target must never pass through the resolver.
    static func isHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let labelsOK = labels.enumerated().allSatisfy { i, label in
            (label.isEmpty && i == labels.count - 1 && i > 0)
                || (label.utf8.count <= 63 && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
        return labelsOK && host.contains { $0.isLetter || $0 == "-" || $0 == "_" }
    }

    package static func parsePort(_ text: String, in whole: String? = nil) throws(Failure) -> UInt16 {
        guard let value = Int(text), value >= 1, value <= 65535 else {
            let context = whole.map { " in '\($0)'" } ?? ""
            throw Failure(description: "port '\(text)'\(context) must be 1 to 65535")
        }
        return UInt16(value)
    }

    /// A source pool: one address, or an IPv4 range `127.0.0.2-127.0.0.9`.
    package static func parseSourcePool(_ text: String) throws(Failure) -> [SocketAddress] {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        if ends.count == 1 {
            guard let a = SocketAddress(ip: text, port: 0) else {
                throw Failure(description: "'\(text)' is not a numeric IP address")
            }
            return [a]
        }
        guard ends.count == 2, let lo = ipv4Value(String(ends[0])), let hi = ipv4Value(String(ends[1])), lo <= hi else {
            throw Failure(description: "'\(text)' is not an address or an IPv4 range LOW-HIGH")
        }
        guard hi - lo < 65536 else { throw Failure(description: "source range '\(text)' is larger than 65536 addresses") }
        return (lo...hi).compactMap { v in
            SocketAddress(ip: "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)", port: 0)
        }
    }

    private static func ipv4Value(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let octet = UInt8(p) else { return nil }
            v = v << 8 | UInt32(octet)
        }
        return v
    }
}
