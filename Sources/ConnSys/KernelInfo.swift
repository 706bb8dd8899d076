@preconcurrency import Glibc

/// Facts about the running kernel that a report must carry to be comparable.
public enum KernelInfo {
    /// `uname -r`: connect()'s port selection and TIME_WAIT reuse changed across
    /// releases (4.2 even/odd split, 6.3 IP_LOCAL_PORT_RANGE), so results name it.
    public static func release() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
