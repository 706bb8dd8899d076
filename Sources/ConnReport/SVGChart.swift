@preconcurrency import Glibc
import ConnModel

/// A small line chart drawn as inline SVG: enough for connbench's HTML reports, with no
/// framework and nothing fetched, so a report opens the same offline, in a mail, or in
/// ten years. Axes are linear or log10 (latencies span decades: a log axis is the only
/// one on which p50 and p99.99 are both readable); data points that a log axis cannot
/// show (0 or below) and `nil` points break a line instead of being invented.
///
/// All text is escaped; numbers are written without Foundation.
package struct SVGChart {
    package enum Scale: Sendable, Equatable { case linear, log10 }

    package struct Axis {
        package var label: String
        package var scale: Scale
        /// The range shown; nil: from the data (linear from 0, log to whole decades).
        package var min: Double?
        package var max: Double?
        /// Ticks at chosen values with their labels (e.g. `99.9%`); nil: computed.
        package var ticks: [(value: Double, label: String)]?
        /// How a computed tick's value reads.
        package var format: (Double) -> String

        package init(_ label: String, scale: Scale = .linear, min: Double? = nil, max: Double? = nil,
                    ticks: [(value: Double, label: String)]? = nil, format: @escaping (Double) -> String = SVGChart.compact) {
            self.label = label; self.scale = scale; self.min = min; self.max = max; self.ticks = ticks; self.format = format
        }
    }

    package struct Point: Equatable {
        package var x: Double
        package var y: Double
        package init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    package struct Series {
        package var name: String
        package var color: String
        /// nil breaks the line (a gap in the data, not a zero).
        package var points: [Point?]
        package var dashed: Bool
        /// A dot on each point: for few points, where the line between them is a guess.
        package var dots: Bool
        package init(_ name: String, color: String, points: [Point?], dashed: Bool = false, dots: Bool = false) {
            self.name = name; self.color = color; self.points = points; self.dashed = dashed; self.dots = dots
        }
    }

    /// A vertical line at `x` (an event in time, a knee) with its label at the top.
    package struct Marker {
        package var at: Double
        package var label: String
        package var color: String
        package var dashed: Bool
        package init(at: Double, label: String, color: String, dashed: Bool = true) {
            self.at = at; self.label = label; self.color = color; self.dashed = dashed
        }
    }

    /// An interval at `x`: a whisker from `low` to `high` and a square at `mid`.
    package struct Whisker {
        package var x: Double
        package var low: Double
        package var mid: Double
        package var high: Double
        package var color: String
        package var label: String?
        package init(x: Double, low: Double, mid: Double, high: Double, color: String, label: String? = nil) {
            self.x = x; self.low = low; self.mid = mid; self.high = high; self.color = color; self.label = label
        }
    }

    package var title: String
    package var x: Axis
    package var y: Axis
    package var series: [Series] = []
    package var verticals: [Marker] = []
    /// Horizontal lines at a y value (an SLO, a capacity, ratio 1).
    package var horizontals: [Marker] = []
    package var whiskers: [Whisker] = []
    /// Said in the plot area when there is nothing to draw (e.g. `no errors`).
    package var emptyNote: String?
    package var width = 960.0
    package var height = 380.0

    package init(title: String, x: Axis, y: Axis) {
        self.title = title; self.x = x; self.y = y
    }

    // Plot area inside the SVG: room on the left for tick labels and the y label, at the
    // top for the title and the legend, at the bottom for tick labels and the x label.
    // Vertical markers are labelled in a band above the plot, one row each (at most four),
    // so their labels never sit on the data or on each other.
    var left: Double { 84 }
    var right: Double { width - 44 }
    var markerRows: Int { Swift.min(verticals.count, 4) }
    var top: Double { 64 + Double(markerRows) * 16 }
    var bottom: Double { height - 52 + Double(markerRows) * 16 }
    var totalHeight: Double { height + Double(markerRows) * 16 }

    package func render() -> String {
        let xr = range(x, values: series.flatMap { $0.points.compactMap { $0?.x } } + verticals.map(\.at) + whiskers.map(\.x))
        let yr = range(y, values: series.flatMap { $0.points.compactMap { $0?.y } } + horizontals.map(\.at)
                       + whiskers.flatMap { [$0.low, $0.high] })
        let px = { (v: Double) in self.left + (self.right - self.left) * Self.fraction(v, xr, self.x.scale) }
        let py = { (v: Double) in self.bottom - (self.bottom - self.top) * Self.fraction(v, yr, self.y.scale) }
        let height = totalHeight
        var s = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" aria-label=\"\(Self.escape(title))\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        s += text(left, 22, title, size: 16, weight: "bold")
        s += legend()
        // Grid and ticks.
        for t in ticks(x, xr) {
            let xp = px(t.value)
            s += line(xp, top, xp, bottom, color: "#e4e4e4")
            s += line(xp, bottom, xp, bottom + 5, color: "#444")
            s += text(xp, bottom + 19, t.label, size: 12, anchor: "middle")
        }
        for t in ticks(y, yr) {
            let yp = py(t.value)
            s += line(left, yp, right, yp, color: "#e4e4e4")
            s += line(left - 5, yp, left, yp, color: "#444")
            s += text(left - 8, yp + 4, t.label, size: 12, anchor: "end")
        }
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += text((left + right) / 2, height - 12, x.label, size: 13, anchor: "middle")
        let ly = (top + bottom) / 2
        s += "<text x=\"16\" y=\"\(n(ly))\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(n(ly)))\">\(Self.escape(y.label))</text>\n"
        // Data, clipped to the plot area.
        s += "<g>\n"
        for h in horizontals where Self.shown(h.at, yr, y.scale) {
            let yp = py(h.at)
            s += line(left, yp, right, yp, color: h.color, width: 1.5, dashed: h.dashed)
            // Under the line when it runs along the top of the plot.
            s += text(right - 4, yp < top + 20 ? yp + 15 : yp - 5, h.label, size: 12, anchor: "end", color: h.color, halo: true)
        }
        for series in series {
            for run in segments(series.points) {
                let pts = run.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
                if run.count > 1 {
                    s += "<polyline fill=\"none\" stroke=\"\(Self.escape(series.color))\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(pts)\"/>\n"
                }
                if series.dots || run.count == 1 {
                    for p in run {
                        s += "<circle cx=\"\(n(px(p.x)))\" cy=\"\(n(py(p.y)))\" r=\"3.5\" fill=\"\(Self.escape(series.color))\"/>\n"
                    }
                }
            }
        }
        for w in whiskers where Self.shown(w.x, xr, x.scale) {
            let xp = px(w.x)
            let lo = py(Swift.max(w.low, yr.min)), hi = py(Swift.min(w.high, yr.max)), mid = py(w.mid)
            s += line(xp, lo, xp, hi, color: w.color, width: 2)
            s += line(xp - 10, lo, xp + 10, lo, color: w.color, width: 2)
            s += line(xp - 10, hi, xp + 10, hi, color: w.color, width: 2)
            s += "<rect x=\"\(n(xp - 6))\" y=\"\(n(mid - 6))\" width=\"12\" height=\"12\" fill=\"\(Self.escape(w.color))\"/>\n"
            if let l = w.label { s += text(xp + 14, mid + 4, l, size: 12, color: "#222") }
        }
        for (i, m) in verticals.enumerated() where Self.shown(m.at, xr, x.scale) {
            let xp = px(m.at)
            // The line rises from the plot to its label's row; a marker in the right half
            // labels to its left.
            let yl = 64 + 12 + Double(i % 4) * 16
            s += line(xp, top, xp, bottom, color: m.color, width: 2, dashed: m.dashed)
            s += line(xp, yl + 3, xp, top, color: m.color, width: 1)
            let leftSide = xp > left + (right - left) * 0.5
            s += text(leftSide ? xp - 5 : xp + 5, yl, m.label, size: 12, anchor: leftSide ? "end" : "start", color: m.color, halo: true)
        }
        if let note = emptyNote {
            s += text((left + right) / 2, (top + bottom) / 2, note, size: 14, anchor: "middle", color: "#666", halo: true)
        }
        s += "</g>\n</svg>\n"
        return s
    }

    // MARK: - Layout

    func legend() -> String {
        var s = ""
        var xp = left
        for series in series where !series.name.isEmpty {
            s += "<line x1=\"\(n(xp))\" y1=\"42\" x2=\"\(n(xp + 22))\" y2=\"42\" stroke=\"\(Self.escape(series.color))\" stroke-width=\"3\"\(series.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            s += text(xp + 27, 46, series.name, size: 12)
            xp += 27 + Self.textWidth(series.name, size: 12) + 22
        }
        return s
    }

    /// The shown range: the axis's own, else the data's (linear from 0 unless the data go
    /// below it, log out to whole decades).
    func range(_ a: Axis, values: [Double]) -> (min: Double, max: Double) {
        let usable = values.filter { $0.isFinite && (a.scale == .linear || $0 > 0) }
        switch a.scale {
        case .linear:
            var lo = a.min ?? Swift.min(0, usable.min() ?? 0)
            var hi = a.max ?? (usable.max() ?? 1)
            if a.max == nil { hi = lo + (hi - lo) * 1.08 }  // room for a horizontal line's label
            if hi <= lo { hi = lo + 1; if a.min == nil && lo > 0 { lo = 0 } }
            return (lo, hi)
        case .log10:
            let lo = a.min ?? Self.pow10(Self.floorLog10(usable.min() ?? 1))
            var hi = a.max ?? Self.pow10(Self.ceilLog10(usable.max() ?? 10))
            if hi <= lo { hi = lo * 10 }
            return (lo, hi)
        }
    }

    static func fraction(_ v: Double, _ r: (min: Double, max: Double), _ scale: Scale) -> Double {
        switch scale {
        case .linear: return (v - r.min) / (r.max - r.min)
        case .log10: return (log10(Swift.max(v, 1e-300)) - log10(r.min)) / (log10(r.max) - log10(r.min))
        }
    }

    static func shown(_ v: Double, _ r: (min: Double, max: Double), _ scale: Scale) -> Bool {
        v.isFinite && v >= r.min && v <= r.max && (scale == .linear || v > 0)
    }

    /// Runs of points the axes can show; a nil or an unshowable point ends a run.
    func segments(_ points: [Point?]) -> [[Point]] {
        var out: [[Point]] = [], run: [Point] = []
        for p in points {
            if let p, p.x.isFinite, p.y.isFinite, x.scale == .linear || p.x > 0, y.scale == .linear || p.y > 0 {
                run.append(p)
            } else if !run.isEmpty {
                out.append(run); run = []
            }
        }
        if !run.isEmpty { out.append(run) }
        return out
    }

    func ticks(_ a: Axis, _ r: (min: Double, max: Double)) -> [(value: Double, label: String)] {
        if let t = a.ticks { return t.filter { Self.shown($0.value, r, a.scale) } }
        switch a.scale {
        case .linear:
            let step = Self.niceStep((r.max - r.min) / 6)
            var out: [(Double, String)] = []
            var v = (r.min / step).rounded(.up) * step
            // At most the ticks a sane axis has: a step lost in the values' precision
            // (1e20 + 1) would otherwise never reach the end.
            while v <= r.max + step * 1e-9, out.count < 20 {
                out.append((v, a.format(Swift.abs(v) < step * 1e-9 ? 0 : v)))
                v += step
            }
            return out
        case .log10:
            let first = Self.floorLog10(r.min), last = Swift.max(Self.ceilLog10(r.max), first)
            // Few decades: 2 and 5 between them too, else the axis has two labels.
            let mantissas: [Double] = last - first <= 2 ? [1, 2, 5] : [1]
            var out: [(Double, String)] = []
            for e in first...last {
                for m in mantissas {
                    let v = m * Self.pow10(e)
                    if v >= r.min * (1 - 1e-9) && v <= r.max * (1 + 1e-9) { out.append((v, a.format(v))) }
                }
            }
            return out
        }
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow10(floorLog10(raw))
        let m = raw / p
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
    }

    // MARK: - Drawing primitives

    func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, width: Double = 1, dashed: Bool = false) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(Self.escape(color))\" stroke-width=\"\(n(width))\"\(dashed ? " stroke-dasharray=\"5 4\"" : "")/>\n"
    }

    /// `halo`: a white outline under the letters, so a label stays readable over lines.
    func text(_ x: Double, _ y: Double, _ t: String, size: Double, anchor: String = "start", weight: String? = nil,
              color: String = "#222", halo: Bool = false) -> String {
        var s = "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"\(Self.escape(color))\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if halo { s += " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" }
        return s + ">\(Self.escape(t))</text>\n"
    }

    func n(_ v: Double) -> String { Self.coordinate(v) }

    // MARK: - Text and numbers, without Foundation

    /// Text for an SVG or HTML text node or attribute value.
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate to 0.1 px, trailing zeros dropped: `12`, `12.5`.
    package static func coordinate(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        return trimmed(Num.fixed(v, 1))
    }

    /// A tick value that reads at a glance: `0`, `2.5`, `800`, `12k`, `1.5M`.
    package static func compact(_ v: Double) -> String {
        let a = Swift.abs(v)
        if a >= 1e6 { return trimmed(Num.fixed(v / 1e6, 1)) + "M" }
        if a >= 1e4 { return trimmed(Num.fixed(v / 1e3, 1)) + "k" }
        if a >= 100 || a == 0 { return Num.fixed(v, 0) }
        if a >= 1 { return trimmed(Num.fixed(v, 2)) }
        return trimmed(Num.fixed(v, 4))
    }

    /// A latency in µs as a tick label: `50 µs`, `2 ms`, `1.5 s`.
    package static func micros(_ us: Double) -> String {
        if us >= 1e6 { return compact(us / 1e6) + " s" }
        if us >= 1e3 { return compact(us / 1e3) + " ms" }
        return compact(us) + " µs"
    }

    static func trimmed(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return t == "-0" ? "0" : String(t)
    }

    /// Rough width of a label in px (an average glyph is ~0.6 em in a sans-serif face).
    static func textWidth(_ s: String, size: Double) -> Double { Double(s.count) * size * 0.6 }

    static func log10(_ v: Double) -> Double { Glibc.log10(v) }
    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<e { r *= 10 } } else { for _ in 0..<(-e) { r /= 10 } }
        return r
    }
    /// Within a Double's decades (±330), whatever `v` is: 0, NaN and infinity included.
    static func floorLog10(_ v: Double) -> Int { decade((log10(v) + 1e-9).rounded(.down)) }
    static func ceilLog10(_ v: Double) -> Int { decade((log10(v) - 1e-9).rounded(.up)) }
    static func decade(_ e: Double) -> Int { Swift.min(Swift.max(Int(saturating: e), -330), 330) }
}
