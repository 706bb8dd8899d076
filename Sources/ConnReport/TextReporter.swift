import ConnSys
import ConnModel

/// The report a person reads at the end of a run. Pure: report in, text out.
package enum TextReporter {
    package static func render(_ r: RunReport) -> String {
        var out = ""
        out += "connbench run \(r.startedAtUTC), kernel \(r.kernelRelease)\n"
        out += "# resolved configuration (key=value; enough to repeat the run)\n"
        for s in r.settings { out += "\(s.key)=\(s.value)\n" }
        for n in r.resolvedNames { out += "resolved: \(n.lineText)\n" }
        if let l = r.listener {
            out += "listener: built-in on \(l.address), \(l.threads) accept thread(s), backlog \(l.backlog), \(l.mode.map { "mode \($0.rawValue)" } ?? "close \(l.close.rawValue)"), accepted \(l.accepted)\(l.heldPeak.map { $0 > 0 ? ", held peak \($0)" : "" } ?? "")\n"
        }
        out += "\n"
        let requested = r.rate.perSecond.map { "\(Num.whole($0))/s" } ?? "max (closed loop)"
        out += "rate: requested \(requested), achieved \(Num.f1(r.achievedRate))/s attempted, \(Num.f1(r.establishedPerSecond))/s established, over \(Num.f3(r.measuredSeconds)) s\(r.interrupted ? " (interrupted)" : "")\n"
        let t = r.tally
        out += "attempts: \(t.attempts) = established \(t.established) + failed \(t.failed) + timed out \(t.timedOut) + in flight \(t.inFlight)"
        if let s = r.scheduled {
            out += "; scheduled \(s)"
            if let n = r.notStarted { out += ", not started \(n) (due in the window, generator behind)" }
        }
        out += "\n"
        if r.timeoutsFoundEstablished + r.timeoutsFoundFailed > 0 {
            out += "deadline checks: \(r.timeoutsFoundEstablished) connect(s) found established and \(r.timeoutsFoundFailed) found failed at their deadline (counted so, not as timeouts)\n"
        }
        if r.warmup.attempts > 0 {
            let w = r.warmup
            out += "warm-up (not in the figures): \(w.attempts) = established \(w.established) + failed \(w.failed) + timed out \(w.timedOut) + in flight \(w.inFlight)\n"
        }
        if r.rate.perSecond != nil {
            let share = r.tally.attempts > 0 ? Double(r.lateStarts) / Double(r.tally.attempts) * 100 : 0
            out += "schedule: last start at \(Num.f3(r.lastStartSeconds)) s; \(r.lateStarts) starts (\(Num.f1(share))%) more than \(r.lateThresholdNs / 1000) µs late; start lag p50 \(Num.us(r.startLag.p50)) µs, p99 \(Num.us(r.startLag.p99)) µs, max \(Num.us(r.startLag.max)) µs; in-flight cap full \(r.capStalls) time(s), \(Num.f3(r.capStallSeconds)) s in all\n"
        }
        if r.selfConnects > 0 { out += "self-connects: \(r.selfConnects) (source 4-tuple equal to destination)\n" }
        let total = r.tally.attempts + r.warmup.attempts
        if total > 0 && r.setup.config.engine == .ioUring {
            out += "observation: io_uring: each attempt one linked chain (socket, options, connect); completions reaped at most \(Num.us(r.observationGap.max)) µs apart (p99 \(Num.us(r.observationGap.p99)) µs)\n"
            if let t = r.uringTimers { out += uringTimersLine(t) }
        } else if total > 0 {
            out += "observation: \(Num.f1(Double(r.settledAtOnce) / Double(total) * 100))% of attempts settled by a poll right after connect()"
            out += r.observationGap.count == 0 ? "; none waited in epoll\n"
                : "; the rest through epoll, polled at most \(Num.us(r.observationGap.max)) µs apart (p99 \(Num.us(r.observationGap.p99)) µs)\n"
        }
        out += "\n" + latencyTable(r)
        out += generatorSection(r)
        out += kernelClockSection(r)
        out += "\n" + errorTable(r)
        out += "\n" + onsetSection(r)
        out += portBudgetSection(r)
        out += "\n" + kernelSection(r)
        out += listenerNamespaceSection(r)
        out += "\n" + seriesTable(r)
        out += "\nworkers: " + r.workers.map { w in
            "#\(w.id) cpu \(w.cpu.map(String.init) ?? "-") (\(w.pinning)) busy \(Num.f1(w.cpuUtilization * 100))%"
                + (w.spinShare > 0.001 ? " (spinning \(Num.f1(w.spinShare * 100))%)" : "")
                + ", gap p50/p99/max \(Num.us(w.gapP50Ns))/\(Num.us(w.gapP99Ns))/\(Num.us(w.gapMaxNs)) µs"
                + (w.cpuWaitShare.map { ", waited for a CPU \(Num.f1($0 * 100))%" } ?? "")
                + (w.preemptions.map { ", preempted \($0)×" } ?? "")
        }.joined(separator: "; ") + (r.cpuBusy.map { "; cores used \(Num.f1($0 * 100))% busy overall" } ?? "") + "\n"
        for n in r.notes { out += "note: \(n)\n" }
        for w in r.warnings { out += "warning: \(w)\n" }
        out += r.verdict.line + "\n"
        return out
    }

    /// Where the generator's own time went, the layout that caused it, and what of the
    /// latencies above is that wait rather than the system's.
    static func generatorSection(_ r: RunReport) -> String {
        var out = ""
        if let g = r.generatorTime {
            out += "generator: the workers waited for a CPU \(Num.f1(g.cpuWaitShare * 100))% of their time, preempted \(g.preemptions) time(s)"
            out += g.callRunning == nil ? "" : "; \"running\" rows: 1 attempt in \(g.sampleEvery) less the worker's CPU wait inside it (schedstat)"
            out += "\n"
            if !g.sharedCPUs.isEmpty {
                out += "placement: the built-in listener's \(g.listenerThreads) thread(s) share CPU \(g.sharedCPUs.map(String.init).joined(separator: ",")) with the workers"
                    + " (the workers waited for a CPU \(Num.f1(g.cpuWaitShare * 100))% of their time); --listener-cpus and --cpus apart separate them\n"
            }
            if let o = g.otherLoadShare, o >= 0.05 { out += "placement: other processes took \(Num.f1(o * 100))% of the workers' CPUs\n" }
            for s in g.stalls { out += "stall: \(s.text), \(s.workers) worker(s)\n" }
            if let n = g.stallsNotListed { out += "stall: \(n) more, not dated (each worker keeps its first ones only)\n" }
        }
        out += handshakeLine(r)
        return out
    }

    /// `handshake: …`: the connects that needed a SYN retransmit by how they ended, and the
    /// SYN segments in all beside the kernel's counter of the same, so the two reconcile.
    static func handshakeLine(_ r: RunReport) -> String {
        guard let syn = r.synRetransmits else { return "" }
        var out = "handshake: \(syn) connect(s) needed a SYN retransmit"
        if let d = r.synRetransmitDetail {
            out += " (\(d.established) established, \(d.failed) failed, \(d.timedOut) timed out, \(d.inFlight) still in flight at the end)"
            out += ", \(d.segments) SYN segment(s) retransmitted in all"
        }
        out += " (TCP_INFO of every attempt that lasted 100 ms or more)"
        if let c = r.kernel.counter(.synRetransmits) {
            out += "; the kernel's \(c.name) +\(c.delta)"
                + (r.listenerSharesNamespace ? " (with the built-in listener's SYN-ACKs)" : "")
        }
        return out + "\n"
    }

    /// `--trace-kernel`: the kernel's figures beside connbench's own, so a reader checks the
    /// tail against an independent clock.
    static func kernelClockSection(_ r: RunReport) -> String {
        guard let k = r.kernelTrace else { return "" }
        func row(_ s: LatencySummary?) -> String {
            guard let s, s.count > 0 else { return "none seen" }
            return "p50/p99/p99.9 \(Num.us(s.p50))/\(Num.us(s.p99))/\(Num.us(s.p999)) µs (\(s.count))"
        }
        var out = "kernel clock (bpftrace, the worker threads, the whole run):\n"
        if r.setup.config.engine == .ioUring {
            out += "  connect() syscall: none on io_uring (the connect runs inside io_uring_enter)\n"
        } else {
            let returns = k.connectReturns.sorted { $0.key < $1.key }
                .map { "\($0.key == 0 ? "0" : Errno(rawValue: -$0.key).name)×\($0.value)" }.joined(separator: " ")
            out += "  time inside connect(): \(row(k.call)); returns \(returns.isEmpty ? "-" : returns)\n"
        }
        out += "  handshake SYN_SENT→ESTABLISHED: \(row(k.handshake)) of \(k.synSent) SYN_SENT\n"
        out += "  run-queue delay of the workers: \(row(k.runQueue))\n"
        for w in k.warnings { out += "  warning: \(w)\n" }
        return out
    }

    /// Which kernel timer bounded the connects: every one was bounded, and a loopback
    /// connect gets its timer only when it did not finish inside its own submission.
    static func uringTimersLine(_ t: UringTimerCounts) -> String {
        var parts: [String] = []
        if t.linked > 0 { parts.append("\(t.linked) connect(s) with a LINK_TIMEOUT") }
        if t.deferred > 0 {
            parts.append("\(t.deferred) loopback/unix connect(s) without one, of which \(t.armed) still pending after their submission got a timer then (TIMEOUT → ASYNC_CANCEL)")
        }
        return parts.isEmpty ? "" : "kernel timeouts: " + parts.joined(separator: "; ") + "\n"
    }

    static func onsetSection(_ r: RunReport) -> String {
        let uring = r.setup.config.engine == .ioUring
        guard let o = r.onset else {
            let cost = uring ? "io_uring submission cost" : "connect() cost"
            return "exhaustion onset: none (no exhaustion errno, no sharp rise in \(cost) or fall in rate)\n"
        }
        var out = "exhaustion onset: \(o.signal)"
        if let c = o.call { out += " from \(c)" }
        out += " at \(Num.f3(o.seconds)) s, attempt \(o.attempt)"
        if let p = o.portsInUse { out += ", \(p) ports in use" }
        out += r.endedAtOnset ? " (run ended at onset + tail)\n" : "\n"
        if let why = o.evidence { out += "  evidence: \(why)\n" }
        if let e = o.laterErrno, let t = o.laterErrnoSeconds {
            out += "  first exhaustion errno came later: \(e) at \(Num.f3(t)) s\n"
        } else if o.call == nil {
            out += "  no exhaustion errno appeared in the run\n"
        }
        // io_uring has no connect() call: its cost is the submission's CPU per chain.
        let costName = uring ? "submission CPU per chain" : "connect() mean"
        let (costBefore, costAfter) = uring ? (o.submitMeanBeforeNs, o.submitMeanAfterNs) : (o.callMeanBeforeNs, o.callMeanAfterNs)
        out += "  before: \(Num.f1(o.rateBefore))/s established, \(costName) \(costBefore.map { Num.f1($0 / 1000) } ?? "-") µs"
        if let odd = o.oddShareBefore { out += ", \(Num.f1(odd * 100))% odd source ports" }
        out += "\n  after:  \(Num.f1(o.sustainedRate))/s established (sustained), \(Num.f1(o.errorsPerSecond)) errors/s, \(costName) \(costAfter.map { Num.f1($0 / 1000) } ?? "-") µs"
        if let odd = o.oddShareAfter { out += ", \(Num.f1(odd * 100))% odd source ports" }
        return out + "\n"
    }

    /// `port budget: …` and `predicted onset …; observed …`, so the model and the run can
    /// be read against each other.
    static func portBudgetSection(_ r: RunReport) -> String {
        guard let b = r.portBudget else { return "" }
        let i = b.inputs
        var out = "port budget: \(i.ports) ports"
        if i.sources > 1 { out += " × \(i.sources) sources" }
        if i.destinations > 1 { out += i.bindTakesPort ? " (bind() takes the port: \(i.destinations) destinations do not multiply it)" : " × \(i.destinations) destinations" }
        out += " = \(b.capacity)"
        switch i.timeWaitHolder {
        case .nobody: out += "; RST close leaves no TIME_WAIT: ports come back at close\n"
        case .peer: out += "; the peer holds TIME_WAIT: ports come back at close\n"
        case .peerEnded: out += "; the peer ended the connections (a reset, or its close first), so this side holds no TIME_WAIT: ports come back at close\n"
        case .generator, .unknown:
            out += b.holdSeconds < PortBudget.timeWaitSeconds
                ? "; TIME_WAIT reused after \(Num.f3(b.holdSeconds)) s (tcp_tw_reuse)"
                : "; each held \(Num.whole(b.holdSeconds.rounded(.towardZero))) s in TIME_WAIT by this side"
            out += b.sustainableRate.map { " → sustainable \(Num.f1($0))/s" } ?? ""
            out += b.cheapRate.map { ", \(Num.f1($0))/s of it on the cheap half (beyond, each connect() walks used ports)\n" } ?? "\n"
        }
        if let seen = i.observed { out += "  seen: \(seen.text), so not TIME_WAIT on this side as the configuration suggests\n" }
        if let c = b.caveat { out += "  model: \(c)\n" }
        guard let rate = b.rate else { return out }
        var at = "at \(Num.f1(rate))/s" + (b.rateMeasured ? " (measured)" : "")
        if let asked = b.askedRate {
            at = "at \(Num.f1(rate))/s (the rate the run kept\(r.onset == nil ? "" : " before the onset"); \(Num.f1(asked))/s was asked)"
        }
        var line = "  predicted \(at): "
        if let c = b.costRiseAttempt, let cs = b.costRiseSeconds {
            line += "connect() cost rises at attempt \(c) (\(Num.f3(cs)) s, one parity of the range used), "
        }
        if let w = b.inFlightPorts {
            line += "ports in use at once ≈ \(Num.f1(rate))/s × the mean connection's \(Num.f3(w / rate * 1000)) ms = \(Num.f1(w))"
            line += (b.inFlightPeak.map { " (sampled peak \($0))" } ?? "") + " of \(b.capacity), "
        }
        if let e = b.exhaustedAttempt, let es = b.exhaustedSeconds {
            line += "ports run out at attempt \(e) (\(Num.f3(es)) s)"
        } else if b.holdSeconds == 0 {
            line += "no onset (the range holds every connection open at once)"
        } else {
            line += b.costRiseAttempt == nil ? "no onset (within the sustainable rate)" : "ports do not run out"
        }
        out += line + "\n"
        if let kind = b.onsetKind, let a = b.onsetAttempt, let t = b.onsetSeconds {
            out += "  predicted onset \(kind.rawValue) at attempt \(a) (\(Num.f3(t)) s)"
            if let o = r.onset {
                out += "; observed \(o.signal) at attempt \(o.attempt) (\(Num.f3(o.seconds)) s): "
                out += "\(Num.signedPercent(Double(o.attempt), Double(a))) attempts, \(Num.signedPercent(o.seconds, t)) time\n"
            } else {
                out += "; observed none" + (r.endedAtOnset ? "" : " (the run may have ended before it)") + "\n"
            }
        } else if let o = r.onset {
            out += "  predicted onset none; observed \(o.signal) at attempt \(o.attempt) (\(Num.f3(o.seconds)) s): not the ports, by this model\n"
        }
        return out
    }

    static func kernelSection(_ r: RunReport) -> String {
        let k = r.kernel
        var out = "kernel: \(k.release), namespace \(namespaceText(k))"
        if !k.sysctlsApplied.isEmpty { out += ", set: " + k.sysctlsApplied.map(\.description).joined(separator: " ") }
        out += "\n  " + k.tunables.map { "\($0.key.split(separator: ".").last!)=\($0.value)" }.joined(separator: " ") + "\n"
        let moved = k.counters.filter { $0.delta != 0 || $0.counter.isGauge }
        if !moved.isEmpty {
            out += "  counters over the run: " + moved.map { c in
                c.counter.isGauge ? "\(c.name) \(c.before)→\(c.after)" : "\(c.name) +\(c.delta)"
            }.joined(separator: ", ") + "\n"
        }
        if let tw = k.timeWaitSides {
            out += "  TIME_WAIT at the end: \(tw.clientSide) held by the client, "
                + (tw.listenerElsewhere == true ? "the listener's on its own host" : "\(tw.listenerSide) by the listener")
            out += tw.other > 0 ? ", \(tw.other) other\n" : "\n"
        }
        if let n = r.numa {
            out += "  numa: " + n.topology.nodes.map { "node\($0.id) cpus \($0.cpus.isEmpty ? "-" : CPUListText.format($0.cpus))" }.joined(separator: ", ")
            let workerNodes = Set(n.workerNodes.compactMap { $0 }).sorted().map(String.init).joined(separator: ",")
            out += "; workers on node \(workerNodes.isEmpty ? "- (unpinned)" : workerNodes)"
            for route in n.routes {
                out += "; \(route.target) via \(route.interface) " + (route.node.map { "(node \($0))" } ?? "(virtual: no node)")
            }
            out += "\n"
        }
        if r.ports.meanSampleNs > 0 {
            out += "  sockstat sampled \(r.ports.samples.count)× at \(Num.f1(r.ports.meanSampleNs / 1000)) µs each (runner thread)\n"
        }
        return out
    }

    /// A veth run's listener namespace, beside the generator's kernel section: the tunables
    /// that differ from the generator's, the counters that moved there, and the listener's
    /// own counts, so "whose queue overflowed" is read off one line.
    static func listenerNamespaceSection(_ r: RunReport) -> String {
        guard let l = r.listenerNamespace else { return "" }
        let k = l.kernel
        var out = "listener side (namespace \(namespaceText(k))): \(l.listenerInterface) \(l.listenerAddress)"
        out += " <- veth <- \(l.generatorInterface) \(l.generatorAddress) (IPv\(l.family))"
        if let d = l.delayNs { out += ", netem delay \(Num.f3(Double(d) / 1e6)) ms on \(l.generatorInterface)" }
        if !k.sysctlsApplied.isEmpty { out += ", set: " + k.sysctlsApplied.map(\.description).joined(separator: " ") }
        out += "\n"
        let differ = l.tunablesDiffering(from: r.kernel)
        out += "  tunables that differ from the generator's: "
        out += differ.isEmpty ? "none" : differ.map { "\($0.key.split(separator: ".").last!)=\($0.value) (generator \(r.kernel.tunable($0.key) ?? "n/a"))" }.joined(separator: " ")
        out += "\n"
        let s = l.side
        out += "  listener: accepted \(s.accepted), closed \(s.closed), held peak \(s.heldPeak); "
        out += KernelCounter.listenQueue.map { c in "\(c.rawValue.split(separator: ".").last ?? "") +\(s.delta(c).map(String.init) ?? "n/a")" }.joined(separator: ", ")
        out += "\n"
        let moved = k.counters.filter { $0.delta != 0 || $0.counter.isGauge }
        if !moved.isEmpty {
            out += "  counters over the run: " + moved.map { c in
                c.counter.isGauge ? "\(c.name) \(c.before)→\(c.after)" : "\(c.name) +\(c.delta)"
            }.joined(separator: ", ") + "\n"
        }
        let clientTW = r.kernel.timeWaitSides.map { String($0.clientSide) } ?? "n/a"
        out += "  TIME_WAIT at the end: \(s.timeWaitListenerSide.map(String.init) ?? "n/a") held by the listener (this namespace), \(clientTW) by the client (the generator's)\n"
        return out
    }

    /// Older reports say only `fresh` or `host`; newer ones carry the described identity.
    static func namespaceText(_ k: KernelContext) -> String {
        switch k.namespace {
        case "fresh": "fresh (--netns, deleted at the end)" + (k.namespaceInode.map { " (net:[\($0)])" } ?? "")
        case "host": "host" + (k.namespaceInode.map { " (net:[\($0)])" } ?? "")
        default: k.namespace
        }
    }

    static func latencyTable(_ r: RunReport) -> String {
        let header = ["latency (µs)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "count"]
        var rows: [[String]] = []
        func add(_ name: String, _ s: LatencySummary) {
            rows.append([name, Num.us(s.p50), Num.us(s.p90), Num.us(s.p99), Num.us(s.p999), Num.us(s.p9999), Num.us(s.max), String(s.count)])
        }
        add(r.rate.perSecond != nil ? "corrected (from intended start)" : "corrected (= service, closed loop)", r.latency)
        if r.setup.config.engine == .ioUring {
            // No connect() call exists: the connect is a submission. Service is measured
            // from queueing the chain to reaping the connect's completion.
            add("service (submission to completion)", r.service)
            rows.append(["connect() call", "n/a on io_uring (the connect is a submission)", "", "", "", "", "", ""])
        } else {
            add("service (from connect call)", r.service)
            if let s = r.generatorTime?.serviceRunning { add("service, running (1 in \(r.generatorTime?.sampleEvery ?? 0))", s) }
            add("connect() call", r.connectCall)
            if let c = r.generatorTime?.callRunning { add("connect() call, running (1 in \(r.generatorTime?.sampleEvery ?? 0))", c) }
        }
        if r.rate.perSecond != nil { add("start lag", r.startLag) }
        add("observation gap (loop)", r.observationGap)
        return table(header, rows)
    }

    static func errorTable(_ r: RunReport) -> String {
        if r.errors.isEmpty { return "errors: none\n" }
        let rows = r.errors.map { e in
            [e.name, e.site.description, String(e.count), Num.f3(e.firstSeconds), String(e.firstAttempt)]
        }
        return "errors:\n" + table(["errno", "call", "count", "first_s", "first_attempt"], rows)
    }

    static func seriesTable(_ r: RunReport) -> String {
        guard !r.intervals.isEmpty else { return "" }
        let rows = r.intervals.map { i -> [String] in
            let errs = i.errors.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            return [Num.f1(i.startSeconds) + (i.warmup ? "w" : ""), String(i.started), String(i.established),
                    String(i.failed), String(i.timedOut), Num.us(i.p50), Num.us(i.p99), Num.us(i.max),
                    r.setup.config.engine == .ioUring ? "n/a" : Num.us(i.connectCallP99),
                    i.cpuWaitPct.map { Num.f1($0) } ?? "-", i.preemptions.map(String.init) ?? "-", errs.isEmpty ? "-" : errs]
        }
        return "timeseries:\n" + table(["t_s", "started", "established", "failed", "timed_out", "p50_us", "p99_us", "max_us", "call_p99_us",
                                         "cpu_wait_pct", "preempt", "errors"], rows)
    }

    /// Left-aligned first column, right-aligned numbers.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in all {
            var line = ""
            for (i, cell) in row.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i == 0 { line += cell + pad } else if i == row.count - 1 && i >= 9 { line += "  " + cell } else { line += "  " + pad + cell }
            }
            out += line.trailingSpacesTrimmed() + "\n"
        }
        return out
    }
}

extension String {
    func trailingSpacesTrimmed() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
