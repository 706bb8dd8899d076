@preconcurrency import Glibc

/// Which local interface the kernel's route to an address uses, and the NUMA node of its
/// device. A connected UDP socket asks the routing table without sending a packet:
/// getsockname then gives the source address the route chose, and getifaddrs names the
/// interface that holds it.
public enum RouteInterface {
    public struct Found: Sendable, Equatable {
        public var name: String
        /// nil for a virtual device (no `device/numa_node`) or a node of -1.
        public var numaNode: Int?
    }

    public static func lookup(_ target: SocketAddress) -> Found? {
        guard target.family != .unix,
              let fd = try? FileDescriptor.socket(domain: target.domain, kind: .datagram) else { return nil }
        defer { fd.closeSocket() }
        guard (try? fd.connect(to: target)) != nil, let local = try? fd.localAddress() else { return nil }
        guard let name = interfaceHolding(local.host) else { return nil }
        let node = ProcFiles.read("/sys/class/net/\(name)/device/numa_node").flatMap { Int($0.trimmingWhitespace()) }
        return Found(name: name, numaNode: node.flatMap { $0 >= 0 ? $0 : nil })
    }

    static func interfaceHolding(_ host: String) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard (try? syscall { getifaddrs(&list) }) != nil, let first = list else { return nil }
        defer { freeifaddrs(first) }
        var p: UnsafeMutablePointer<ifaddrs>? = first
        while let a = p {
            defer { p = a.pointee.ifa_next }
            guard let sa = a.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            let len = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { dst in
                dst.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(sa), count: Int(len)))
            }
            if SocketAddress(storage: storage, length: len).host == host { return String(cString: a.pointee.ifa_name) }
        }
        return nil
    }
}
