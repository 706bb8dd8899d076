import CConnShim
import SystemPackage

extension Errno {
    /// The symbolic name connbench reports, e.g. `ECONNREFUSED`.
    ///
    /// Names follow the AIX reference page's error table (`connect.txt`): where Linux gives one value
    /// two names, the table's name wins — EAGAIN and EWOULDBLOCK are both 11 on Linux, and
    /// the table says EWOULDBLOCK. Everything else is glibc's `strerrorname_np`.
    public var name: String {
        if rawValue == Errno.wouldBlock.rawValue { return "EWOULDBLOCK" }
        if let cName = cbs_errno_name(rawValue) { return String(cString: cName) }
        return "E\(rawValue)"
    }

    /// Parses a name as ``name`` prints it (and the aliases EAGAIN, ENOTSUP).
    public init?(name: String) {
        let wanted = name.uppercased()
        if wanted == "EAGAIN" || wanted == "EWOULDBLOCK" { self = .wouldBlock; return }
        if wanted == "ENOTSUP" { self = .notSupportedOnSocket; return }
        for value in Int32(1)...Errno.highestLinuxValue where Errno(rawValue: value).name == wanted {
            self = Errno(rawValue: value)
            return
        }
        return nil
    }

    /// Linux's errno values stop at EHWPOISON (133); tables indexed by errno use this bound.
    public static let highestLinuxValue: Int32 = 133
}
