import ConnSys
import ConnModel

/// `connbench hold`'s report: text (hold.txt and the terminal) and CSV (hold.csv, one
/// row per step of open count). Pure functions of the merged ``HoldReport``.
package enum HoldReporter {
    package static func render(_ r: HoldReport) -> String {
        let o = r.plan.options
        let t = r.total
        var s = "connbench hold\n"
        s += "connections=\(o.connections) rate=\(Num.f1(o.ratePerSecond))/s hold=\(DurationParser.format(o.holdNs)) timeout=\(DurationParser.format(o.timeoutNs)) step=\(o.step)\n"
        s += "processes: \(r.plan.processes) generator part(s) + \(r.plan.processes) listener process(es), RLIMIT_NOFILE \(r.plan.descriptorLimit) each (budget \(r.plan.perProcessBudget) connections per process)\n"
        let ports = r.plan.listenerPorts.joined().sorted()
        s += "4-tuples: sources \(range(r.plan.sourceAddresses)) (\(r.plan.sourceAddresses.count)) -> \(r.plan.listenerAddress) ports \(ports.first ?? 0)-\(ports.last ?? 0) (\(ports.count)), IP_BIND_ADDRESS_NO_PORT, capacity \(r.plan.tupleCapacity) with \(r.plan.ephemeralPorts) ephemeral ports\n"
        s += "namespace: \(r.namespace), fresh and anonymous, created for this run; every part ran in it and it ended with them\n"
        s += "close: RST (SO_LINGER 0) at the end, so nothing is left in TIME_WAIT\n"
        if r.plan.exceedsDescriptors {
            s += "note: a part must hold \(r.plan.count(ofPart: 0)) connections, more than its descriptor budget (--processes forced)\n"
        }
        if let phase = r.interrupted { s += "INTERRUPTED during \(phase): partial figures\n" }
        s += "\nbuild-up\n"
        s += "  attempts \(t.attempts) = established \(t.established) + failed \(t.failed) + timed out \(t.timedOut) + in flight \(t.inFlight)"
        s += r.balanced ? " (balanced)" : " (NOT BALANCED)"
        s += r.notStarted > 0 ? "; not started \(r.notStarted)\n" : "\n"
        let scheduled = Double(o.connections) / o.ratePerSecond
        s += "  took \(Num.f3(Double(r.buildNs) / 1e9)) s (schedule \(Num.f3(scheduled)) s); starts more than 1 ms late: \(t.lateStarts)\n"
        if r.heldNs > 0 || r.interrupted == nil {
            s += "  held \(t.established - t.lostDuringHold) for \(Num.f3(Double(r.heldNs) / 1e9)) s; lost during the hold: \(t.lostDuringHold)\n"
        }
        if let l = r.limit {
            s += "  stopped first by: \(l.limit): \(l.evidence)\n"
        } else if t.established == UInt64(o.connections) {
            s += "  stopped by: nothing, all \(o.connections) established\n"
        }
        if !t.errors.isEmpty {
            s += "  errors:\n"
            for e in t.errors { s += "    \(e.site) \(e.errnoName): \(e.count) (first at attempt \(e.firstAttempt + 1))\n" }
        }
        if !r.missingParts.isEmpty { s += "  parts that did not report: \(r.missingParts.map(String.init).joined(separator: ", "))\n" }
        s += runSection(r)
        s += "\nconnect latency by open count (from each connect's intended start; service = from the connect() call)\n"
        let header = ["open count", "established", "p50", "p90", "p99", "p99.9", "max", "service p50", "service p99"]
        var rows = [header]
        for b in r.buckets where b.established > 0 || b.first < Int(t.attempts) {
            rows.append(["\(short(b.first))-\(short(b.end))", "\(b.established)",
                         ms(b.p50Ns), ms(b.p90Ns), ms(b.p99Ns), ms(b.p999Ns), ms(b.maxNs), ms(b.serviceP50Ns), ms(b.serviceP99Ns)])
        }
        let all = r.overall
        if all.totalCount > 0 {
            rows.append(["all", "\(all.totalCount)", ms(all.valueAtPercentile(50)), ms(all.valueAtPercentile(90)),
                         ms(all.valueAtPercentile(99)), ms(all.valueAtPercentile(99.9)), ms(all.max), "", ""])
        }
        s += table(rows, indent: "  ") + "  (times in ms)\n"
        s += "\nmemory\n"
        let b = r.before
        func line(_ name: String, _ f: (HoldSnapshot) -> String) -> String {
            "  \(name): before \(f(b)), peak \(r.peak.map(f) ?? "-"), end of hold \(r.holdEnd.map(f) ?? "-"), after \(r.after.map(f) ?? "-")\n"
        }
        s += line("sockstat TCP inuse (namespace, both ends + listeners)") { "\($0.tcpInUse)" }
        s += line("sockstat TCP mem pages (host-wide)") { "\($0.tcpMemPages)" }
        s += line("sockstat TCP tw (namespace)") { "\($0.timeWait)" }
        s += "  kernel per connection: sockstat mem \(bytes(r.tcpMemBytesPerConnection)) (socket buffers only: an idle connection queues nothing)"
        s += ", slab \(bytes(r.slabBytesPerConnection)) (both ends, /proc/slabinfo, host-wide)\n"
        if let caches = r.peak?.slabs ?? b.slabs, !caches.isEmpty {
            s += "    slab caches: " + caches.map { c in "\(c.name) \(bytes(r.slabDeltaPerConnection(c.name)))" }.joined(separator: ", ") + "\n"
        } else {
            s += "    /proc/slabinfo not readable\n"
        }
        s += "  connbench RSS: generators \(kb(b.generatorRSSKB)) -> \(r.peak.map { kb($0.generatorRSSKB) } ?? "-") (\(bytes(r.generatorRSSBytesPerConnection))/connection)"
        s += ", listeners \(kb(b.listenerRSSKB)) -> \(r.peak.map { kb($0.listenerRSSKB) } ?? "-") (\(bytes(r.listenerRSSBytesPerConnection))/connection)\n"
        s += "    (a part's per-attempt state, the kept descriptor of 4 B, is allocated before the build-up; a listener keeps a bit per descriptor)\n"
        let overflows = (r.after ?? r.holdEnd ?? r.peak).map { $0.listenOverflows - b.listenOverflows } ?? 0
        s += "  ListenOverflows \(overflows)"
        s += ", listeners accepted \(r.listeners.reduce(0) { $0 + $1.accepted }), closed over their hold limit \(r.listeners.reduce(0) { $0 + $1.closedOverHoldLimit })"
        s += ", backlog \(r.listeners.first?.backlog ?? 0)\n"
        if t.closed > 0 { s += "\nclosed \(t.closed) with RST in \(Num.f3(Double(t.closeNs) / 1e9)) s (slowest part)\n" }
        for n in r.notes { s += "note: \(n)\n" }
        return s
    }

    package static let csvColumns = ["first", "end", "open_before", "established", "p50_us", "p90_us", "p99_us", "p999_us",
                                    "max_us", "service_p50_us", "service_p99_us"]

    /// The build-up as the run it was: the generator's CPU wait, the SYN retransmits and
    /// the latency rows of `connbench run`, from the parts' runs merged.
    static func runSection(_ r: HoldReport) -> String {
        guard let run = r.build else { return "" }
        var s = "\nthe build-up as a run (\(run.setup.config.engine) engine, the parts' runs merged; all of it is hold.json's `build`)\n"
        let body = TextReporter.generatorSection(run) + TextReporter.latencyTable(run)
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty { s += "  \(line)\n" }
        return s
    }

    package static func csv(_ r: HoldReport) -> String {
        var out = CSV.row(csvColumns)
        for b in r.buckets {
            out += CSV.row(["\(b.first)", "\(b.end)", "\(b.openBefore)", "\(b.established)", Num.us(b.p50Ns), Num.us(b.p90Ns),
                            Num.us(b.p99Ns), Num.us(b.p999Ns), Num.us(b.maxNs), Num.us(b.serviceP50Ns), Num.us(b.serviceP99Ns)])
        }
        return out
    }

    package static func files(_ r: HoldReport) -> [(name: String, contents: String)] {
        [("hold.txt", render(r)), ("hold.csv", csv(r))]
    }

    static func ms(_ ns: UInt64) -> String { Num.f3(Double(ns) / 1e6) }

    static func short(_ n: Int) -> String { n % 1000 == 0 && n > 0 ? "\(n / 1000)k" : "\(n)" }

    static func bytes(_ v: Double?) -> String {
        guard let v else { return "n/a" }
        return Num.whole(v) + " B"
    }

    static func kb(_ v: UInt64) -> String { "\(Num.f1(Double(v) / 1024)) MiB" }

    static func range(_ list: [String]) -> String {
        list.count <= 1 ? (list.first ?? "-") : "\(list.first!)-\(list.last!)"
    }

    static func table(_ rows: [[String]], indent: String) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            indent + row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
