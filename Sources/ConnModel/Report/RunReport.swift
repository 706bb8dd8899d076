import ConnSys
import Histogram

/// Everything a run measured, as a value: reporters are pure functions of it, and
/// reports from several runs (or hosts) can be merged or compared without re-running.
///
/// One stored property per figure a run saves: report.json is this type encoded and
/// docs/report.schema.json names its fields, so grouping them would move every key of every saved
/// report; how each merges is in `RunMerge.reportRules`.
public struct RunReport: Sendable, Codable {
    /// The configuration and what it resolved to; every setting is read from here.
    package var setup: RunSetup
    package var startedAtUTC: String
    /// Seconds of the measured window that actually ran (shorter when interrupted).
    package var measuredSeconds: Double
    package var interrupted: Bool
    /// Open loop: attempts the schedule had due in the measured window.
    package var scheduled: UInt64?
    /// Open loop: of those, attempts never started because the generator was behind;
    /// `scheduled == attempts + notStarted`. An attempt is never started past the end.
    package var notStarted: UInt64?
    /// Seconds since the run's start of the last attempt started (≤ warm-up + duration).
    package var lastStartSeconds: Double = 0
    /// Time from one epoll poll's return to the next poll, all workers: how long a
    /// completed connect could wait unseen. Latencies below it are the generator's.
    package var observationGap: LatencySummary
    /// Attempts (warm-up included) whose end the poll right after connect() saw: for
    /// these the observation gap does not apply.
    package var settledAtOnce: UInt64 = 0
    /// io_uring: how the connects' deadlines were armed (nil on epoll, and in reports
    /// written before it was recorded).
    package var uringTimers: UringTimerCounts?
    /// Share of the workers' wall time spent spinning instead of sleeping (`--spin`).
    package var spinShare: Double = 0
    /// Connects whose deadline passed but whose socket the check found connected (counted
    /// established) or failed (counted by errno) — not timeouts.
    package var timeoutsFoundEstablished: UInt64 = 0
    package var timeoutsFoundFailed: UInt64 = 0
    /// NUMA nodes, the workers' nodes, and the nodes of remote targets' interfaces.
    package var numa: NumaPlacement?
    /// Plain-language warnings about the figures themselves (e.g. the observation gap).
    package var warnings: [String] = []
    public var tally: Tally
    package var warmup: Tally
    /// From each attempt's intended start (coordinated-omission corrected).
    package var latency: LatencySummary
    /// From the connect() call to established (what a closed-loop tool would report).
    package var service: LatencySummary
    /// The connect() call alone: where port selection happens.
    package var connectCall: LatencySummary
    /// How long after its intended time each attempt started (open loop).
    package var startLag: LatencySummary
    package var lateStarts: UInt64
    /// How often, and for how long in all, attempts were due while every slot was busy.
    package var capStalls: UInt64
    package var capStallSeconds: Double
    public var errors: [ErrorRow]
    package var intervals: [IntervalRow]
    package var workers: [WorkerInfo]
    package var listener: ListenerInfo?
    package var openFilesLimit: UInt64
    /// Busy share (0…1) of the CPUs the run used (workers and built-in listener), from
    /// /proc/stat over the run: user, system and softirq time of every thread on them.
    package var cpuBusy: Double?
    package var selfConnects: UInt64
    /// Kernel release, tunables and counter deltas of the namespace the run ran in (the
    /// generator's, in a veth lab).
    package var kernel: KernelContext
    /// The listener's namespace of a veth run: its tunables, counters and side report.
    package var listenerNamespace: ListenerNamespaceReport? = nil
    /// sockstat samples over the run: ports in use and TIME_WAIT.
    package var ports: PortSamples
    /// When and why the run began to run out of connects; nil when it did not.
    package var onset: Onset?
    /// The run ended at onset (`--until-exhausted`), not at its duration.
    package var endedAtOnset: Bool
    /// What the run's tunables and strategy predict for its ports, to set beside `onset`.
    package var portBudget: PortBudget? = nil
    /// Set for a run of `connbench exhaust`: the row of the matrix it was.
    package var matrixCase: ExhaustMatrix.Case?
    package var notes: [String]
    package var verdict: Verdict
    package var histograms: Histograms
    /// The measured window's histograms per interval (`latency.hlog`); nil in reports made
    /// before them.
    package var intervalHistograms: IntervalHistograms? = nil
    /// Where the generator's own time went (CPU wait, preemptions, stalls, the sampled
    /// connect() calls less that wait); nil where the kernel keeps no thread schedstat.
    package var generatorTime: GeneratorTime? = nil
    /// Measured connects that needed a SYN retransmit, however they ended, read from
    /// TCP_INFO (``SynRetransmits/connects``); nil on io_uring, whose sockets are closed
    /// inside their chains.
    package var synRetransmits: UInt64? = nil
    /// The same by ending, and the SYN segments retransmitted in all; nil on io_uring and
    /// in reports made before it was kept.
    package var synRetransmitDetail: SynRetransmits? = nil
    /// `--trace-kernel`: the kernel's own view of the workers' connects (bpftrace).
    package var kernelTrace: KernelTraceFigures? = nil

    /// The built-in listener ran in the generator's own namespace (not a veth lab's, not
    /// a `--target`): the namespace's counters then hold its side too, such as the SYN-ACKs
    /// it retransmitted in `TcpExt.TCPSynRetrans`.
    package var listenerSharesNamespace: Bool { listener != nil && listenerNamespace == nil }

    package struct Setting: Sendable, Codable, Equatable {
        package var key: String
        package var value: String
        package init(_ key: String, _ value: String) { self.key = key; self.value = value }
    }

    package struct Histograms: Sendable, Codable {
        package var latency: Histogram<UInt64>
        package var service: Histogram<UInt64>
        package var connectCall: Histogram<UInt64>
        /// The sampled connect() calls and service times less the workers' CPU wait.
        package var callRunning: Histogram<UInt64>? = nil
        package var serviceRunning: Histogram<UInt64>? = nil

        package init(latency: Histogram<UInt64>, service: Histogram<UInt64>, connectCall: Histogram<UInt64>, callRunning: Histogram<UInt64>? = nil, serviceRunning: Histogram<UInt64>? = nil) {
            self.latency = latency
            self.service = service
            self.connectCall = connectCall
            self.callRunning = callRunning
            self.serviceRunning = serviceRunning
        }
    }

    /// For a merged report (`connbench merge`): the tags of the runs it adds up, in the
    /// order given; empty for a run.
    package var mergedFrom: [String] = []
    /// Which run this is (nil in reports saved before runs had one).
    package var identity: RunIdentity? = nil

    /// The resolved configuration, in the order reports print it (`key=value`): derived
    /// from ``setup``, for printing only.
    package var settings: [Setting] { setup.keyValues }
    /// Each `--target` host name and every address it resolved to, before the run.
    package var resolvedNames: [ResolvedName] { setup.config.resolvedNames }
    package var kernelRelease: String { kernel.release }
    package var rate: Rate { setup.config.rate }
    package var strategy: SocketStrategy { setup.config.strategy }
    package var plannedSeconds: Double { Double(setup.config.durationNs) / 1e9 }
    package var lateThresholdNs: UInt64 { setup.config.lateThresholdNs }
    package var topology: Topology { setup.config.topology }

    /// Attempts started per second of measured time.
    package var achievedRate: Double { measuredSeconds > 0 ? Double(tally.attempts) / measuredSeconds : 0 }
    package var establishedPerSecond: Double { measuredSeconds > 0 ? Double(tally.established) / measuredSeconds : 0 }

    /// The earliest error of the measured window, if any.
    package var firstError: ErrorRow? {
        errors.min { ($0.firstSeconds, $0.firstAttempt) < ($1.firstSeconds, $1.firstAttempt) }
    }

    package init(setup: RunSetup, startedAtUTC: String, measuredSeconds: Double, interrupted: Bool, scheduled: UInt64? = nil, notStarted: UInt64? = nil, lastStartSeconds: Double = 0, observationGap: LatencySummary, settledAtOnce: UInt64 = 0, uringTimers: UringTimerCounts? = nil, spinShare: Double = 0, timeoutsFoundEstablished: UInt64 = 0, timeoutsFoundFailed: UInt64 = 0, numa: NumaPlacement? = nil, warnings: [String] = [], tally: Tally, warmup: Tally, latency: LatencySummary, service: LatencySummary, connectCall: LatencySummary, startLag: LatencySummary, lateStarts: UInt64, capStalls: UInt64, capStallSeconds: Double, errors: [ErrorRow], intervals: [IntervalRow], workers: [WorkerInfo], listener: ListenerInfo? = nil, openFilesLimit: UInt64, cpuBusy: Double? = nil, selfConnects: UInt64, kernel: KernelContext, listenerNamespace: ListenerNamespaceReport? = nil, ports: PortSamples, onset: Onset? = nil, endedAtOnset: Bool, portBudget: PortBudget? = nil, matrixCase: ExhaustMatrix.Case? = nil, notes: [String], verdict: Verdict, histograms: Histograms, intervalHistograms: IntervalHistograms? = nil, generatorTime: GeneratorTime? = nil, synRetransmits: UInt64? = nil, synRetransmitDetail: SynRetransmits? = nil, kernelTrace: KernelTraceFigures? = nil, mergedFrom: [String] = []) {
        self.setup = setup
        self.startedAtUTC = startedAtUTC
        self.measuredSeconds = measuredSeconds
        self.interrupted = interrupted
        self.scheduled = scheduled
        self.notStarted = notStarted
        self.lastStartSeconds = lastStartSeconds
        self.observationGap = observationGap
        self.settledAtOnce = settledAtOnce
        self.uringTimers = uringTimers
        self.spinShare = spinShare
        self.timeoutsFoundEstablished = timeoutsFoundEstablished
        self.timeoutsFoundFailed = timeoutsFoundFailed
        self.numa = numa
        self.warnings = warnings
        self.tally = tally
        self.warmup = warmup
        self.latency = latency
        self.service = service
        self.connectCall = connectCall
        self.startLag = startLag
        self.lateStarts = lateStarts
        self.capStalls = capStalls
        self.capStallSeconds = capStallSeconds
        self.errors = errors
        self.intervals = intervals
        self.workers = workers
        self.listener = listener
        self.openFilesLimit = openFilesLimit
        self.cpuBusy = cpuBusy
        self.selfConnects = selfConnects
        self.kernel = kernel
        self.listenerNamespace = listenerNamespace
        self.ports = ports
        self.onset = onset
        self.endedAtOnset = endedAtOnset
        self.portBudget = portBudget
        self.matrixCase = matrixCase
        self.notes = notes
        self.verdict = verdict
        self.histograms = histograms
        self.intervalHistograms = intervalHistograms
        self.generatorTime = generatorTime
        self.synRetransmits = synRetransmits
        self.synRetransmitDetail = synRetransmitDetail
        self.kernelTrace = kernelTrace
        self.mergedFrom = mergedFrom
    }
}

/// Percentiles in nanoseconds; `count` says how many values stand behind them.
package struct LatencySummary: Sendable, Codable, Equatable {
    package var count: UInt64
    package var p50: UInt64
    package var p90: UInt64
    package var p99: UInt64
    package var p999: UInt64
    package var p9999: UInt64
    package var max: UInt64
    package var mean: Double

    package init<C>(_ h: Histogram<C>, unitNs: UInt64 = 1) {
        count = h.totalCount
        p50 = h.valueAtPercentile(50) * unitNs
        p90 = h.valueAtPercentile(90) * unitNs
        p99 = h.valueAtPercentile(99) * unitNs
        p999 = h.valueAtPercentile(99.9) * unitNs
        p9999 = h.valueAtPercentile(99.99) * unitNs
        max = (h.totalCount == 0 ? 0 : h.max) * unitNs
        mean = h.totalCount == 0 ? 0 : h.mean * Double(unitNs)
    }
}

public struct ErrorRow: Sendable, Codable, Equatable {
    package var errno: Int32
    public var name: String
    package var site: SyscallSite
    package var count: UInt64
    /// Seconds since the run started (warm-up included).
    package var firstSeconds: Double
    /// 1-based attempt number, run-wide, of the first occurrence: the worker's own count,
    /// exact, and the other workers' attempts from millisecond progress marks, so it is
    /// exact to within one millisecond's attempts.
    package var firstAttempt: UInt64

    package init(errno: Int32, name: String, site: SyscallSite, count: UInt64, firstSeconds: Double, firstAttempt: UInt64) {
        self.errno = errno
        self.name = name
        self.site = site
        self.count = count
        self.firstSeconds = firstSeconds
        self.firstAttempt = firstAttempt
    }
}

/// One row of the time series: its stored properties are the columns of timeseries.csv and of
/// report.json's `intervals`, one each; how each merges is in `RunMerge.intervalRules`.
package struct IntervalRow: Sendable, Codable, Equatable {
    package var index: Int
    package var startSeconds: Double
    package var seconds: Double
    package var warmup: Bool
    package var started: UInt64
    package var established: UInt64
    package var failed: UInt64
    package var timedOut: UInt64
    /// Corrected latency of the connects established in this interval, in ns.
    package var p50: UInt64
    package var p90: UInt64
    package var p99: UInt64
    package var max: UInt64
    package var connectCallP50: UInt64
    package var connectCallP99: UInt64
    /// sockstat at the interval's end: ports held beyond the baseline, TIME_WAIT sockets.
    package var portsInUse: Int64?
    package var timeWait: Int64?
    /// Parity of the source ports connect() was given.
    package var evenPorts: UInt64
    package var oddPorts: UInt64
    /// Failures by errno (all calls) and connbench's own timeouts, each under its own key.
    package var errors: FailureCounts
    /// The workers' CPU wait over their time in the interval (%), and their preemptions.
    package var cpuWaitPct: Double? = nil
    package var preemptions: UInt64? = nil
    /// Connects that needed a SYN retransmit, counted in the interval they ended in (nil
    /// on io_uring).
    package var synRetransmits: UInt64? = nil

    package init(index: Int, startSeconds: Double, seconds: Double, warmup: Bool, started: UInt64, established: UInt64, failed: UInt64, timedOut: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, max: UInt64, connectCallP50: UInt64, connectCallP99: UInt64, portsInUse: Int64? = nil, timeWait: Int64? = nil, evenPorts: UInt64, oddPorts: UInt64, errors: FailureCounts, cpuWaitPct: Double? = nil, preemptions: UInt64? = nil, synRetransmits: UInt64? = nil) {
        self.index = index
        self.startSeconds = startSeconds
        self.seconds = seconds
        self.warmup = warmup
        self.started = started
        self.established = established
        self.failed = failed
        self.timedOut = timedOut
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
        self.connectCallP50 = connectCallP50
        self.connectCallP99 = connectCallP99
        self.portsInUse = portsInUse
        self.timeWait = timeWait
        self.evenPorts = evenPorts
        self.oddPorts = oddPorts
        self.errors = errors
        self.cpuWaitPct = cpuWaitPct
        self.preemptions = preemptions
        self.synRetransmits = synRetransmits
    }
}

package struct WorkerInfo: Sendable, Codable, Equatable {
    package var id: Int
    package var cpu: Int?
    package var pinning: String
    /// CPU time over wall time of the worker thread: near 1.0 means the generator is
    /// the bottleneck.
    package var cpuUtilization: Double
    package var attempts: UInt64
    /// This worker's observation gap, ns.
    package var gapP50Ns: UInt64 = 0
    package var gapP99Ns: UInt64 = 0
    package var gapMaxNs: UInt64 = 0
    package var spinShare: Double = 0
    /// The worker's CPU wait over its wall time (0…1), and its preemptions.
    package var cpuWaitShare: Double? = nil
    package var preemptions: UInt64? = nil

    package init(id: Int, cpu: Int? = nil, pinning: String, cpuUtilization: Double, attempts: UInt64, gapP50Ns: UInt64 = 0, gapP99Ns: UInt64 = 0, gapMaxNs: UInt64 = 0, spinShare: Double = 0, cpuWaitShare: Double? = nil, preemptions: UInt64? = nil) {
        self.id = id
        self.cpu = cpu
        self.pinning = pinning
        self.cpuUtilization = cpuUtilization
        self.attempts = attempts
        self.gapP50Ns = gapP50Ns
        self.gapP99Ns = gapP99Ns
        self.gapMaxNs = gapMaxNs
        self.spinShare = spinShare
        self.cpuWaitShare = cpuWaitShare
        self.preemptions = preemptions
    }
}

package struct ListenerInfo: Sendable, Codable, Equatable {
    package var address: String
    package var threads: Int
    package var backlog: Int32
    package var accepted: UInt64
    package var close: ListenerClose
    /// Nil in reports made before listener modes (their `close` says it all).
    package var mode: ListenerMode? = nil
    package var heldPeak: Int? = nil

    package init(address: String, threads: Int, backlog: Int32, accepted: UInt64, close: ListenerClose, mode: ListenerMode? = nil, heldPeak: Int? = nil) {
        self.address = address
        self.threads = threads
        self.backlog = backlog
        self.accepted = accepted
        self.close = close
        self.mode = mode
        self.heldPeak = heldPeak
    }
}

package struct Verdict: Sendable, Codable, Equatable {
    /// nil in closed loop, where there is no requested rate to hold.
    package var held: Bool?
    package var shortfallPercent: Double
    /// The cause as the verdict line words it.
    package var cause: String?
    /// The cause as a type; nil in reports saved before it had one.
    package var causeKind: VerdictCause?
    /// The whole line, beginning `verdict:`.
    package var line: String
    /// The system completed slowly (timeouts, p99 > 100× p50), with its likely cause.
    package var tail: String?
    /// Errors other than timeouts.
    package var failures: String?

    package init(held: Bool?, shortfallPercent: Double, cause: String?, causeKind: VerdictCause? = nil, line: String,
                 tail: String? = nil, failures: String? = nil) {
        self.causeKind = causeKind
        self.held = held
        self.shortfallPercent = shortfallPercent
        self.cause = cause
        self.line = line
        self.tail = tail
        self.failures = failures
    }
}

/// The exhaustion onset: the first sign that the host is running out of connects.
package struct Onset: Sendable, Codable, Equatable {
    /// The errno (EADDRNOTAVAIL, EADDRINUSE, EWOULDBLOCK) or the non-errno signal that
    /// fired first.
    package var signal: OnsetSignal
    /// The call that returned the errno; nil for a non-errno signal.
    package var call: SyscallSite?
    /// Seconds since the run started.
    package var seconds: Double
    /// Run-wide 1-based attempt number at onset.
    package var attempt: UInt64
    /// TCP sockets holding a port at onset (sockstat, TIME_WAIT + in use, beyond baseline).
    package var portsInUse: Int64?
    /// The first exhaustion errno, when a non-errno signal came before it.
    package var laterErrno: String?
    package var laterErrnoSeconds: Double?
    /// connect() call mean before onset (the detector's baseline) and after it.
    package var callMeanBeforeNs: Double?
    package var callMeanAfterNs: Double?
    /// io_uring instead: io_uring_enter's submission time per chain before and after
    /// (socket, options, bind and connect run inline in it; the connect() call fields
    /// stay empty, there is no call).
    package var submitMeanBeforeNs: Double?
    package var submitMeanAfterNs: Double?
    /// Established per second before onset and after it (the sustained rate).
    package var rateBefore: Double
    package var sustainedRate: Double
    /// Failed attempts (any errno, timeouts included) per second after onset.
    package var errorsPerSecond: Double
    /// Share of odd source ports before and after onset: connect() prefers even ports,
    /// so odd ports appearing means the even half is gone.
    package var oddShareBefore: Double?
    package var oddShareAfter: Double?
    /// Why this was called an onset, in one line a reader can check: for a non-errno
    /// signal the rate, connect() cost and odd-port share over the bad windows against the
    /// detector's baseline — a slow connect() alone can be CPU contention.
    package var evidence: String?
    /// For a non-errno signal: connect() mean over the bad windows ÷ the baseline's.
    package var costFactorSeen: Double?
    /// For a non-errno signal: odd share in the detector's baseline and over the bad
    /// windows; nil where too few ports were sampled to trust a share.
    package var oddShareBaseline: Double?
    package var oddShareWindow: Double?

    package init(signal: OnsetSignal, call: SyscallSite? = nil, seconds: Double, attempt: UInt64, portsInUse: Int64? = nil, laterErrno: String? = nil, laterErrnoSeconds: Double? = nil, callMeanBeforeNs: Double? = nil, callMeanAfterNs: Double? = nil, submitMeanBeforeNs: Double? = nil, submitMeanAfterNs: Double? = nil, rateBefore: Double, sustainedRate: Double, errorsPerSecond: Double, oddShareBefore: Double? = nil, oddShareAfter: Double? = nil, evidence: String? = nil, costFactorSeen: Double? = nil, oddShareBaseline: Double? = nil, oddShareWindow: Double? = nil) {
        self.signal = signal
        self.call = call
        self.seconds = seconds
        self.attempt = attempt
        self.portsInUse = portsInUse
        self.laterErrno = laterErrno
        self.laterErrnoSeconds = laterErrnoSeconds
        self.callMeanBeforeNs = callMeanBeforeNs
        self.callMeanAfterNs = callMeanAfterNs
        self.submitMeanBeforeNs = submitMeanBeforeNs
        self.submitMeanAfterNs = submitMeanAfterNs
        self.rateBefore = rateBefore
        self.sustainedRate = sustainedRate
        self.errorsPerSecond = errorsPerSecond
        self.oddShareBefore = oddShareBefore
        self.oddShareAfter = oddShareAfter
        self.evidence = evidence
        self.costFactorSeen = costFactorSeen
        self.oddShareBaseline = oddShareBaseline
        self.oddShareWindow = oddShareWindow
    }
}
