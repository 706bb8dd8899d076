import ConnEngine
import ConnSys

/// The CSV views of a run: pure functions from a report to text, so a script can load
/// exactly what a person reads.
public enum CSVReporter {
    public static let summaryColumns = [
        "started_at", "kernel", "target", "strategy", "requested_rate", "achieved_rate", "established_per_s",
        "scheduled", "attempts", "established", "failed", "timed_out", "in_flight", "duration_s", "interrupted",
        "workers", "concurrency", "close", "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us",
        "service_p50_us", "service_p99_us", "connect_call_p50_us", "connect_call_p99_us", "connect_call_max_us",
        "late_starts", "start_lag_p99_us", "cap_stall_s", "first_error", "first_error_call", "first_error_s",
        "first_error_attempt", "self_connects", "listener_accepted", "cpu_busy_pct", "verdict_held", "shortfall_pct",
    ]

    /// One header row and one row for the run.
    public static func summary(_ r: RunReport) -> String {
        CSV.row(summaryColumns) + CSV.row(summaryRow(r))
    }

    public static func summaryRow(_ r: RunReport) -> [String] {
        let setting = { (k: String) in r.settings.first { $0.key == k }?.value ?? "" }
        let first = r.firstError
        let values: [String: String] = [
            "started_at": r.startedAtUTC,
            "kernel": r.kernelRelease,
            "target": setting("target"),
            "strategy": setting("strategy"),
            "requested_rate": r.rate.perSecond.map { Num.f1($0) } ?? "max",
            "achieved_rate": Num.f1(r.achievedRate),
            "established_per_s": Num.f1(r.establishedPerSecond),
            "scheduled": r.scheduled.map(String.init) ?? "",
            "attempts": String(r.tally.attempts),
            "established": String(r.tally.established),
            "failed": String(r.tally.failed),
            "timed_out": String(r.tally.timedOut),
            "in_flight": String(r.tally.inFlight),
            "duration_s": Num.f3(r.measuredSeconds),
            "interrupted": r.interrupted ? "true" : "false",
            "workers": setting("workers"),
            "concurrency": setting("concurrency"),
            "close": setting("close"),
            "p50_us": Num.us(r.latency.p50),
            "p90_us": Num.us(r.latency.p90),
            "p99_us": Num.us(r.latency.p99),
            "p999_us": Num.us(r.latency.p999),
            "p9999_us": Num.us(r.latency.p9999),
            "max_us": Num.us(r.latency.max),
            "service_p50_us": Num.us(r.service.p50),
            "service_p99_us": Num.us(r.service.p99),
            "connect_call_p50_us": Num.us(r.connectCall.p50),
            "connect_call_p99_us": Num.us(r.connectCall.p99),
            "connect_call_max_us": Num.us(r.connectCall.max),
            "late_starts": String(r.lateStarts),
            "start_lag_p99_us": Num.us(r.startLag.p99),
            "cap_stall_s": Num.f3(r.capStallSeconds),
            "first_error": first?.name ?? "",
            "first_error_call": first.map { $0.site.description } ?? "",
            "first_error_s": first.map { Num.f3($0.firstSeconds) } ?? "",
            "first_error_attempt": first.map { String($0.firstAttempt) } ?? "",
            "self_connects": String(r.selfConnects),
            "listener_accepted": r.listener.map { String($0.accepted) } ?? "",
            "cpu_busy_pct": r.cpuBusy.map { Num.f1($0 * 100) } ?? "",
            "verdict_held": r.verdict.held.map { $0 ? "true" : "false" } ?? "",
            "shortfall_pct": Num.f1(r.verdict.shortfallPercent),
        ]
        return summaryColumns.map { values[$0] ?? "" }
    }

    public static let errorColumns = ["errno", "call", "count", "first_s", "first_attempt"]

    public static func errors(_ r: RunReport) -> String {
        var out = CSV.row(errorColumns)
        for e in r.errors {
            out += CSV.row([e.name, e.site.description, String(e.count), Num.f3(e.firstSeconds), String(e.firstAttempt)])
        }
        return out
    }

    public static let timeseriesColumns = [
        "t_s", "interval_s", "phase", "started", "established", "failed", "timed_out", "rate_per_s",
        "p50_us", "p90_us", "p99_us", "max_us", "connect_call_p50_us", "connect_call_p99_us",
    ]

    /// One row per interval; one `err_NAME` column per errno seen anywhere in the run.
    public static func timeseries(_ r: RunReport) -> String {
        let names = Set(r.intervals.flatMap { $0.errors.keys }).sorted()
        var out = CSV.row(timeseriesColumns + names.map { "err_" + $0 })
        for i in r.intervals {
            let rate = i.seconds > 0 ? Double(i.started) / i.seconds : 0
            var row = [Num.f3(i.startSeconds), Num.f3(i.seconds), i.warmup ? "warmup" : "measure",
                       String(i.started), String(i.established), String(i.failed), String(i.timedOut), Num.f1(rate),
                       Num.us(i.p50), Num.us(i.p90), Num.us(i.p99), Num.us(i.max),
                       Num.us(i.connectCallP50), Num.us(i.connectCallP99)]
            row += names.map { String(i.errors[$0] ?? 0) }
            out += CSV.row(row)
        }
        return out
    }
}
