import ConnModel

/// One column of `summary.csv`: its name and how a report fills it, side by side. A
/// header name and a row value kept apart (a dictionary filled by name, read by the
/// header) let a misspelt name become a silently empty column; here there is nothing to
/// misspell.
package struct SummaryColumn: Sendable {
    package let name: String
    package let value: @Sendable (RunReport) -> String

    init(_ name: String, _ value: @escaping @Sendable (RunReport) -> String) {
        self.name = name
        self.value = value
    }
}

/// The columns in the order `summary.csv` has always had them (scripts may read by
/// position), grouped by what they describe.
extension SummaryColumn {
    static let all: [SummaryColumn] = run + schedule + firstError + strategy + onset + kernel + listenerNamespace
        + onsetSubmitCost + generatorTime + kernelTrace

    static let run: [SummaryColumn] = [
        .init("started_at") { $0.startedAtUTC },
        .init("kernel") { $0.kernelRelease },
        .init("target") { $0.setup.targetText },
        .init("resolved") { $0.resolvedNames.map(\.csvText).joined(separator: " ") },
        .init("strategy") { $0.strategy.name },
        .init("requested_rate") { $0.rate.perSecond.map { Num.f1($0) } ?? "max" },
        .init("achieved_rate") { Num.f1($0.achievedRate) },
        .init("established_per_s") { Num.f1($0.establishedPerSecond) },
        .init("scheduled") { $0.scheduled.map(String.init) ?? "" },
        .init("not_started") { $0.notStarted.map(String.init) ?? "" },
        .init("attempts") { String($0.tally.attempts) },
        .init("established") { String($0.tally.established) },
        .init("failed") { String($0.tally.failed) },
        .init("timed_out") { String($0.tally.timedOut) },
        .init("in_flight") { String($0.tally.inFlight) },
        .init("duration_s") { Num.f3($0.measuredSeconds) },
        .init("interrupted") { flag($0.interrupted) },
        .init("workers") { String($0.setup.workers) },
        .init("concurrency") { String($0.setup.concurrency) },
        .init("close") { $0.setup.config.close.rawValue },
        .init("p50_us") { Num.us($0.latency.p50) },
        .init("p90_us") { Num.us($0.latency.p90) },
        .init("p99_us") { Num.us($0.latency.p99) },
        .init("p999_us") { Num.us($0.latency.p999) },
        .init("p9999_us") { Num.us($0.latency.p9999) },
        .init("max_us") { Num.us($0.latency.max) },
        .init("service_p50_us") { Num.us($0.service.p50) },
        .init("service_p99_us") { Num.us($0.service.p99) },
        // io_uring has no connect() call to time: the columns stay empty, never filled
        // with a figure of another meaning.
        .init("connect_call_p50_us") { callFigure($0) { $0.p50 } },
        .init("connect_call_p99_us") { callFigure($0) { $0.p99 } },
        .init("connect_call_max_us") { callFigure($0) { $0.max } },
    ]

    static let schedule: [SummaryColumn] = [
        .init("late_starts") { String($0.lateStarts) },
        .init("start_lag_p50_us") { Num.us($0.startLag.p50) },
        .init("start_lag_p99_us") { Num.us($0.startLag.p99) },
        .init("last_start_s") { Num.f3($0.lastStartSeconds) },
        .init("cap_stall_s") { Num.f3($0.capStallSeconds) },
        .init("gap_p50_us") { Num.us($0.observationGap.p50) },
        .init("gap_p99_us") { Num.us($0.observationGap.p99) },
        .init("gap_max_us") { Num.us($0.observationGap.max) },
        .init("settled_at_once") { String($0.settledAtOnce) },
        .init("spin_pct") { Num.f1($0.spinShare * 100) },
        .init("deadline_found_established") { String($0.timeoutsFoundEstablished) },
        .init("deadline_found_failed") { String($0.timeoutsFoundFailed) },
        .init("uring_link_timeouts") { $0.uringTimers.map { String($0.linked) } ?? "" },
        .init("uring_deferred_timeouts") { $0.uringTimers.map { String($0.deferred) } ?? "" },
        .init("uring_timers_armed") { $0.uringTimers.map { String($0.armed) } ?? "" },
    ]

    static let firstError: [SummaryColumn] = [
        .init("first_error") { $0.firstError?.name ?? "" },
        .init("first_error_call") { $0.firstError.map { $0.site.description } ?? "" },
        .init("first_error_s") { $0.firstError.map { Num.f3($0.firstSeconds) } ?? "" },
        .init("first_error_attempt") { $0.firstError.map { String($0.firstAttempt) } ?? "" },
        .init("self_connects") { String($0.selfConnects) },
        .init("listener_accepted") { $0.listener.map { String($0.accepted) } ?? "" },
        .init("cpu_busy_pct") { $0.cpuBusy.map { Num.f1($0 * 100) } ?? "" },
        .init("verdict_held") { $0.verdict.held.map(flag) ?? "" },
        .init("shortfall_pct") { Num.f1($0.verdict.shortfallPercent) },
    ]

    /// Socket strategy and isolation.
    static let strategy: [SummaryColumn] = [
        .init("bind") { $0.strategy.sources.count == 1 ? $0.strategy.sources[0].host : "" },
        .init("reuseaddr") { flag($0.strategy.reuseAddress) },
        .init("bind_no_port") { flag($0.strategy.bindAddressNoPort) },
        .init("port_range") { $0.strategy.portRange.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "" },
        .init("sources") { r in
            let s = r.strategy.sources
            guard s.count > 1, let first = s.first, let last = s.last else { return "" }
            return "\(first.host)-\(last.host)"
        },
        .init("netns") { flag($0.kernel.ranInNonInitialNamespace) },
        .init("netns_inode") { $0.kernel.namespaceInode.map(String.init) ?? "" },
        .init("sysctls") { $0.kernel.sysctlsApplied.map(\.description).joined(separator: ";") },
        .init("engine") { $0.setup.config.engine.rawValue },
    ]

    /// The exhaustion onset; empty when there was none.
    static let onset: [SummaryColumn] = [
        onset("onset_s") { Num.f3($0.seconds) },
        onset("onset_attempt") { String($0.attempt) },
        onset("onset_ports_in_use") { $0.portsInUse.map(String.init) ?? "" },
        onset("onset_signal") { $0.signal.description },
        onset("onset_call") { $0.call?.description ?? "" },
        onset("onset_later_errno") { $0.laterErrno ?? "" },
        onset("onset_rate_before_per_s") { Num.f1($0.rateBefore) },
        onset("onset_sustained_rate_per_s") { Num.f1($0.sustainedRate) },
        onset("onset_errors_per_s") { Num.f1($0.errorsPerSecond) },
        onset("onset_call_mean_before_us") { $0.callMeanBeforeNs.map { Num.f1($0 / 1000) } ?? "" },
        onset("onset_call_mean_after_us") { $0.callMeanAfterNs.map { Num.f1($0 / 1000) } ?? "" },
        onset("onset_odd_share_before") { $0.oddShareBefore.map { Num.f3($0) } ?? "" },
        onset("onset_odd_share_after") { $0.oddShareAfter.map { Num.f3($0) } ?? "" },
        onset("onset_evidence") { $0.evidence ?? "" },
        onset("onset_cost_factor") { $0.costFactorSeen.map { Num.f1($0) } ?? "" },
        onset("onset_odd_share_baseline") { $0.oddShareBaseline.map { Num.f3($0) } ?? "" },
        onset("onset_odd_share_window") { $0.oddShareWindow.map { Num.f3($0) } ?? "" },
        .init("ended_at_onset") { flag($0.endedAtOnset) },
    ]

    /// Kernel context: tunables read at the start, counters over the run, TIME_WAIT, NUMA.
    static let kernel: [SummaryColumn] = [
        tunable("ip_local_port_range", "net.ipv4.ip_local_port_range"),
        tunable("tcp_tw_reuse", "net.ipv4.tcp_tw_reuse"),
        tunable("tcp_tw_reuse_delay", "net.ipv4.tcp_tw_reuse_delay"),
        tunable("somaxconn", "net.core.somaxconn"),
        tunable("tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog"),
        tunable("tcp_syncookies", "net.ipv4.tcp_syncookies"),
        tunable("tcp_timestamps", "net.ipv4.tcp_timestamps"),
        tunable("tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"),
        tunable("tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets"),
        delta("d_listen_overflows", .listenOverflows),
        delta("d_listen_drops", .listenDrops),
        delta("d_tw_overflow", .timeWaitOverflow),
        delta("d_tw", .timeWaitEnded),
        delta("d_tw_recycled", .timeWaitRecycled),
        delta("d_active_opens", .activeOpens),
        delta("d_attempt_fails", .attemptFails),
        delta("d_out_rsts", .resetsSent),
        .init("time_wait_end") { $0.kernel.counter(.tcpTimeWait).map { String($0.after) } ?? "" },
        .init("numa_nodes") { $0.numa.map { String($0.topology.nodes.count) } ?? "" },
        .init("worker_nodes") { $0.numa.map { Set($0.workerNodes.compactMap { $0 }).sorted().map(String.init).joined(separator: ";") } ?? "" },
        .init("target_interfaces") { r in
            r.numa.map { $0.routes.map { "\($0.target)=\($0.interface):\($0.node.map(String.init) ?? "virtual")" }.joined(separator: ";") } ?? ""
        },
        .init("time_wait_client_side") { $0.kernel.timeWaitSides.map { String($0.clientSide) } ?? "" },
        .init("time_wait_listener_side") { r in
            r.kernel.timeWaitSides.flatMap { $0.listenerElsewhere == true ? nil : String($0.listenerSide) } ?? ""
        },
        .init("sockstat_sample_us") { Num.f3($0.ports.meanSampleNs / 1000) },
    ]

    /// Topology and the listener's namespace (veth); empty without one.
    static let listenerNamespace: [SummaryColumn] = [
        .init("topology") { $0.topology.rawValue },
        listener("family") { String($0.family) },
        listener("listener_netns_inode") { $0.kernel.namespaceInode.map(String.init) ?? "" },
        listener("listener_d_listen_overflows") { $0.kernel.counter(.listenOverflows).map { String($0.delta) } ?? "" },
        listener("listener_d_listen_drops") { $0.kernel.counter(.listenDrops).map { String($0.delta) } ?? "" },
        listener("listener_d_reqq_full_drop") { $0.kernel.counter(.requestQueueFullDrop).map { String($0.delta) } ?? "" },
        listener("listener_time_wait_listener_side") { $0.side.timeWaitListenerSide.map(String.init) ?? "" },
        listener("listener_sysctls") { $0.kernel.sysctlsApplied.map(\.description).joined(separator: ";") },
        listener("delay_ms") { $0.delayNs.map { Num.f3(Double($0) / 1e6) } ?? "" },
    ]

    /// io_uring's onset cost: submission CPU time per chain (no connect() call there).
    static let onsetSubmitCost: [SummaryColumn] = [
        onset("onset_submit_mean_before_us") { $0.submitMeanBeforeNs.map { Num.f1($0 / 1000) } ?? "" },
        onset("onset_submit_mean_after_us") { $0.submitMeanAfterNs.map { Num.f1($0 / 1000) } ?? "" },
    ]

    /// Where the generator's time went, and the connect() calls less that wait.
    static let generatorTime: [SummaryColumn] = [
        generator("cpu_wait_pct") { Num.f1($0.cpuWaitShare * 100) },
        generator("preemptions") { String($0.preemptions) },
    ] + percentiles("call_running") { $0.generatorTime?.callRunning }
        + percentiles("service_running") { $0.generatorTime?.serviceRunning } + [
        generator("running_sample_every") { String($0.sampleEvery) },
        generator("stalls") { String($0.stalls.count) },
        generator("stall_max_ms") { $0.longestStall.map { Num.f1($0.seconds * 1000) } ?? "" },
        generator("listener_shared_cpus") { $0.sharedCPUs.map(String.init).joined(separator: ";") },
        generator("other_load_pct") { $0.otherLoadShare.map { Num.f1($0 * 100) } ?? "" },
        .init("syn_retransmits") { $0.synRetransmits.map(String.init) ?? "" },
        .init("syn_retransmit_segments") { $0.synRetransmitDetail.map { String($0.segments) } ?? "" },
        delta("d_syn_retrans", .synRetransmits),
        delta("d_retrans_segs", .retransmittedSegments),
    ]

    /// --trace-kernel: the kernel's own clock (bpftrace).
    static let kernelTrace: [SummaryColumn] = percentiles("kernel_call") { $0.kernelTrace?.call }
        + percentiles("kernel_handshake") { $0.kernelTrace?.handshake }
        + percentiles("kernel_runq") { $0.kernelTrace?.runQueue }
}

extension SummaryColumn {
    static func flag(_ b: Bool) -> String { b ? "true" : "false" }

    static func callFigure(_ r: RunReport, _ pick: (LatencySummary) -> UInt64) -> String {
        r.setup.config.engine == .ioUring ? "" : Num.us(pick(r.connectCall))
    }

    static func onset(_ name: String, _ f: @escaping @Sendable (Onset) -> String) -> SummaryColumn {
        .init(name) { $0.onset.map(f) ?? "" }
    }

    static func tunable(_ name: String, _ key: String) -> SummaryColumn {
        .init(name) { $0.kernel.tunable(key) ?? "" }
    }

    static func delta(_ name: String, _ counter: KernelCounter) -> SummaryColumn {
        .init(name) { $0.kernel.counter(counter).map { String($0.delta) } ?? "" }
    }

    static func listener(_ name: String, _ f: @escaping @Sendable (ListenerNamespaceReport) -> String) -> SummaryColumn {
        .init(name) { $0.listenerNamespace.map(f) ?? "" }
    }

    static func generator(_ name: String, _ f: @escaping @Sendable (GeneratorTime) -> String) -> SummaryColumn {
        .init(name) { $0.generatorTime.map(f) ?? "" }
    }

    /// `NAME_p50_us`, `NAME_p99_us`, `NAME_p999_us`; empty where there is no such row.
    static func percentiles(_ name: String, _ pick: @escaping @Sendable (RunReport) -> LatencySummary?) -> [SummaryColumn] {
        let figures: [(String, @Sendable (LatencySummary) -> UInt64)] = [("p50", { $0.p50 }), ("p99", { $0.p99 }), ("p999", { $0.p999 })]
        return figures.map { suffix, figure in
            .init("\(name)_\(suffix)_us") { pick($0).map { Num.us(figure($0)) } ?? "" }
        }
    }
}
