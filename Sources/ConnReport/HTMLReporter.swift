import Histogram
import ConnModel

/// `report.html`, `sweep.html`, `compare.html`: the reports as one self-contained page each
/// (inline SVG charts, no script, no URL), for a reader who wants to see the run's shape —
/// where the tail bends, when the rate fell, what connect() cost as ports ran short —
/// rather than read it from tables. Pure functions of the report values.
package enum HTMLReporter {
    static let corrected = "#d62728", service = "#1f77b4", call = "#2ca02c", running = "#8c564b"
    static let observedColor = "#d62728", predictedColor = "#9467bd", neutral = "#7f7f7f"

    package static func render(_ r: RunReport) -> String {
        var body = HTMLPage.h1("connbench run, \(r.startedAtUTC)")
        body += HTMLPage.meta(r.settings.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        body += HTMLPage.meta("kernel \(r.kernelRelease); measured \(Num.fixed(r.measuredSeconds, 2)) s; "
                              + "\(r.tally.attempts) attempts, \(r.tally.established) established, \(r.tally.failed) failed, \(r.tally.timedOut) timed out")
        // Green only for a clean run: a held rate with failures or a slow tail is amber.
        let troubled = r.verdict.tail != nil || r.verdict.failures != nil
        let held = r.verdict.held == false ? " notheld" : troubled ? " warn" : r.verdict.held == true ? " held" : ""
        body += "<div class=\"verdict\(held)\">\(SVGChart.escape(r.verdict.line))</div>\n"
        body += latencyTable(r)
        body += HTMLPage.h2("Latency percentile spectrum")
        body += HTMLPage.note("Each latency at every percentile the histograms hold, on the 1/(1−p) axis: the tail to the right. Corrected is from each attempt's intended start (coordinated omission included); service from the connect() call; connect() call is the syscall alone; running is a sample of those calls with the worker's own wait for a CPU taken out.")
        body += spectrumChart(r).render()
        body += HTMLPage.h2("Rate over time: requested vs achieved")
        body += rateChart(r).render()
        body += HTMLPage.h2("Errors per errno over time")
        body += errorsChart(r).render()
        body += HTMLPage.h2("connect() cost over time")
        body += costChart(r).render()
        body += HTMLPage.h2("Ports in use over time")
        body += portsChart(r).render()
        body += onsetNote(r)
        body += HTMLPage.h2("Text report")
        body += HTMLPage.pre(TextReporter.render(r))
        return HTMLPage.page(title: "connbench run \(r.startedAtUTC)", body: body)
    }

    static func latencyTable(_ r: RunReport) -> String {
        func row(_ name: String, _ s: LatencySummary) -> [String] {
            [name, String(s.count)] + [s.p50, s.p90, s.p99, s.p999, s.p9999, s.max].map(Num.latency)
        }
        var rows = [row("corrected", r.latency), row("service", r.service)]
        if let s = r.generatorTime?.serviceRunning { rows.append(row("service, running", s)) }
        rows.append(row("connect() call", r.connectCall))
        if let c = r.generatorTime?.callRunning { rows.append(row("connect() call, running", c)) }
        return HTMLPage.table(["latency", "count", "p50", "p90", "p99", "p99.9", "p99.99", "max"], rows)
    }

    // MARK: - The percentile spectrum

    /// The percentile levels HdrHistogram's percentile iteration stops at, as (x, µs) with
    /// x = 1/(1−p): the usual spectrum plot, where each decade of x is one more nine. The
    /// last step (100%) sits at x = count, the highest x a sample of that size can claim.
    static func spectrum(_ h: Histogram<UInt64>) -> [SVGChart.Point?] {
        guard h.totalCount > 0 else { return [] }
        let cap = Swift.max(1, Double(h.totalCount))
        return h.percentiles(ticksPerHalfDistance: 5).map { v in
            let p = v.percentileLevelIteratedTo
            let x = p >= 100 ? cap : Swift.min(cap, 1 / (1 - p / 100))
            return SVGChart.Point(x, Double(v.value) / 1000)
        }
    }

    /// Ticks of the 1/(1−p) axis: 0%, 50%, 90%, 99%, 99.9%, … up to `max`.
    static func percentileTicks(upTo max: Double) -> [(value: Double, label: String)] {
        var out: [(Double, String)] = [(1, "0%"), (2, "50%"), (10, "90%")]
        var x = 100.0, label = "99"
        while x <= max * 1.000001 {
            out.append((x, label + "%"))
            x *= 10
            label += label.contains(".") ? "9" : ".9"
        }
        return out
    }

    static func spectrumChart(_ r: RunReport) -> SVGChart {
        let h = r.histograms
        let lines = [("corrected (from intended start)", corrected, h.latency), ("service (from connect() call)", service, h.service),
                     ("connect() call", call, h.connectCall)]
            + (h.callRunning.map { [("connect() call, running (less the CPU wait)", running, $0)] } ?? [])
        let most = [h.latency, h.service, h.connectCall].map(\.totalCount).max() ?? 0
        let maxX = SVGChart.pow10(SVGChart.ceilLog10(Swift.max(10, Double(most))))
        var c = SVGChart(title: "Latency by percentile",
                         x: .init("percentile (log scale of 1/(1−p))", scale: .log10, min: 1, max: maxX, ticks: percentileTicks(upTo: maxX)),
                         y: .init("latency", scale: .log10, format: SVGChart.micros))
        // Service dashed: in closed loop it equals corrected, and both must stay visible.
        c.series = lines.map { SVGChart.Series($0.0, color: $0.1, points: spectrum($0.2), dashed: $0.1 == service) }
        if h.latency.totalCount == 0 { c.emptyNote = "no connect was established" }
        return c
    }

    // MARK: - Time series

    static func mid(_ i: IntervalRow) -> Double { i.startSeconds + i.seconds / 2 }
    static func end(_ i: IntervalRow) -> Double { i.startSeconds + i.seconds }
    static func perSecond(_ n: UInt64, _ i: IntervalRow) -> Double { i.seconds > 0 ? Double(n) / i.seconds : 0 }

    static func timeAxis(_ r: RunReport) -> SVGChart.Axis {
        .init("seconds since the run started", min: 0, max: Swift.max(r.intervals.last.map(end) ?? 1, 1e-3))
    }

    static func rateChart(_ r: RunReport) -> SVGChart {
        var c = SVGChart(title: "Attempts per second, per interval", x: timeAxis(r), y: .init("per second"))
        if let asked = r.rate.perSecond, let last = r.intervals.last {
            c.series.append(.init("requested \(SVGChart.compact(asked))/s", color: neutral,
                                  points: [.init(0, asked), .init(end(last), asked)], dashed: true))
        }
        c.series.append(.init("started", color: service, points: r.intervals.map { .init(mid($0), perSecond($0.started, $0)) }))
        c.series.append(.init("established", color: call, points: r.intervals.map { .init(mid($0), perSecond($0.established, $0)) }, dashed: true))
        c.verticals = eventMarkers(r)
        if r.intervals.isEmpty { c.emptyNote = "no intervals recorded" }
        return c
    }

    static func errorsChart(_ r: RunReport) -> SVGChart {
        var c = SVGChart(title: "Errors per second by errno, and timeouts", x: timeAxis(r), y: .init("errors per second"))
        let names = Set(r.intervals.flatMap { $0.errors.keys }).sorted()
        c.series = names.enumerated().map { k, name in
            .init(name.description, color: HTMLPage.palette[(k + 3) % HTMLPage.palette.count],
                  points: r.intervals.map { .init(mid($0), perSecond($0.errors[name] ?? 0, $0)) })
        }
        c.verticals = eventMarkers(r)
        if names.isEmpty {
            c.y.max = 1
            c.emptyNote = "no errors in this run"
        }
        return c
    }

    static func costChart(_ r: RunReport) -> SVGChart {
        var c = SVGChart(title: "connect() call per interval: p50 and p99", x: timeAxis(r), y: .init("connect() call", scale: .log10, format: SVGChart.micros))
        let us = { (ns: UInt64) -> Double in Double(ns) / 1000 }
        c.series = [
            .init("p99", color: corrected, points: r.intervals.map { $0.started > 0 ? .init(mid($0), us($0.connectCallP99)) : nil }),
            .init("p50", color: call, points: r.intervals.map { $0.started > 0 ? .init(mid($0), us($0.connectCallP50)) : nil }),
        ]
        c.verticals = eventMarkers(r)
        return c
    }

    static func portsChart(_ r: RunReport) -> SVGChart {
        var c = SVGChart(title: "TCP sockets holding a port (sockstat, beyond the baseline)", x: timeAxis(r), y: .init("sockets"))
        c.series = [
            .init("ports in use", color: service, points: r.intervals.map { i in i.portsInUse.map { .init(end(i), Double($0)) } }),
            .init("TIME_WAIT", color: HTMLPage.palette[1], points: r.intervals.map { i in i.timeWait.map { .init(end(i), Double($0)) } }, dashed: true),
        ]
        if let b = r.portBudget, b.capacity > 0, b.costRiseSeconds != nil || b.exhaustedSeconds != nil {
            c.horizontals = [.init(at: Double(b.capacity), label: "port budget: \(b.capacity) ports", color: predictedColor)]
        }
        c.verticals = eventMarkers(r)
        if r.intervals.allSatisfy({ $0.portsInUse == nil && $0.timeWait == nil }) { c.emptyNote = "sockstat was not sampled" }
        return c
    }

    /// The end of the warm-up, the observed onset, and the port budget's predicted onset
    /// (and its running out, when that is a separate moment): the same marks on every
    /// time chart, so rate, errors and cost can be read against them.
    static func eventMarkers(_ r: RunReport) -> [SVGChart.Marker] {
        var out: [SVGChart.Marker] = []
        if let w = r.intervals.last(where: \.warmup) {
            out.append(.init(at: end(w), label: "warm-up ends", color: neutral))
        }
        if let b = r.portBudget, let t = b.onsetSeconds, let kind = b.onsetKind {
            out.append(.init(at: t, label: "predicted onset (\(kind.rawValue)) \(Num.fixed(t, 2)) s", color: predictedColor))
            if kind == .costRise, let e = b.exhaustedSeconds {
                out.append(.init(at: e, label: "predicted: ports run out \(Num.fixed(e, 2)) s", color: predictedColor))
            }
        }
        if let o = r.onset {
            out.append(.init(at: o.seconds, label: "observed onset (\(o.signal)) \(Num.fixed(o.seconds, 2)) s", color: observedColor, dashed: false))
        }
        return out
    }

    static func onsetNote(_ r: RunReport) -> String {
        var parts: [String] = []
        if let o = r.onset {
            parts.append("Observed onset: \(o.signal)\(o.call.map { " from \($0)" } ?? "") at \(Num.fixed(o.seconds, 3)) s, attempt \(o.attempt).")
        }
        if let b = r.portBudget, let a = b.onsetAttempt, let t = b.onsetSeconds, let kind = b.onsetKind {
            parts.append("Predicted by the port budget: \(kind.rawValue) at attempt \(a), \(Num.fixed(t, 3)) s.")
        }
        if let b = r.portBudget, let s = b.sustainableRate {
            parts.append("Sustainable rate by the port budget: \(SVGChart.compact(s))/s.")
        }
        return parts.isEmpty ? "" : HTMLPage.note(parts.joined(separator: " "))
    }
}
