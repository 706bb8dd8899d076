import ConnModel

/// `sweep.html`: where latency bends as the rate grows, and where the knee is — a curve
/// reads at a glance what the step table makes the reader reconstruct.
extension HTMLReporter {
    package static func render(_ r: SweepReport) -> String {
        var body = HTMLPage.h1("connbench sweep")
        body += HTMLPage.meta(r.settings.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        body += HTMLPage.meta("\(r.steps.count) steps in \(Num.fixed(r.wallSeconds, 1)) s" + (r.interrupted ? " (interrupted)" : ""))
        if r.axis.isLoad {
            body += HTMLPage.h2("Throughput vs load")
            body += loadChart(r).render()
        } else {
            let knee = r.knee.flatMap(\.requestedRate)
            let line = knee.map { "knee: \(Num.rate($0))/s, the highest rate that held and met every objective" }
                ?? "no knee: no rate held and met every objective"
            body += "<div class=\"verdict\(knee == nil ? " notheld" : " held")\">\(SVGChart.escape(line))</div>\n"
            body += HTMLPage.h2("Latency vs rate")
            body += HTMLPage.note("Corrected latency (from each attempt's intended start) at each requested rate; dashed lines are the objectives (--slo).")
            body += sweepLatencyChart(r).render()
            body += HTMLPage.h2("Achieved vs requested rate")
            body += sweepRateChart(r).render()
        }
        body += HTMLPage.h2("Text report")
        body += HTMLPage.pre(SweepReporter.text(r))
        return HTMLPage.page(title: "connbench sweep", body: body)
    }

    static func rateSteps(_ r: SweepReport) -> [SweepStep] {
        r.steps.filter { $0.requestedRate != nil && !$0.interrupted }.sorted { ($0.requestedRate ?? 0, $0.index) < ($1.requestedRate ?? 0, $1.index) }
    }

    static func kneeMarker(_ r: SweepReport) -> [SVGChart.Marker] {
        guard let k = r.knee?.requestedRate else { return [] }
        return [.init(at: k, label: "knee \(Num.rate(k))/s", color: observedColor, dashed: false)]
    }

    static func sweepLatencyChart(_ r: SweepReport) -> SVGChart {
        let steps = rateSteps(r)
        var c = SVGChart(title: "Corrected latency by requested rate",
                         x: .init("requested rate (per second)"), y: .init("latency", scale: .log10, format: SVGChart.micros))
        let us = { (ns: UInt64) -> Double in Double(ns) / 1000 }
        let lines: [(String, String, (SweepStep) -> UInt64)] = [("p50", call, \.p50Ns), ("p99", service, \.p99Ns), ("p99.9", corrected, \.p999Ns)]
        c.series = lines.map { name, color, value in
            .init(name, color: color, points: steps.map { .init($0.requestedRate ?? 0, us(value($0))) }, dots: true)
        }
        c.horizontals = r.criteria.objectives.map {
            .init(at: Double($0.limitNs) / 1000, label: "objective \($0.description)", color: predictedColor)
        }
        c.verticals = kneeMarker(r)
        if steps.isEmpty { c.emptyNote = "no step completed" }
        return c
    }

    static func sweepRateChart(_ r: SweepReport) -> SVGChart {
        let steps = rateSteps(r)
        var c = SVGChart(title: "Achieved rate by requested rate", x: .init("requested rate (per second)"), y: .init("per second"))
        let top = steps.compactMap(\.requestedRate).max() ?? 0
        c.series = [
            .init("requested (held = on this line)", color: neutral, points: [.init(0, 0), .init(top, top)], dashed: true),
            .init("attempts started", color: service, points: steps.map { .init($0.requestedRate ?? 0, $0.achievedRate) }, dots: true),
            .init("established", color: call, points: steps.map { .init($0.requestedRate ?? 0, $0.establishedPerSecond) }, dashed: true, dots: true),
        ]
        c.verticals = kneeMarker(r)
        if steps.isEmpty { c.emptyNote = "no step completed" }
        return c
    }

    /// A load sweep (closed loop) has no knee: throughput against N, with the fitted
    /// scalability law where the fit succeeded.
    static func loadChart(_ r: SweepReport) -> SVGChart {
        let steps = r.steps.filter { $0.load != nil && !$0.interrupted }.sorted { ($0.load ?? 0) < ($1.load ?? 0) }
        var c = SVGChart(title: "Established per second by load (connects in flight)", x: .init("load N (in flight over all workers)"), y: .init("established per second"))
        c.series = [.init("measured", color: service, points: steps.map { .init(Double($0.load ?? 0), $0.establishedPerSecond) }, dots: true)]
        if let fit = r.fit, let maxN = steps.last?.load {
            let n = Swift.max(1, maxN)
            let points = (0...40).map { i -> SVGChart.Point? in
                let x = 1 + Double(n - 1) * Double(i) / 40
                return .init(x, fit.law.throughput(at: x))
            }
            c.series.append(.init("scalability law fit (R² \(Num.fixed(fit.rSquared, 3)))", color: corrected, points: points, dashed: true))
        }
        if steps.isEmpty { c.emptyNote = "no step completed" }
        return c
    }
}
