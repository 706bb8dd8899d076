import ConnSys

/// One measured run of a compare, reduced to what the comparison reads: the headline
/// figures, how attempts ended, the errors and onset, and what else the machine did
/// while it ran. The full report is not kept: a compare of many trials would hold every
/// histogram for nothing.
///
/// Its stored properties are the figures of one trial, as a `kind=trial` row of compare.csv shows
/// them: a flat row, so a new figure is a new column.
package struct CompareTrial: Sendable, Codable, Equatable {
    /// Index into the plan's settings, and the 0-based measured round.
    package var setting: Int
    package var round: Int
    package var measuredSeconds: Double
    package var tally: Tally
    package var establishedPerSecond: Double
    package var attemptsPerSecond: Double
    /// Corrected latency (from each attempt's intended start), ns.
    package var p50Ns: UInt64
    package var p90Ns: UInt64
    package var p99Ns: UInt64
    package var p999Ns: UInt64
    /// connect() call to established, ns.
    package var serviceP50Ns: UInt64
    package var serviceP99Ns: UInt64
    /// The connect() call alone, ns.
    package var callP50Ns: UInt64
    package var callP99Ns: UInt64
    /// Failures by errno and connbench's own timeouts, each under its own key.
    package var errors: FailureCounts
    /// The first exhaustion signal and its time since the run's start, when there was one.
    package var onsetSignal: OnsetSignal?
    package var onsetSeconds: Double?
    /// TIME_WAIT sockets the kernel reused for a new connect (TcpExt.TWRecycled).
    package var timeWaitReused: Int64?
    /// Busy share of the run's CPUs (the run's own report).
    package var cpuBusy: Double?
    /// Shares of all the machine's CPU time during the trial: stolen by the hypervisor,
    /// and taken by tasks other than this process (a lower bound).
    package var stealShare: Double?
    package var otherShare: Double?
    /// The namespace's tunables as read at the run's start (proves the sysctl took).
    package var tunables: [RunReport.Setting]

    package init(setting: Int, round: Int, report r: RunReport, stealShare: Double?, otherShare: Double?) {
        self.setting = setting
        self.round = round
        measuredSeconds = r.measuredSeconds
        tally = r.tally
        establishedPerSecond = r.establishedPerSecond
        attemptsPerSecond = r.achievedRate
        p50Ns = r.latency.p50; p90Ns = r.latency.p90; p99Ns = r.latency.p99; p999Ns = r.latency.p999
        serviceP50Ns = r.service.p50; serviceP99Ns = r.service.p99
        callP50Ns = r.connectCall.p50; callP99Ns = r.connectCall.p99
        var errors: FailureCounts = [:]
        for e in r.errors { errors[FailureKey(e), default: 0] += e.count }
        self.errors = errors
        onsetSignal = r.onset?.signal
        onsetSeconds = r.onset?.seconds
        timeWaitReused = r.kernel.counter(.timeWaitRecycled)?.delta
        cpuBusy = r.cpuBusy
        self.stealShare = stealShare
        self.otherShare = otherShare
        tunables = r.kernel.tunables
    }

    /// A trial with every figure zero, to be filled in by hand (tests, tools).
    package init(setting: Int, round: Int) {
        self.setting = setting
        self.round = round
        measuredSeconds = 0
        tally = Tally()
        establishedPerSecond = 0; attemptsPerSecond = 0
        p50Ns = 0; p90Ns = 0; p99Ns = 0; p999Ns = 0; serviceP50Ns = 0; serviceP99Ns = 0; callP50Ns = 0; callP99Ns = 0
        errors = [:]
        tunables = []
    }

    /// Failed attempts of any kind, timeouts included.
    package var errorCount: UInt64 { tally.failed + tally.timedOut }
}

/// The figure a compare ranks settings by (`--by`), and which direction is better.
package enum CompareFigure: String, Sendable, Codable, CaseIterable {
    case establishedPerSecond = "established_per_s"
    case attemptsPerSecond = "attempts_per_s"
    case p50 = "p50_us"
    case p90 = "p90_us"
    case p99 = "p99_us"
    case p999 = "p999_us"
    case serviceP50 = "service_p50_us"
    case serviceP99 = "service_p99_us"
    case callP50 = "call_p50_us"
    case callP99 = "call_p99_us"

    /// Rates: more is better. Latencies: less is.
    package var higherIsBetter: Bool {
        switch self {
        case .establishedPerSecond, .attemptsPerSecond: true
        default: false
        }
    }

    package var unit: String { higherIsBetter ? "/s" : "µs" }

    /// The figure of one trial, in its unit (per second, or µs).
    package func value(_ t: CompareTrial) -> Double {
        let us = { (ns: UInt64) in Double(ns) / 1000 }
        switch self {
        case .establishedPerSecond: return t.establishedPerSecond
        case .attemptsPerSecond: return t.attemptsPerSecond
        case .p50: return us(t.p50Ns)
        case .p90: return us(t.p90Ns)
        case .p99: return us(t.p99Ns)
        case .p999: return us(t.p999Ns)
        case .serviceP50: return us(t.serviceP50Ns)
        case .serviceP99: return us(t.serviceP99Ns)
        case .callP50: return us(t.callP50Ns)
        case .callP99: return us(t.callP99Ns)
        }
    }
}
