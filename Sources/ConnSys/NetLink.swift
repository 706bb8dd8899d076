@preconcurrency import Glibc
import CConnShim

/// The rtnetlink requests the veth lab needs, typed: each acts in the calling thread's
/// network namespace (the netlink socket is opened there), and a refusal comes back as the
/// kernel's errno, so a missing feature (no netem) is told apart from a bad request.
public enum NetLink {
    /// A veth pair: `name` here, `peer` in the namespace open at `peerNamespace` (nil: here
    /// too). A veth dies with either namespace, so a pair between two anonymous namespaces
    /// cannot outlive them.
    public static func createVeth(name: String, peer: String, peerNamespace: FileDescriptor?) throws(Errno) {
        _ = try syscall { cbs_veth_create(name, peer, peerNamespace?.rawValue ?? -1) }
    }

    /// Adds a numeric IPv4 or IPv6 address with its prefix length to an interface (IPv6
    /// without duplicate-address detection: usable at once). EINVAL for text that is not
    /// an address.
    public static func addAddress(_ ip: String, prefixLength: Int, interface: String) throws(Errno) {
        var bytes = [UInt8](repeating: 0, count: 16)
        let family: Int32
        if inet_pton(AF_INET, ip, &bytes) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, ip, &bytes) == 1 {
            family = AF_INET6
        } else {
            throw .invalidArgument
        }
        _ = try syscall { cbs_addr_add(interface, family, bytes, Int32(prefixLength)) }
    }

    /// A root netem qdisc on `interface` delaying every packet it sends by `delayNs`.
    /// ENOENT (or EOPNOTSUPP) when the kernel has no netem.
    public static func addNetemDelay(interface: String, delayNs: UInt64) throws(Errno) {
        _ = try syscall { cbs_qdisc_add_netem(interface, delayNs) }
    }
}
