@preconcurrency import Glibc
import ConnSys

/// `--start-at`: generators on several hosts (pods, ssh) agree on a wall-clock time and
/// each starts its measured clock there, so their interval series line up for a merge.
/// Parsing and formatting are here, not in the CLI, because the report prints the time
/// back (`start-at=`) and must print what was parsed.
package enum StartAt {
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    /// RFC 3339 (`2026-12-01T20:40:00Z`, `…00.5+01:00`) or Unix seconds (`1796157600`,
    /// `1796157600.25`), to ns since the epoch.
    package static func parse(_ text: String) throws(Failure) -> UInt64 {
        let bad = Failure(description: "--start-at '\(text)': expected RFC 3339 (2026-12-01T20:40:00Z) or Unix seconds")
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds >= 0, seconds < 1e10 else { throw bad }
            return UInt64((seconds * 1e9).rounded())
        }
        let u = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var v = 0
            for c in u[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 20, let year = num(0, 4), u[4] == 45, let month = num(5, 2), u[7] == 45, let day = num(8, 2),
              u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == 32,
              let hour = num(11, 2), u[13] == 58, let minute = num(14, 2), u[16] == 58, let second = num(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { throw bad }
        var at = 19
        var fractionNs = 0
        if at < u.count, u[at] == 46 {
            at += 1
            var digits = 0
            while at < u.count, u[at] >= 48, u[at] <= 57 {
                if digits < 9 { fractionNs = fractionNs * 10 + Int(u[at] - 48); digits += 1 }
                at += 1
            }
            guard digits > 0 else { throw bad }
            for _ in digits..<9 { fractionNs *= 10 }
        }
        var offsetSeconds = 0
        guard at < u.count else { throw bad }
        if u[at] == UInt8(ascii: "Z") || u[at] == UInt8(ascii: "z") {
            at += 1
        } else if u[at] == 43 || u[at] == 45, let oh = num(at + 1, 2), u.count > at + 3, u[at + 3] == 58, let om = num(at + 4, 2) {
            offsetSeconds = (oh * 3600 + om * 60) * (u[at] == 43 ? 1 : -1)
            at += 6
        } else {
            throw bad
        }
        guard at == u.count else { throw bad }
        var t = tm()
        t.tm_year = Int32(year - 1900)
        t.tm_mon = Int32(month - 1)
        t.tm_mday = Int32(day)
        t.tm_hour = Int32(hour)
        t.tm_min = Int32(minute)
        t.tm_sec = Int32(second)
        let epoch = Int(timegm(&t)) - offsetSeconds
        guard epoch >= 0 else { throw bad }
        return UInt64(epoch) * 1_000_000_000 + UInt64(fractionNs)
    }

    /// RFC 3339 in UTC, with the fraction only when there is one.
    package static func format(epochNs: UInt64) -> String {
        let whole = WallClock.utcStamp(nanoseconds: epochNs)
        let fraction = epochNs % 1_000_000_000
        guard fraction > 0, whole.hasSuffix("Z") else { return whole }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return whole.dropLast() + "." + digits + "Z"
    }

    /// Holds the ready workers until `epochNs` (still answering SIGINT/SIGTERM), then
    /// says how far ahead of now the start line goes (at least `minimumLeadNs`) and how
    /// late the time had already passed when reached (0 if on time).
    package static func wait(until epochNs: UInt64?, minimumLeadNs: UInt64, stop: StopFlag, signals: StopSignals?) -> (leadNs: UInt64, lateNs: UInt64) {
        guard let at = epochNs else { return (minimumLeadNs, 0) }
        while !stop.isStopped {
            let now = WallClock.nowNanoseconds()
            if now + minimumLeadNs >= at { break }
            let nap = Swift.min(at - minimumLeadNs - now, 100_000_000)
            if let signals {
                if signals.wait(nanoseconds: nap) != nil { stop.stop() }
            } else {
                var ts = timespec(tv_sec: Int(nap / 1_000_000_000), tv_nsec: Int(nap % 1_000_000_000))
                nanosleep(&ts, nil)
            }
        }
        let now = WallClock.nowNanoseconds()
        if now + minimumLeadNs > at { return (minimumLeadNs, now + minimumLeadNs - at) }
        return (at - now, 0)
    }
}
