import ConnSys

/// Parses `--target` values: `127.0.0.1:5001`, `[::1]:5001`, `unix:/path`.
///
/// Numeric only: a load generator that resolves names per run measures DNS, and inside a
/// fresh network namespace glibc's resolver refuses even 127.0.0.1 (AI_ADDRCONFIG).
/// `localhost` is accepted as the one name, meaning 127.0.0.1.
public enum TargetParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(Failure) -> SocketAddress {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard let address = SocketAddress(unixPath: path) else {
                throw Failure(description: "'\(text)' is not a unix socket path (empty or longer than 107 bytes)")
            }
            return address
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text.index(after: close) < text.endIndex, text[text.index(after: close)] == ":" else {
                throw Failure(description: "'\(text)' is not [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else {
                throw Failure(description: "'\(text)' is not HOST:PORT (IPv6 needs brackets: [::1]:PORT)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        let port = try parsePort(String(portText), in: text)
        let ip = host == "localhost" ? "127.0.0.1" : String(host)
        guard let address = SocketAddress(ip: ip, port: port) else {
            throw Failure(description: "'\(host)' in '\(text)' is not a numeric IPv4 or IPv6 address")
        }
        return address
    }

    public static func parsePort(_ text: String, in whole: String? = nil) throws(Failure) -> UInt16 {
        guard let value = Int(text), value >= 1, value <= 65535 else {
            let context = whole.map { " in '\($0)'" } ?? ""
            throw Failure(description: "port '\(text)'\(context) must be 1 to 65535")
        }
        return UInt16(value)
    }

    /// A source pool: one address, or an IPv4 range `127.0.0.2-127.0.0.9`.
    public static func parseSourcePool(_ text: String) throws(Failure) -> [SocketAddress] {
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
