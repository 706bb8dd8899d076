@preconcurrency import Glibc
import SystemPackage

/// A socket address ready to hand to `connect`/`bind`: the `sockaddr_storage` is built once,
/// when the target is parsed, so the per-connect path only passes a pointer.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case inet, inet6, unix
    }

    public private(set) var storage = sockaddr_storage()
    public private(set) var length: socklen_t = 0
    public let family: Family

    /// Numeric IPv4 or IPv6 address and port (no resolver: inside a fresh network namespace
    /// glibc's AI_ADDRCONFIG refuses even 127.0.0.1).
    public init?(ip: String, port: UInt16) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, ip, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            family = .inet
            Self.copy(v4, into: &storage)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            family = .inet6
            Self.copy(v6, into: &storage)
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            return
        }
        return nil
    }

    /// A unix-domain stream path. Returns nil when the path does not fit `sun_path`.
    public init?(unixPath path: String) {
        var un = sockaddr_un()
        un.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: un.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &un.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        family = .unix
        Self.copy(un, into: &storage)
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    }

    /// Wraps what the kernel filled in (getsockname, getpeername).
    public init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
        switch Int32(storage.ss_family) {
        case AF_INET6: family = .inet6
        case AF_UNIX: family = .unix
        default: family = .inet
        }
    }

    /// Overrides the length, e.g. to provoke EINVAL with a bad one.
    public func withLength(_ length: socklen_t) -> SocketAddress {
        var copy = self
        copy.length = length
        return copy
    }

    public var domain: Int32 {
        switch family {
        case .inet: AF_INET
        case .inet6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    public var port: UInt16 {
        get {
            switch family {
            case .inet: return withSockaddrIn { UInt16(bigEndian: $0.sin_port) }
            case .inet6: return withSockaddrIn6 { UInt16(bigEndian: $0.sin6_port) }
            case .unix: return 0
            }
        }
        set {
            switch family {
            case .inet:
                var v4 = withSockaddrIn { $0 }
                v4.sin_port = newValue.bigEndian
                Self.copy(v4, into: &storage)
            case .inet6:
                var v6 = withSockaddrIn6 { $0 }
                v6.sin6_port = newValue.bigEndian
                Self.copy(v6, into: &storage)
            case .unix:
                break
            }
        }
    }

    /// The address without its port, as text (`127.0.0.1`, `::1`, or the unix path).
    public var host: String {
        switch family {
        case .inet:
            var v4 = withSockaddrIn { $0 }
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &v4.sin_addr, &buf, socklen_t(buf.count))
            return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .inet6:
            var v6 = withSockaddrIn6 { $0 }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &v6.sin6_addr, &buf, socklen_t(buf.count))
            return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .unix:
            return unixPath
        }
    }

    public var unixPath: String {
        var storage = self.storage
        return withUnsafeBytes(of: &storage) { raw in
            let offset = MemoryLayout<sa_family_t>.size
            let path = raw[offset..<min(raw.count, Int(length))].prefix { $0 != 0 }
            return String(decoding: path, as: UTF8.self)
        }
    }

    /// `127.0.0.1:5001`, `[::1]:5001` or `unix:/path` — the same form `--target` parses.
    public var description: String {
        switch family {
        case .inet: "\(host):\(port)"
        case .inet6: "[\(host)]:\(port)"
        case .unix: "unix:\(unixPath)"
        }
    }

    /// True for 127.0.0.0/8, ::1 and unix paths: the addresses a test may load freely.
    public var isLoopback: Bool {
        switch family {
        case .unix: return true
        case .inet: return withSockaddrIn { UInt32(bigEndian: $0.sin_addr.s_addr) >> 24 == 127 }
        case .inet6: return host == "::1"
        }
    }

    @inlinable
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafePointer(to: storage) { ptr in
            try ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    private func withSockaddrIn<R>(_ body: (sockaddr_in) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.load(as: sockaddr_in.self)) }
    }

    private func withSockaddrIn6<R>(_ body: (sockaddr_in6) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.load(as: sockaddr_in6.self)) }
    }

    private static func copy<T>(_ value: T, into storage: inout sockaddr_storage) {
        storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in
            withUnsafeBytes(of: value) { src in dst.copyMemory(from: src) }
        }
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && lhs.withBytes { a in rhs.withBytes { b in a.elementsEqual(b) } }
    }

    public func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }

    private func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: storage) { body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
    }
}
