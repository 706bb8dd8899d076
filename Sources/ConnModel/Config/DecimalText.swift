extension String {
    /// `v` with `digits` decimals, rounded half away from zero, `-` only when the rounded
    /// value is not zero; without Foundation's formatters. The one implementation every
    /// report's numbers go through.
    package init(fixed v: Double, digits: Int) {
        guard v.isFinite else { self = "n/a"; return }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (Swift.abs(v) * scale).rounded()
        let whole = Int64(r / scale)
        var frac = String(Int64(r) - whole * Int64(scale))
        while frac.count < digits { frac = "0" + frac }
        self = (v < 0 && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
    }
}

extension String {
    /// One decimal place, without Foundation's formatter on the way.
    package init(format1 v: Double) { self.init(fixed: v, digits: 1) }
}
