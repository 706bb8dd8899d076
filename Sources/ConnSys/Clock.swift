import CConnShim

/// Monotonic time in nanoseconds. Not Foundation's `Date`: the hot path reads the clock
/// twice per connect, and this is one vDSO call (~23 ns here) with no allocation.
public enum MonotonicClock {
    @inlinable @inline(__always)
    public static func now() -> UInt64 { cbs_monotonic_ns() }
}

/// The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID): time the
/// thread ran, user and kernel, not the time it waited preempted. A syscall (~0.5 µs
/// here, no vDSO), so the hot path samples it.
public enum ThreadCPUClock {
    @inlinable @inline(__always)
    public static func now() -> UInt64 { cbs_thread_clock_ns() }
}

/// Wall-clock time, only for naming result folders and stamping reports.
public enum WallClock {
    public static func nowNanoseconds() -> UInt64 { cbs_realtime_ns() }

    /// `2026-11-25T06:22:01Z` style, UTC.
    public static func utcStamp(nanoseconds: UInt64, compact: Bool = false) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
        let time = "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if compact {
            return "\(date)T\(time.replacingOccurrences(":", with: ""))Z"
        }
        return "\(date)T\(time)Z"
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}

import Glibc
