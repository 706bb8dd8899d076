import ConnSys
import ConnModel

/// The CSV views of a run: pure functions from a report to text, so a script can load
/// exactly what a person reads.
package enum CSVReporter {
    package static let summaryColumns = SummaryColumn.all.map(\.name)

    /// One header row and one row for the run.
    package static func summary(_ r: RunReport) -> String {
        CSV.row(summaryColumns) + CSV.row(summaryRow(r))
    }

    package static func summaryRow(_ r: RunReport) -> [String] { SummaryColumn.all.map { $0.value(r) } }

    package static let errorColumns = ["errno", "call", "count", "first_s", "first_attempt"]

    package static func errors(_ r: RunReport) -> String {
        var out = CSV.row(errorColumns)
        for e in r.errors {
            out += CSV.row([e.name, e.site.description, String(e.count), Num.f3(e.firstSeconds), String(e.firstAttempt)])
        }
        return out
    }

    package static let timeseriesColumns = [
        "t_s", "interval_s", "phase", "started", "established", "failed", "timed_out", "rate_per_s",
        "p50_us", "p90_us", "p99_us", "max_us", "connect_call_p50_us", "connect_call_p99_us",
        "ports_in_use", "time_wait", "even_ports", "odd_ports", "cpu_wait_pct", "preemptions", "syn_retransmits",
    ]

    /// One row per interval; one `err_NAME` column per errno seen anywhere in the run
    /// (`err_timeout` for connbench's own timeouts).
    package static func timeseries(_ r: RunReport) -> String {
        let uring = r.setup.config.engine == .ioUring
        let names = Set(r.intervals.flatMap { $0.errors.keys }).sorted()
        var out = CSV.row(timeseriesColumns + names.map { "err_\($0)" })
        for i in r.intervals {
            let rate = i.seconds > 0 ? Double(i.started) / i.seconds : 0
            var row = [Num.f3(i.startSeconds), Num.f3(i.seconds), i.warmup ? "warmup" : "measure",
                       String(i.started), String(i.established), String(i.failed), String(i.timedOut), Num.f1(rate),
                       Num.us(i.p50), Num.us(i.p90), Num.us(i.p99), Num.us(i.max),
                       uring ? "" : Num.us(i.connectCallP50), uring ? "" : Num.us(i.connectCallP99),
                       i.portsInUse.map(String.init) ?? "", i.timeWait.map(String.init) ?? "",
                       String(i.evenPorts), String(i.oddPorts)]
            let wait: String = i.cpuWaitPct.map { Num.f1($0) } ?? ""
            let preempted: String = i.preemptions.map(String.init) ?? ""
            let syn: String = i.synRetransmits.map(String.init) ?? ""
            row += [wait, preempted, syn]
            row += names.map { String(i.errors[$0] ?? 0) }
            out += CSV.row(row)
        }
        return out
    }
}
