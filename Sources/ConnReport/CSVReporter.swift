import ConnSys
import ConnModel

/// The CSV views of a run: pure functions from a report to text, so a script can load
/// exactly what a person reads.
package enum CSVReporter {
    package static let summaryColumns = [
        "started_at", "kernel", "target", "resolved", "strategy", "requested_rate", "achieved_rate", "established_per_s",
        "scheduled", "not_started", "attempts", "established", "failed", "timed_out", "in_flight", "duration_s", "interrupted",
        "workers", "concurrency", "close", "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us",
        "service_p50_us", "service_p99_us", "connect_call_p50_us", "connect_call_p99_us", "connect_call_max_us",
        "late_starts", "start_lag_p50_us", "start_lag_p99_us", "last_start_s", "cap_stall_s",
        "gap_p50_us", "gap_p99_us", "gap_max_us", "settled_at_once", "spin_pct", "deadline_found_established", "deadline_found_failed",
        "uring_link_timeouts", "uring_deferred_timeouts", "uring_timers_armed", "first_error", "first_error_call", "first_error_s",
        "first_error_attempt", "self_connects", "listener_accepted", "cpu_busy_pct", "verdict_held", "shortfall_pct",
        // Socket strategy and isolation.
        "bind", "reuseaddr", "bind_no_port", "port_range", "sources", "netns", "netns_inode", "sysctls", "engine",
        // Exhaustion onset.
        "onset_s", "onset_attempt", "onset_ports_in_use", "onset_signal", "onset_call", "onset_later_errno",
        "onset_rate_before_per_s", "onset_sustained_rate_per_s", "onset_errors_per_s",
        "onset_call_mean_before_us", "onset_call_mean_after_us", "onset_odd_share_before", "onset_odd_share_after",
        "onset_evidence", "onset_cost_factor", "onset_odd_share_baseline", "onset_odd_share_window",
        "ended_at_onset",
        // Kernel context.
        "ip_local_port_range", "tcp_tw_reuse", "tcp_tw_reuse_delay", "somaxconn", "tcp_max_syn_backlog",
        "tcp_syncookies", "tcp_timestamps", "tcp_fin_timeout", "tcp_max_tw_buckets",
        "d_listen_overflows", "d_listen_drops", "d_tw_overflow", "d_tw", "d_tw_recycled", "d_active_opens",
        "d_attempt_fails", "d_out_rsts", "time_wait_end", "numa_nodes", "worker_nodes", "target_interfaces", "time_wait_client_side", "time_wait_listener_side",
        "sockstat_sample_us",
        // Topology and the listener's namespace (veth).
        "topology", "family", "listener_netns_inode", "listener_d_listen_overflows", "listener_d_listen_drops",
        "listener_d_reqq_full_drop", "listener_time_wait_listener_side", "listener_sysctls", "delay_ms",
        // io_uring's onset cost: submission CPU time per chain (no connect() call there).
        "onset_submit_mean_before_us", "onset_submit_mean_after_us",
        // Where the generator's time went, and the connect() calls less that wait.
        "cpu_wait_pct", "preemptions", "call_running_p50_us", "call_running_p99_us", "call_running_p999_us",
        "service_running_p50_us", "service_running_p99_us", "service_running_p999_us", "running_sample_every",
        "stalls", "stall_max_ms", "listener_shared_cpus", "other_load_pct", "syn_retransmits",
        "syn_retransmit_segments", "d_syn_retrans", "d_retrans_segs",
        // --trace-kernel: the kernel's own clock (bpftrace).
        "kernel_call_p50_us", "kernel_call_p99_us", "kernel_call_p999_us", "kernel_handshake_p50_us",
        "kernel_handshake_p99_us", "kernel_handshake_p999_us", "kernel_runq_p50_us", "kernel_runq_p99_us", "kernel_runq_p999_us",
    ]

    /// One header row and one row for the run.
    package static func summary(_ r: RunReport) -> String {
        CSV.row(summaryColumns) + CSV.row(summaryRow(r))
    }

    package static func summaryRow(_ r: RunReport) -> [String] {
        let uring = r.setup.config.engine == .ioUring
        let first = r.firstError
        var values: [String: String] = [
            "started_at": r.startedAtUTC,
            "kernel": r.kernelRelease,
            "target": r.setup.targetText,
            "resolved": r.resolvedNames.map(\.csvText).joined(separator: " "),
            "strategy": r.strategy.name,
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
            "workers": String(r.setup.workers),
            "concurrency": String(r.setup.concurrency),
            "close": r.setup.config.close.rawValue,
            "p50_us": Num.us(r.latency.p50),
            "p90_us": Num.us(r.latency.p90),
            "p99_us": Num.us(r.latency.p99),
            "p999_us": Num.us(r.latency.p999),
            "p9999_us": Num.us(r.latency.p9999),
            "max_us": Num.us(r.latency.max),
            "service_p50_us": Num.us(r.service.p50),
            "service_p99_us": Num.us(r.service.p99),
            // io_uring has no connect() call to time: the columns stay empty, never filled
            // with a figure of another meaning.
            "connect_call_p50_us": uring ? "" : Num.us(r.connectCall.p50),
            "connect_call_p99_us": uring ? "" : Num.us(r.connectCall.p99),
            "connect_call_max_us": uring ? "" : Num.us(r.connectCall.max),
            "engine": r.setup.config.engine.rawValue,
            "late_starts": String(r.lateStarts),
            "start_lag_p50_us": Num.us(r.startLag.p50),
            "start_lag_p99_us": Num.us(r.startLag.p99),
            "last_start_s": Num.f3(r.lastStartSeconds),
            "not_started": r.notStarted.map(String.init) ?? "",
            "gap_p50_us": Num.us(r.observationGap.p50),
            "gap_p99_us": Num.us(r.observationGap.p99),
            "gap_max_us": Num.us(r.observationGap.max),
            "spin_pct": Num.f1(r.spinShare * 100),
            "settled_at_once": String(r.settledAtOnce),
            "deadline_found_established": String(r.timeoutsFoundEstablished),
            "deadline_found_failed": String(r.timeoutsFoundFailed),
            "uring_link_timeouts": r.uringTimers.map { String($0.linked) } ?? "",
            "uring_deferred_timeouts": r.uringTimers.map { String($0.deferred) } ?? "",
            "uring_timers_armed": r.uringTimers.map { String($0.armed) } ?? "",
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
        let st = r.strategy
        values["bind"] = st.sources.count == 1 ? st.sources[0].host : ""
        values["reuseaddr"] = st.reuseAddress ? "true" : "false"
        values["bind_no_port"] = st.bindAddressNoPort ? "true" : "false"
        values["port_range"] = st.portRange.map { "\($0.lowerBound)-\($0.upperBound)" } ?? ""
        values["sources"] = st.sources.count > 1 ? "\(st.sources.first!.host)-\(st.sources.last!.host)" : ""
        values["netns"] = r.kernel.ranInNonInitialNamespace ? "true" : "false"
        values["netns_inode"] = r.kernel.namespaceInode.map(String.init) ?? ""
        values["sysctls"] = r.kernel.sysctlsApplied.map(\.description).joined(separator: ";")
        if let o = r.onset {
            values["onset_s"] = Num.f3(o.seconds)
            values["onset_attempt"] = String(o.attempt)
            values["onset_ports_in_use"] = o.portsInUse.map(String.init) ?? ""
            values["onset_signal"] = o.signal.description
            values["onset_call"] = o.call?.description ?? ""
            values["onset_later_errno"] = o.laterErrno ?? ""
            values["onset_rate_before_per_s"] = Num.f1(o.rateBefore)
            values["onset_sustained_rate_per_s"] = Num.f1(o.sustainedRate)
            values["onset_errors_per_s"] = Num.f1(o.errorsPerSecond)
            values["onset_call_mean_before_us"] = o.callMeanBeforeNs.map { Num.f1($0 / 1000) } ?? ""
            values["onset_call_mean_after_us"] = o.callMeanAfterNs.map { Num.f1($0 / 1000) } ?? ""
            values["onset_submit_mean_before_us"] = o.submitMeanBeforeNs.map { Num.f1($0 / 1000) } ?? ""
            values["onset_submit_mean_after_us"] = o.submitMeanAfterNs.map { Num.f1($0 / 1000) } ?? ""
            values["onset_odd_share_before"] = o.oddShareBefore.map { Num.f3($0) } ?? ""
            values["onset_odd_share_after"] = o.oddShareAfter.map { Num.f3($0) } ?? ""
            values["onset_evidence"] = o.evidence ?? ""
            values["onset_cost_factor"] = o.costFactorSeen.map { Num.f1($0) } ?? ""
            values["onset_odd_share_baseline"] = o.oddShareBaseline.map { Num.f3($0) } ?? ""
            values["onset_odd_share_window"] = o.oddShareWindow.map { Num.f3($0) } ?? ""
        }
        values["ended_at_onset"] = r.endedAtOnset ? "true" : "false"
        generatorValues(r, into: &values)
        let k = r.kernel
        for (column, key) in [("ip_local_port_range", "net.ipv4.ip_local_port_range"), ("tcp_tw_reuse", "net.ipv4.tcp_tw_reuse"),
                              ("tcp_tw_reuse_delay", "net.ipv4.tcp_tw_reuse_delay"), ("somaxconn", "net.core.somaxconn"),
                              ("tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog"), ("tcp_syncookies", "net.ipv4.tcp_syncookies"),
                              ("tcp_timestamps", "net.ipv4.tcp_timestamps"), ("tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
                              ("tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets")] {
            values[column] = k.tunable(key) ?? ""
        }
        for (column, name) in [("d_listen_overflows", "TcpExt.ListenOverflows"), ("d_listen_drops", "TcpExt.ListenDrops"),
                               ("d_tw_overflow", "TcpExt.TCPTimeWaitOverflow"), ("d_tw", "TcpExt.TW"),
                               ("d_tw_recycled", "TcpExt.TWRecycled"), ("d_active_opens", "Tcp.ActiveOpens"),
                               ("d_attempt_fails", "Tcp.AttemptFails"), ("d_out_rsts", "Tcp.OutRsts"),
                               ("d_syn_retrans", "TcpExt.TCPSynRetrans"), ("d_retrans_segs", "Tcp.RetransSegs")] {
            values[column] = k.counter(name).map { String($0.delta) } ?? ""
        }
        values["time_wait_end"] = k.counter("sockstat.TCP.tw").map { String($0.after) } ?? ""
        values["time_wait_client_side"] = k.timeWaitSides.map { String($0.clientSide) } ?? ""
        values["time_wait_listener_side"] = k.timeWaitSides.flatMap { $0.listenerElsewhere == true ? nil : String($0.listenerSide) } ?? ""
        if let n = r.numa {
            values["numa_nodes"] = String(n.topology.nodes.count)
            values["worker_nodes"] = Set(n.workerNodes.compactMap { $0 }).sorted().map(String.init).joined(separator: ";")
            values["target_interfaces"] = n.routes.map { "\($0.target)=\($0.interface):\($0.node.map(String.init) ?? "virtual")" }.joined(separator: ";")
        }
        values["sockstat_sample_us"] = Num.f3(r.ports.meanSampleNs / 1000)
        values["topology"] = r.topology.rawValue
        if let l = r.listenerNamespace {
            values["family"] = String(l.family)
            values["listener_netns_inode"] = l.kernel.namespaceInode.map(String.init) ?? ""
            values["listener_d_listen_overflows"] = l.kernel.counter("TcpExt.ListenOverflows").map { String($0.delta) } ?? ""
            values["listener_d_listen_drops"] = l.kernel.counter("TcpExt.ListenDrops").map { String($0.delta) } ?? ""
            values["listener_d_reqq_full_drop"] = l.kernel.counter("TcpExt.TCPReqQFullDrop").map { String($0.delta) } ?? ""
            values["listener_time_wait_listener_side"] = l.side.timeWaitListenerSide.map(String.init) ?? ""
            values["listener_sysctls"] = l.kernel.sysctlsApplied.map(\.description).joined(separator: ";")
            values["delay_ms"] = l.delayNs.map { Num.f3(Double($0) / 1e6) } ?? ""
        }
        return summaryColumns.map { values[$0] ?? "" }
    }

    static func generatorValues(_ r: RunReport, into values: inout [String: String]) {
        values["syn_retransmits"] = r.synRetransmits.map(String.init) ?? ""
        values["syn_retransmit_segments"] = r.synRetransmitDetail.map { String($0.segments) } ?? ""
        if let k = r.kernelTrace {
            for (name, s) in [("kernel_call", k.call), ("kernel_handshake", k.handshake), ("kernel_runq", k.runQueue)] {
                percentileValues(name, s, into: &values)
            }
        }
        guard let g = r.generatorTime else { return }
        values["cpu_wait_pct"] = Num.f1(g.cpuWaitShare * 100)
        values["preemptions"] = String(g.preemptions)
        percentileValues("call_running", g.callRunning, into: &values)
        percentileValues("service_running", g.serviceRunning, into: &values)
        values["running_sample_every"] = String(g.sampleEvery)
        values["stalls"] = String(g.stalls.count)
        values["stall_max_ms"] = g.longestStall.map { Num.f1($0.seconds * 1000) } ?? ""
        values["listener_shared_cpus"] = g.sharedCPUs.map(String.init).joined(separator: ";")
        values["other_load_pct"] = g.otherLoadShare.map { Num.f1($0 * 100) } ?? ""
    }

    /// `NAME_p50_us`, `NAME_p99_us`, `NAME_p999_us`; empty where there is no such row.
    static func percentileValues(_ name: String, _ s: LatencySummary?, into values: inout [String: String]) {
        for (suffix, ns) in [("p50", s?.p50), ("p99", s?.p99), ("p999", s?.p999)] {
            values["\(name)_\(suffix)_us"] = ns.map { Num.us($0) } ?? ""
        }
    }

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
