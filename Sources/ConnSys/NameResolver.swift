@preconcurrency import Glibc
import CConnShim

/// Host names to socket addresses, through glibc's getaddrinfo.
///
/// Not a system call and it does not set errno, so it cannot go through ``syscall(_:)``:
/// it returns an EAI_* code, which ``Failure`` carries with gai_strerror's text.
public enum NameResolver {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The EAI_* code getaddrinfo returned (negative on glibc).
        public let code: Int32
        public let description: String

        public init(code: Int32, description: String) {
            self.code = code
            self.description = description
        }
    }

    /// Every TCP address `host` resolves to, IPv4 and IPv6, in getaddrinfo's order
    /// (RFC 6724 sorted), duplicates removed, each with `port`.
    ///
    /// No AI_ADDRCONFIG: inside a fresh network namespace with only loopback it makes
    /// glibc refuse every name, even one the hosts file maps to 127.0.0.1.
    public static func resolve(host: String, port: UInt16) throws(Failure) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, &hints, &list)
        guard code == 0 else {
            let text = code == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(code))
            throw Failure(code: code, description: text)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var node = list
        while let entry = node?.pointee {
            node = entry.ai_next
            guard let sa = entry.ai_addr, entry.ai_family == AF_INET || entry.ai_family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            let length = min(Int(entry.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: length))
            }
            var address = SocketAddress(storage: storage, length: socklen_t(length))
            address.port = port
            if !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else {
            throw Failure(code: EAI_NONAME, description: String(cString: gai_strerror(EAI_NONAME)))
        }
        return addresses
    }
}
