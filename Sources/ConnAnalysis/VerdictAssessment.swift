import ConnModel
import SystemPackage
/// Decides the `verdict:` line: was the requested rate held, and if not, the likely
/// cause — the first question a capacity run has to answer, so it is never left to the
/// reader to work out from the tables.
package enum VerdictAssessment {
    /// The achieved rate may fall short of the request by this much and still count as held.
    package static let tolerance = 0.01

    /// A tail this much above the median is not noise: it names a cause.
    package static let tailFactor: UInt64 = 100

    /// Three questions kept apart, because each has a different owner: did the
    /// *generator* keep its schedule (and if not, why: connect() cost, CPU, the cap); did
    /// the *system* complete slowly (the tail, and its likely cause); did it *fail*
    /// (errors, timeouts). A run with timeouts or a p99 above 100× p50 never reads as a
    /// bare "rate held".
    package static func assess(_ r: RunReport, concurrency: Int) -> Verdict {
        let failedShare = r.tally.attempts > 0 ? Double(r.tally.failed + r.tally.timedOut) / Double(r.tally.attempts) : 0
        let errorCause = errorCause(r)
        let failures = failureNote(r)
        let tail = tailNote(r)
        var line: String
        var held: Bool?
        var shortfall = 0.0
        var cause: (kind: VerdictCause, text: String)?
        if let requested = r.rate.perSecond {
            let achieved = r.achievedRate
            shortfall = requested > 0 ? Swift.max(0, (requested - achieved) / requested) : 0
            held = shortfall <= tolerance
            if held == true {
                line = "verdict: rate held: \(Num.rate(achieved))/s of \(Num.rate(requested))/s requested"
                if r.lateStarts > 0 {
                    line += ", \(Num.percent(Double(r.lateStarts) / Double(Swift.max(1, r.tally.attempts)))) of starts more than \(r.lateThresholdNs / 1000) µs late"
                }
            } else {
                cause = behindCause(r, concurrency: concurrency, failedShare: failedShare, errorCause: errorCause)
                line = "verdict: rate not held: \(Num.rate(achieved))/s of \(Num.rate(requested))/s requested (\(Num.f1(shortfall * 100))% short"
                if let n = r.notStarted, n > 0 { line += ", \(n) due attempts never started" }
                line += "); generator behind: \(cause?.text ?? "")"
            }
        } else {
            line = "verdict: closed loop (--rate max): \(Num.rate(r.establishedPerSecond))/s established, \(Num.rate(r.achievedRate))/s attempted"
        }
        if let tail { line += "; slow tail: \(tail)" }
        if let failures {
            line += "; failures: \(failures)"
            if cause == nil && failedShare > 0.01, let errorCause { cause = (.failures, errorCause) }
        }
        if held == true, failures == nil, let o = r.onset {
            line += "; but ephemeral ports ran short: exhaustion onset (\(o.signal)) at \(Num.f1(o.seconds)) s, attempt \(o.attempt)"
        }
        if let generator = generatorNote(r, cause: cause?.kind) { line += (held == true ? "; but the " : "; the ") + generator }
        if r.interrupted { line += " (interrupted after \(Num.f1(r.measuredSeconds)) s)" }
        return Verdict(held: held, shortfallPercent: shortfall * 100, cause: cause?.text, causeKind: cause?.kind,
                       line: line, tail: tail, failures: failures)
    }

    /// A worker waiting this share of its time for a CPU is named in the verdict.
    package static let cpuWaitShare = 0.10

    /// What the generator itself went through, whatever the rate: stalls (a stretch in
    /// which it did not run at all) and a large wait for a CPU — both land in every
    /// latency it measures, so a verdict that did not say so would pass them off as the
    /// system's. Nil when neither happened, or when `cause` already says it.
    package static func generatorNote(_ r: RunReport, cause: VerdictCause?) -> String? {
        guard let g = r.generatorTime else { return nil }
        var parts = g.stalls.prefix(3).map(\.text)
        let more = Swift.max(0, g.stalls.count - 3) + (g.stallsNotListed ?? 0)
        if more > 0 { parts.append("and \(more) more stall(s)") }
        if g.cpuWaitShare >= cpuWaitShare && cause != .waitingForCPU {
            parts.append(cpuWaitText(g))
        }
        guard !parts.isEmpty else { return nil }
        return parts.joined(separator: "; ")
    }

    /// `generator waited for a CPU 34.1% of its time (1203 preemptions; …)`.
    package static func cpuWaitText(_ g: GeneratorTime) -> String {
        "generator waited for a CPU \(Num.percent(g.cpuWaitShare)) of its time (\(g.preemptions) preemptions"
            + (g.sharers.map { "; sharing its CPUs: \($0)" } ?? "") + "): every latency it measured includes that wait"
    }

    /// Why the generator did not keep its schedule.
    package static func behindCause(_ r: RunReport, concurrency: Int, failedShare: Double,
                                    errorCause: String?) -> (kind: VerdictCause, text: String) {
        if let o = r.onset {
            var s = "ephemeral ports ran short: exhaustion onset (\(o.signal)) at \(Num.f1(o.seconds)) s, attempt \(o.attempt)"
            if let p = o.portsInUse { s += ", \(p) ports in use" }
            if let a = o.callMeanAfterNs, let b = o.callMeanBeforeNs, b > 0, a > 3 * b {
                s += "; connect() then cost \(Num.f1(a / 1000)) µs instead of \(Num.f1(b / 1000)) µs"
            } else if let a = o.submitMeanAfterNs, let b = o.submitMeanBeforeNs, b > 0, a > 3 * b {
                s += "; each io_uring submission then cost \(Num.f1(a / 1000)) µs of CPU per chain instead of \(Num.f1(b / 1000)) µs"
            }
            return (.portsRanShort, s)
        }
        if failedShare > 0.01, let errorCause { return (.failures, errorCause) }
        let capShare = r.measuredSeconds > 0 ? r.capStallSeconds / r.measuredSeconds : 0
        let busiest = r.workers.map(\.cpuUtilization).max() ?? 0
        if capShare > 0.05 {
            return (.inFlightCap, "in-flight cap: all \(concurrency) slots per worker were busy \(Num.percent(capShare)) of the time (--concurrency)")
        }
        if r.connectCall.p50 > 1_000_000 {
            return (.slowConnectCall, "connect() itself took \(Num.f1(Double(r.connectCall.p50) / 1000)) µs at the median")
        }
        if let g = r.generatorTime, g.cpuWaitShare >= cpuWaitShare {
            return (.waitingForCPU, "CPU: the workers were waiting for a CPU \(Num.percent(g.cpuWaitShare)) of their time"
                + (g.sharers.map { " (sharing their CPUs: \($0))" } ?? ""))
        }
        if let busy = r.cpuBusy, busy > 0.9 {
            return (.coresBusy, "CPU: the run's cores were \(Num.percent(busy)) busy (generator, listener and kernel work together)")
        }
        if busiest > 0.85 { return (.workerCoreBusy, "CPU: the busiest worker used \(Num.percent(busiest)) of its core") }
        return (.scheduleBehind, "the schedule fell behind without errors or a full in-flight cap (CPU shared with the listener or other load)")
    }

    /// The system completed slowly: timeouts, or a p99 far above the median. Names what
    /// the kernel's counters and the histogram's shape point at.
    package static func tailNote(_ r: RunReport) -> String? {
        let s = r.service
        let wide = s.count > 0 && s.p50 > 0 && s.p99 > tailFactor * s.p50
        // In a veth lab an overflow of the listener's queue is this run's alone (nothing
        // else listens there), so it is a tail even when too few connects hit it to move
        // p99, or when the dropped ones were still retrying at the end.
        let listenerOverflows = r.listenerNamespace?.kernel.counter(.listenOverflows)?.delta ?? 0
        let synRetransmits = r.synRetransmits ?? 0
        guard wide || r.tally.timedOut > 0 || listenerOverflows > 0 || synRetransmits > 0 else { return nil }
        var parts: [String] = []
        if !wide && r.tally.timedOut == 0 && listenerOverflows == 0 {
            parts.append("\(synRetransmits) connects needed a SYN retransmit")
        } else if !wide && r.tally.timedOut == 0 {
            parts.append("the listener's accept queue overflowed"
                + (r.tally.inFlight > 0 ? " (\(r.tally.inFlight) attempts still in flight at the end)" : ""))
        }
        if wide {
            parts.append("service p99 \(ms(s.p99)) = \(s.p99 / Swift.max(1, s.p50))× p50 (\(ms(s.p50)))")
        }
        if r.tally.timedOut > 0 {
            let timeout = DurationParser.format(r.setup.config.timeoutNs)
            parts.append("\(r.tally.timedOut) attempts timed out (no answer within \(timeout); ETIMEDOUT)")
        }
        var why = wide ? cpuOrKernel(r) : []
        let h = r.histograms.service
        let oneSecond = h.count(within: 900_000_000...1_500_000_000)
        let threeSeconds = h.count(within: 2_900_000_000...3_500_000_000)
        if let syn = r.synRetransmits, syn > 0 {
            let segments = r.synRetransmitDetail.map { ", \($0.segments) SYNs retransmitted in all" } ?? ""
            why.append("\(syn) connects needed a SYN retransmit (TCP_INFO\(segments)) and \(oneSecond) connects took ~1 s and \(threeSeconds) ~3 s: the handshake, the steps of SYNs dropped and retransmitted")
        } else if r.synRetransmits == nil, oneSecond + threeSeconds > 0 {
            why.append("\(oneSecond) connects took ~1 s and \(threeSeconds) ~3 s: the steps of SYNs dropped and retransmitted")
        }
        if let c = synCounterNote(r) { why.append(c) }
        if let c = r.kernel.counter(.listenOverflows), c.delta > 0 {
            why.append("TcpExt.ListenOverflows +\(c.delta) (the listener's accept queue was full)")
        }
        if let c = r.kernel.counter(.listenDrops), c.delta > 0, r.kernel.counter(.listenOverflows)?.delta ?? 0 == 0 {
            why.append("TcpExt.ListenDrops +\(c.delta)")
        }
        // A veth lab: the listener's queue is in its own namespace, so its overflows are
        // counted there and never in the generator's counters.
        if let l = r.listenerNamespace {
            let where_ = "on the listener's side (its namespace, \(l.kernel.namespaceInode.map { "net:[\($0)]" } ?? "across the veth"))"
            let overflows = l.kernel.counter(.listenOverflows)?.delta ?? 0
            if overflows > 0 {
                why.append("TcpExt.ListenOverflows +\(overflows) \(where_): the listener's accept queue was full")
            }
            if let c = l.kernel.counter(.listenDrops), c.delta > 0, overflows == 0 {
                why.append("TcpExt.ListenDrops +\(c.delta) \(where_)")
            }
            if let c = l.kernel.counter(.requestQueueFullDrop), c.delta > 0 {
                why.append("TcpExt.TCPReqQFullDrop +\(c.delta) \(where_): its SYN queue was full")
            }
        }
        if let tw = r.kernel.timeWaitSides, tw.listenerSide > 0 {
            why.append("\(tw.listenerSide) TIME_WAIT sockets on the listener's side")
        }
        if why.isEmpty && wide && r.observationGap.max > s.p99 / 2 {
            why.append("the generator's own loop (observation gap max \(ms(r.observationGap.max)))")
        }
        if why.isEmpty && r.tally.timedOut > 0 {
            why.append(r.listenerNamespace == nil
                ? "no counter moved in this namespace: the loss is beyond it (the listener's host or the path)"
                : "no counter moved in either namespace of the veth lab")
        }
        return parts.joined(separator: ", ") + (why.isEmpty ? "" : "; likely cause: " + why.joined(separator: ", "))
    }

    /// The kernel's own SYN evidence: `TcpExt.TCPSynRetrans` counts retransmitted SYNs and
    /// SYN-ACKs of the whole namespace, so with the built-in listener beside the generator
    /// it holds the listener's SYN-ACKs too, and says so. `Tcp.RetransSegs` counts every
    /// retransmitted segment (FINs, data) and is never called a SYN retransmit.
    package static func synCounterNote(_ r: RunReport) -> String? {
        guard let c = r.kernel.counter(.synRetransmits), c.delta > 0 else { return nil }
        return "TcpExt.TCPSynRetrans +\(c.delta) (" + (r.listenerSharesNamespace
            ? "SYNs and the built-in listener's SYN-ACKs retransmitted in this namespace)"
            : "SYN segments retransmitted in this namespace)")
    }

    /// A wide tail that the connect() call or a wait for a CPU explains: the sampled calls
    /// with the wait taken out tell the two apart. A call whose running time stays low
    /// while its wall time is high was the worker waiting on its way out of the syscall,
    /// not the kernel searching for a port.
    package static func cpuOrKernel(_ r: RunReport) -> [String] {
        let s = r.service
        let g = r.generatorTime
        let waited = g.map { "; the workers waited for a CPU \(Num.percent($0.cpuWaitShare)) of their time" + ($0.sharers.map { ", sharing their CPUs: \($0)" } ?? "") } ?? ""
        if r.connectCall.p99 * 2 >= s.p99 {
            if let run = g?.callRunning, run.count > 0, run.p99 * 2 < r.connectCall.p99 {
                return ["waiting for a CPU inside the connect() call (call p99 \(ms(r.connectCall.p99)), of which running p99 \(ms(run.p99))\(waited))"]
            }
            let running = g?.callRunning.map { ", running p99 \(ms($0.p99))" } ?? ""
            return ["the kernel's work in connect() (call p99 \(ms(r.connectCall.p99))\(running): the search for a free port)"]
        }
        if let run = g?.serviceRunning, run.count > 0, run.p99 * 2 < s.p99 {
            return ["waiting for a CPU (service p99 \(ms(s.p99)), of which running p99 \(ms(run.p99))\(waited))"]
        }
        return []
    }

    /// Errors other than timeouts, by the dominant errno.
    package static func failureNote(_ r: RunReport) -> String? {
        guard r.tally.failed > 0, let e = errorCause(r) else { return nil }
        let share = Double(r.tally.failed) / Double(Swift.max(1, r.tally.attempts))
        return "\(r.tally.failed) attempts (\(Num.percent(share))) failed: \(e)"
    }

    package static func ms(_ ns: UInt64) -> String {
        ns >= 1_000_000 ? Num.f1(Double(ns) / 1e6) + " ms" : Num.f1(Double(ns) / 1e3) + " µs"
    }

    /// Names the kind of trouble the dominant error points at.
    package static func errorCause(_ r: RunReport) -> String? {
        var counts: FailureCounts = [:]
        for e in r.errors where e.site != .timeout { counts[FailureKey(e), default: 0] += e.count }
        guard let top = counts.byCount.first, case .errno(let errno) = top.key else { return nil }
        let what: String
        switch errno {
        case .addressNotAvailable, .addressInUse, .wouldBlock:
            what = "ephemeral port exhaustion"
        case .connectionRefused:
            what = "connections refused (no listener, or its backlog overflowed)"
        case .timedOut:
            what = "timeouts (SYNs dropped: listen queue overflow, or no route)"
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem:
            what = "file descriptor limit"
        case .networkUnreachable, .noRouteToHost:
            what = "no route to the target"
        default:
            what = "errors"
        }
        return "\(what) (\(top.key) × \(top.count))"
    }

}
