extension String {
    /// `v` with `digits` decimals, rounded half away from zero, `-` only when the rounded
    /// value is not zero; without Foundation's formatters. The one implementation every
    /// report's numbers go through.
    /// Total: NaN and ±infinity are `n/a`, and a value too large for 64-bit integer digits
    /// (a hand-edited report's 1e308) is written in exponent form, never a trap.
    package init(fixed v: Double, digits: Int) {
        guard v.isFinite else { self = "n/a"; return }
        let digits = Swift.min(Swift.max(digits, 0), 9)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (Swift.abs(v) * scale).rounded()
        guard r < 9.0e18 else { self = v.description; return }
        let whole = Int64(r / scale)
        var frac = String(Int64(r) - whole * Int64(scale))
        while frac.count < digits { frac = "0" + frac }
        self = (v < 0 && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
    }
}

extension FixedWidthInteger {
    /// The value of the type nearest `x`, NaN as 0: a figure read from a file may be any
    /// Double, and `Int(x)` traps outside the type's range.
    package init(saturating x: Double) {
        if x.isNaN {
            self = 0
        } else if x >= Double(Self.max) {
            self = .max
        } else if x <= Double(Self.min) {
            self = .min
        } else {
            self = Self(x)
        }
    }
}

/// The figures' texts, all through ``String/init(fixed:digits:)``: one place decides how
/// a rate, a share or a latency is written in every report.
package enum Num {
    package static func f1(_ v: Double) -> String { String(fixed: v, digits: 1) }
    package static func f3(_ v: Double) -> String { String(fixed: v, digits: 3) }
    package static func fixed(_ v: Double, _ digits: Int) -> String { String(fixed: v, digits: digits) }
    /// A share as a percentage with one decimal: `12.3%`.
    package static func percent(_ share: Double) -> String { f1(share * 100) + "%" }
    /// A rate as a whole number per second.
    package static func rate(_ v: Double) -> String { whole(v) }
    /// Rounded to a whole number; total like every figure's text.
    package static func whole(_ v: Double) -> String { String(fixed: v, digits: 0) }
    /// Microseconds with one decimal from nanoseconds.
    package static func us(_ ns: UInt64) -> String { f1(Double(ns) / 1000) }
    package static func us(_ ns: Double) -> String { f1(ns / 1000) }
    /// A measured latency in the unit that reads best: `812 µs`, `1.42 ms`, `2.10 s`.
    package static func latency(_ ns: UInt64) -> String {
        if ns < 1_000_000 { return f1(Double(ns) / 1e3) + " µs" }
        if ns < 1_000_000_000 { return fixed(Double(ns) / 1e6, 2) + " ms" }
        return fixed(Double(ns) / 1e9, 2) + " s"
    }
    /// `+3.1%` / `-4.2%`: how far `observed` lies from `predicted`.
    package static func signedPercent(_ observed: Double, _ predicted: Double) -> String {
        guard predicted != 0 else { return "n/a" }
        let p = 100 * (observed - predicted) / predicted
        return (p >= 0 ? "+" : "") + f1(p) + "%"
    }
}
