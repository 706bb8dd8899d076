/// Decides the `verdict:` line: was the requested rate held, and if not, the likely
/// cause — the first question a capacity run has to answer, so it is never left to the
/// reader to work out from the tables.
public enum VerdictAssessment {
    /// The achieved rate may fall short of the request by this much and still count as held.
    public static let tolerance = 0.01

    public static func assess(_ r: RunReport, concurrency: Int) -> Verdict {
        let failedShare = r.tally.attempts > 0 ? Double(r.tally.failed + r.tally.timedOut) / Double(r.tally.attempts) : 0
        let errorCause = errorCause(r)
        guard let requested = r.rate.perSecond else {
            var line = "verdict: closed loop (--rate max): \(fmt(r.establishedPerSecond))/s established, \(fmt(r.achievedRate))/s attempted"
            if failedShare > 0.01, let errorCause { line += "; \(pct(failedShare)) of attempts failed: \(errorCause)" }
            if r.interrupted { line += " (interrupted)" }
            return Verdict(held: nil, shortfallPercent: 0, cause: failedShare > 0.01 ? errorCause : nil, line: line)
        }
        let achieved = r.achievedRate
        let shortfall = requested > 0 ? Swift.max(0, (requested - achieved) / requested) : 0
        let held = shortfall <= tolerance
        var cause: String?
        if failedShare > 0.01 {
            cause = errorCause
        }
        let onsetNote = r.onset.map { o in
            "ephemeral ports ran short: exhaustion onset (\(o.signal)) at \(String(format1: o.seconds)) s, attempt \(o.attempt)\(o.portsInUse.map { ", \($0) ports in use" } ?? "")"
        }
        if !held && cause == nil, let onsetNote, r.onset?.call == nil {
            cause = onsetNote
        }
        if !held && cause == nil {
            let capShare = r.measuredSeconds > 0 ? r.capStallSeconds / r.measuredSeconds : 0
            let busiest = r.workers.map(\.cpuUtilization).max() ?? 0
            if capShare > 0.05 {
                cause = "in-flight cap: all \(concurrency) slots per worker were busy \(pct(capShare)) of the time (--concurrency)"
            } else if let busy = r.cpuBusy, busy > 0.9 {
                cause = "CPU: the run's cores were \(pct(busy)) busy (generator, listener and kernel work together)"
            } else if busiest > 0.85 {
                cause = "CPU: the busiest worker used \(pct(busiest)) of its core"
            } else {
                cause = "the schedule fell behind without errors or a full in-flight cap (CPU shared with the listener or other load)"
            }
        }
        var line: String
        if held {
            line = "verdict: rate held: \(fmt(achieved))/s of \(fmt(requested))/s requested"
            if r.lateStarts > 0 {
                line += ", \(pct(Double(r.lateStarts) / Double(Swift.max(1, r.tally.attempts)))) of starts more than \(r.lateThresholdNs / 1000) µs late"
            }
            if let cause { line += "; but \(pct(failedShare)) of attempts failed: \(cause)" }
            if cause == nil, let onsetNote { line += "; but \(onsetNote)" }
        } else {
            line = "verdict: rate not held: \(fmt(achieved))/s of \(fmt(requested))/s requested (\(String(format1: shortfall * 100))% short); likely cause: \(cause!)"
        }
        if r.interrupted { line += " (interrupted after \(String(format1: r.measuredSeconds)) s)" }
        return Verdict(held: held, shortfallPercent: shortfall * 100, cause: cause, line: line)
    }

    /// Names the kind of trouble the dominant error points at.
    static func errorCause(_ r: RunReport) -> String? {
        var byName: [String: UInt64] = [:]
        for e in r.errors { byName[e.name, default: 0] += e.count }
        guard let top = byName.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else { return nil }
        let what: String
        switch top.key {
        case "EADDRNOTAVAIL", "EADDRINUSE", "EWOULDBLOCK":
            what = "ephemeral port exhaustion"
        case "ECONNREFUSED":
            what = "connections refused (no listener, or its backlog overflowed)"
        case "ETIMEDOUT":
            what = "timeouts (SYNs dropped: listen queue overflow, or no route)"
        case "EMFILE", "ENFILE":
            what = "file descriptor limit"
        case "ENETUNREACH", "EHOSTUNREACH":
            what = "no route to the target"
        default:
            what = "errors"
        }
        return "\(what) (\(top.key) × \(top.value))"
    }

    static func fmt(_ v: Double) -> String { String(Int64(v.rounded())) }
    static func pct(_ share: Double) -> String { String(format1: share * 100) + "%" }
}

extension String {
    /// One decimal place, without Foundation's formatter on the way.
    public init(format1 v: Double) {
        let scaled = (v * 10).rounded()
        let whole = Int64(scaled / 10)
        let frac = Int64(abs(scaled.truncatingRemainder(dividingBy: 10)))
        self = (scaled < 0 && whole == 0 ? "-" : "") + "\(whole).\(frac)"
    }
}
