@preconcurrency import Glibc

/// Facts about the running kernel that a report must carry to be comparable.
public enum KernelInfo {
    /// `uname -r`: connect()'s port selection and TIME_WAIT reuse changed across
    /// releases (4.2 even/odd split, 6.3 IP_LOCAL_PORT_RANGE), so results name it.
    public static func release() -> String {
        var u = utsname()
        uname(&u)
        return text(&u.release)
    }

    /// A NUL-terminated field of `utsname` as text.
    static func text<Field>(_ field: inout Field) -> String {
        withUnsafeBytes(of: &field) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// Who and where this process is, for a run's identity: two runs are the same run only
/// if their random ids are equal, and the host, boot and pid say where each was made.
public enum ProcessIdentity {
    /// The host name (uname's nodename: what `hostname` prints).
    public static func hostName() -> String {
        var u = utsname()
        uname(&u)
        return KernelInfo.text(&u.nodename)
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`): runs on two boots of one host
    /// (before and after a kernel upgrade) are told apart by it. Empty where unreadable.
    public static func bootID() -> String {
        ProcFiles.read("/proc/sys/kernel/random/boot_id").map { String($0.filter { !$0.isWhitespace }) } ?? ""
    }

    public static func pid() -> Int32 { getpid() }

    /// 128 random bits from /dev/urandom, as 32 hex digits.
    public static func randomID() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var got = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            while got < bytes.count {
                let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
                if n > 0 { got += n } else if n == 0 || errno != EINTR { break }
            }
            close(fd)
        }
        if got < bytes.count {
            // No /dev/urandom: the clocks and the pid still make a collision unlikely.
            var x = MonotonicClock.now() ^ WallClock.nowNanoseconds() ^ UInt64(getpid()) << 40
            for i in 0..<16 { x = x &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: x >> 56) }
        }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
