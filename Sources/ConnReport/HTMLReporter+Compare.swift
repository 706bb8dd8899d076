import ConnModel

/// `compare.html`: the settings side by side, each median with its interval, and each
/// shift against the first with its interval — whether the intervals overlap is what a
/// reader checks first, and a picture shows it before a table does.
extension HTMLReporter {
    package static func render(_ r: CompareReport) -> String {
        var body = HTMLPage.h1("connbench compare, \(r.startedAtUTC)")
        body += HTMLPage.meta(r.base)
        body += HTMLPage.meta("kernel \(r.kernelRelease); \(r.settings.count) settings × \(r.plannedTrials) trials (+\(r.warmupTrials) warm-up); figure \(r.figure.rawValue); intervals at \(Num.fixed(100 * r.level, 0))%" + (r.interrupted ? " (interrupted)" : ""))
        body += compareTable(r)
        body += HTMLPage.h2("Settings side by side")
        body += HTMLPage.note("Each setting's median \(r.figure.rawValue) over its trials, with the distribution-free interval of the median.")
        body += compareMedianChart(r).render()
        body += HTMLPage.h2("Shift against the first setting")
        body += HTMLPage.note("Hodges–Lehmann estimate with its interval; an interval that does not cross the line is a significant difference.")
        body += compareShiftChart(r).render()
        body += HTMLPage.h2("Text report")
        body += HTMLPage.pre(CompareReporter.text(r))
        return HTMLPage.page(title: "connbench compare \(r.startedAtUTC)", body: body)
    }

    static func format(_ v: Double, _ figure: CompareFigure) -> String {
        figure.higherIsBetter ? SVGChart.compact(v) + "/s" : SVGChart.micros(v)
    }

    static func compareTable(_ r: CompareReport) -> String {
        let rows = r.settings.map { s -> [String] in
            let med = s.median.map { format($0, r.figure) } ?? "-"
            let iv = s.interval.map { "\(format($0.lower, r.figure)) … \(format($0.upper, r.figure))" } ?? "-"
            let shift = s.comparison.map { c in
                (c.isRatio ? "×" + Num.fixed(c.estimate, 3) + " [" + Num.fixed(c.interval.lower, 3) + ", " + Num.fixed(c.interval.upper, 3) + "]"
                           : Num.fixed(c.estimate, 1) + " [" + Num.fixed(c.interval.lower, 1) + ", " + Num.fixed(c.interval.upper, 1) + "]")
            } ?? "(baseline)"
            return [s.label, s.description, String(s.values.count), med, iv, shift, s.comparison?.word.rawValue ?? ""]
        }
        return HTMLPage.table(["setting", "description", "trials", "median", "interval", "against the first", "reads"], rows)
    }

    /// Setting i at x = i + 1, labelled with its label and (shortened) description.
    static func categoryAxis(_ r: CompareReport, from first: Int = 0) -> SVGChart.Axis {
        let ticks = r.settings.enumerated().dropFirst(first).map { i, s in
            (value: Double(i + 1), label: shorten("\(s.label): \(s.description)", to: 36))
        }
        return .init("setting", min: Double(first) + 0.5, max: Double(r.settings.count) + 0.5, ticks: ticks)
    }

    static func shorten(_ s: String, to n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static func compareMedianChart(_ r: CompareReport) -> SVGChart {
        let rate = r.figure.higherIsBetter
        let unit: (Double) -> String = { rate ? SVGChart.compact($0) : SVGChart.micros($0) }
        var c = SVGChart(title: "Median \(r.figure.rawValue) per setting, with its interval",
                         x: categoryAxis(r), y: SVGChart.Axis(r.figure.rawValue, format: unit))
        for (i, s) in r.settings.enumerated() {
            guard let m = s.median else { continue }
            let iv = s.interval ?? ConfidenceInterval(lower: m, upper: m, confidence: 0)
            c.whiskers.append(SVGChart.Whisker(x: Double(i + 1), low: iv.lower, mid: m, high: iv.upper,
                                    color: HTMLPage.palette[i % HTMLPage.palette.count], label: format(m, r.figure)))
        }
        if c.whiskers.isEmpty { c.emptyNote = "no trial completed" }
        return c
    }

    static func compareShiftChart(_ r: CompareReport) -> SVGChart {
        let ratio = r.settings.compactMap(\.comparison).first?.isRatio ?? true
        var c = SVGChart(title: ratio ? "Ratio to \(r.settings.first?.label ?? "the first")" : "Difference from \(r.settings.first?.label ?? "the first")",
                         x: categoryAxis(r, from: 1), y: .init(ratio ? "ratio" : "difference (\(r.figure.unit))"))
        let neutralValue = ratio ? 1.0 : 0.0
        c.horizontals = [.init(at: neutralValue, label: ratio ? "×1 (no change)" : "0 (no change)", color: neutral)]
        for (i, s) in r.settings.enumerated() {
            guard let cmp = s.comparison else { continue }
            let label = (cmp.isRatio ? "×" + Num.fixed(cmp.estimate, 3) : Num.fixed(cmp.estimate, 1)) + " " + cmp.word.rawValue
            c.whiskers.append(SVGChart.Whisker(x: Double(i + 1), low: cmp.interval.lower, mid: cmp.estimate, high: cmp.interval.upper,
                                    color: HTMLPage.palette[i % HTMLPage.palette.count], label: label))
        }
        if ratio && c.whiskers.isEmpty == false {
            // A ratio axis from 0 hides small shifts: show the span of the intervals and 1.
            let lows = c.whiskers.map(\.low) + [1], highs = c.whiskers.map(\.high) + [1]
            let lo = lows.min() ?? 1, hi = highs.max() ?? 1
            let pad = Swift.max((hi - lo) * 0.15, 0.02)
            c.y.min = Swift.max(0, lo - pad)
            c.y.max = hi + pad
        }
        if c.whiskers.isEmpty { c.emptyNote = r.settings.count < 2 ? "one setting: nothing to compare" : "too few trials to compare" }
        return c
    }
}
