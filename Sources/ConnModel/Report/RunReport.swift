import ConnSys
import Histogram

/// Everything a run measured, as a value: reporters are pure functions of it, and
/// reports from several runs (or hosts) can be merged or compared without re-running.
public struct RunReport: Sendable, Codable {
    /// The configuration and what it resolved to; every setting is read from here.
    public var setup: RunSetup
    public var startedAtUTC: String
    /// Seconds of the measured window that actually ran (shorter when interrupted).
    public var measuredSeconds: Double
    public var interrupted: Bool
    /// Open loop: attempts the schedule had due in the measured window.
    public var scheduled: UInt64?
    /// Open loop: of those, attempts never started because the generator was behind;
    /// `scheduled == attempts + notStarted`. An attempt is never started past the end.
    public var notStarted: UInt64?
    /// Seconds since the run's start of the last attempt started (≤ warm-up + duration).
    public var lastStartSeconds: Double = 0
    /// Time from one epoll poll's return to the next poll, all workers: how long a
    /// completed connect could wait unseen. Latencies below it are the generator's.
    public var observationGap: LatencySummary
    /// Attempts (warm-up included) whose end the poll right after connect() saw: for
    /// these the observation gap does not apply.
    public var settledAtOnce: UInt64 = 0
    /// io_uring: how the connects' deadlines were armed (nil on epoll, and in reports
    /// written before it was recorded).
    public var uringTimers: UringTimerCounts?
    /// Share of the workers' wall time spent spinning instead of sleeping (`--spin`).
    public var spinShare: Double = 0
    /// Connects whose deadline passed but whose socket the check found connected (counted
    /// established) or failed (counted by errno) — not timeouts.
    public var timeoutsFoundEstablished: UInt64 = 0
    public var timeoutsFoundFailed: UInt64 = 0
    /// NUMA nodes, the workers' nodes, and the nodes of remote targets' interfaces.
    public var numa: NumaPlacement?
    /// Plain-language warnings about the figures themselves (e.g. the observation gap).
    public var warnings: [String] = []
    public var tally: Tally
    public var warmup: Tally
    /// From each attempt's intended start (coordinated-omission corrected).
    public var latency: LatencySummary
    /// From the connect() call to established (what a closed-loop tool would report).
    public var service: LatencySummary
    /// The connect() call alone: where port selection happens.
    public var connectCall: LatencySummary
    /// How long after its intended time each attempt started (open loop).
    public var startLag: LatencySummary
    public var lateStarts: UInt64
    /// How often, and for how long in all, attempts were due while every slot was busy.
    public var capStalls: UInt64
    public var capStallSeconds: Double
    public var errors: [ErrorRow]
    public var intervals: [IntervalRow]
    public var workers: [WorkerInfo]
    public var listener: ListenerInfo?
    public var openFilesLimit: UInt64
    /// Busy share (0…1) of the CPUs the run used (workers and built-in listener), from
    /// /proc/stat over the run: user, system and softirq time of every thread on them.
    public var cpuBusy: Double?
    public var selfConnects: UInt64
    /// Kernel release, tunables and counter deltas of the namespace the run ran in (the
    /// generator's, in a veth lab).
    public var kernel: KernelContext
    /// The listener's namespace of a veth run: its tunables, counters and side report.
    public var listenerNamespace: ListenerNamespaceReport? = nil
    /// sockstat samples over the run: ports in use and TIME_WAIT.
    public var ports: PortSamples
    /// When and why the run began to run out of connects; nil when it did not.
    public var onset: Onset?
    /// The run ended at onset (`--until-exhausted`), not at its duration.
    public var endedAtOnset: Bool
    /// What the run's tunables and strategy predict for its ports, to set beside `onset`.
    public var portBudget: PortBudget? = nil
    /// Set for a run of `connbench exhaust`: the row of the matrix it was.
    public var matrixCase: ExhaustMatrix.Case?
    public var notes: [String]
    public var verdict: Verdict
    public var histograms: Histograms
    /// The measured window's histograms per interval (`latency.hlog`); nil in reports made
    /// before them.
    public var intervalHistograms: IntervalHistograms? = nil
    /// Where the generator's own time went (CPU wait, preemptions, stalls, the sampled
    /// connect() calls less that wait); nil where the kernel keeps no thread schedstat.
    public var generatorTime: GeneratorTime? = nil
    /// Measured connects that needed a SYN retransmit, however they ended, read from
    /// TCP_INFO (``SynRetransmits/connects``); nil on io_uring, whose sockets are closed
    /// inside their chains.
    public var synRetransmits: UInt64? = nil
    /// The same by ending, and the SYN segments retransmitted in all; nil on io_uring and
    /// in reports made before it was kept.
    public var synRetransmitDetail: SynRetransmits? = nil
    /// `--trace-kernel`: the kernel's own view of the workers' connects (bpftrace).
    public var kernelTrace: KernelTraceFigures? = nil

    /// The built-in listener ran in the generator's own namespace (not a veth lab's, not
    /// a `--target`): the namespace's counters then hold its side too, such as the SYN-ACKs
    /// it retransmitted in `TcpExt.TCPSynRetrans`.
    public var listenerSharesNamespace: Bool { listener != nil && listenerNamespace == nil }

    public struct Setting: Sendable, Codable, Equatable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) { self.key = key; self.value = value }
    }

    public struct Histograms: Sendable, Codable {
        public var latency: Histogram<UInt64>
        public var service: Histogram<UInt64>
        public var connectCall: Histogram<UInt64>
        /// The sampled connect() calls and service times less the workers' CPU wait.
        public var callRunning: Histogram<UInt64>? = nil
        public var serviceRunning: Histogram<UInt64>? = nil

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
    public var mergedFrom: [String] = []

    /// The resolved configuration, in the order reports print it (`key=value`): derived
    /// from ``setup``, for printing only.
    public var settings: [Setting] { setup.keyValues }
    /// Each `--target` host name and every address it resolved to, before the run.
    public var resolvedNames: [ResolvedName] { setup.config.resolvedNames }
    public var kernelRelease: String { kernel.release }
    public var rate: Rate { setup.config.rate }
    public var strategy: SocketStrategy { setup.config.strategy }
    public var plannedSeconds: Double { Double(setup.config.durationNs) / 1e9 }
    public var lateThresholdNs: UInt64 { setup.config.lateThresholdNs }
    public var topology: Topology { setup.config.topology }

    /// Attempts started per second of measured time.
    public var achievedRate: Double { measuredSeconds > 0 ? Double(tally.attempts) / measuredSeconds : 0 }
    public var establishedPerSecond: Double { measuredSeconds > 0 ? Double(tally.established) / measuredSeconds : 0 }

    /// The earliest error of the measured window, if any.
    public var firstError: ErrorRow? {
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
public struct LatencySummary: Sendable, Codable, Equatable {
    public var count: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var p9999: UInt64
    public var max: UInt64
    public var mean: Double

    public init<C>(_ h: Histogram<C>, unitNs: UInt64 = 1) {
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
    public var errno: Int32
    public var name: String
    public var site: SyscallSite
    public var count: UInt64
    /// Seconds since the run started (warm-up included).
    public var firstSeconds: Double
    /// 1-based attempt number, run-wide, of the first occurrence. Exact in open loop (it is
    /// the attempt's place in the schedule); in closed loop other workers' attempts are
    /// counted from millisecond progress marks, so it is exact to within one millisecond's
    /// attempts.
    public var firstAttempt: UInt64

    package init(errno: Int32, name: String, site: SyscallSite, count: UInt64, firstSeconds: Double, firstAttempt: UInt64) {
        self.errno = errno
        self.name = name
        self.site = site
        self.count = count
        self.firstSeconds = firstSeconds
        self.firstAttempt = firstAttempt
    }
}

public struct IntervalRow: Sendable, Codable, Equatable {
    public var index: Int
    public var startSeconds: Double
    public var seconds: Double
    public var warmup: Bool
    public var started: UInt64
    public var established: UInt64
    public var failed: UInt64
    public var timedOut: UInt64
    /// Corrected latency of the connects established in this interval, in ns.
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var max: UInt64
    public var connectCallP50: UInt64
    public var connectCallP99: UInt64
    /// sockstat at the interval's end: ports held beyond the baseline, TIME_WAIT sockets.
    public var portsInUse: Int64?
    public var timeWait: Int64?
    /// Parity of the source ports connect() was given.
    public var evenPorts: UInt64
    public var oddPorts: UInt64
    /// errno name → count (all calls, timeouts as ETIMEDOUT).
    public var errors: [String: UInt64]
    /// The workers' CPU wait over their time in the interval (%), and their preemptions.
    public var cpuWaitPct: Double? = nil
    public var preemptions: UInt64? = nil
    /// Connects that needed a SYN retransmit, counted in the interval they ended in (nil
    /// on io_uring).
    public var synRetransmits: UInt64? = nil

    package init(index: Int, startSeconds: Double, seconds: Double, warmup: Bool, started: UInt64, established: UInt64, failed: UInt64, timedOut: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, max: UInt64, connectCallP50: UInt64, connectCallP99: UInt64, portsInUse: Int64? = nil, timeWait: Int64? = nil, evenPorts: UInt64, oddPorts: UInt64, errors: [String: UInt64], cpuWaitPct: Double? = nil, preemptions: UInt64? = nil, synRetransmits: UInt64? = nil) {
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

public struct WorkerInfo: Sendable, Codable, Equatable {
    public var id: Int
    public var cpu: Int?
    public var pinning: String
    /// CPU time over wall time of the worker thread: near 1.0 means the generator is
    /// the bottleneck.
    public var cpuUtilization: Double
    public var attempts: UInt64
    /// This worker's observation gap, ns.
    public var gapP50Ns: UInt64 = 0
    public var gapP99Ns: UInt64 = 0
    public var gapMaxNs: UInt64 = 0
    public var spinShare: Double = 0
    /// The worker's CPU wait over its wall time (0…1), and its preemptions.
    public var cpuWaitShare: Double? = nil
    public var preemptions: UInt64? = nil

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

public struct ListenerInfo: Sendable, Codable, Equatable {
    public var address: String
    public var threads: Int
    public var backlog: Int32
    public var accepted: UInt64
    public var close: ListenerClose
    /// Nil in reports made before listener modes (their `close` says it all).
    public var mode: ListenerMode? = nil
    public var heldPeak: Int? = nil

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

public struct Verdict: Sendable, Codable, Equatable {
    /// nil in closed loop, where there is no requested rate to hold.
    public var held: Bool?
    public var shortfallPercent: Double
    public var cause: String?
    /// The whole line, beginning `verdict:`.
    public var line: String
    /// The system completed slowly (timeouts, p99 > 100× p50), with its likely cause.
    public var tail: String?
    /// Errors other than timeouts.
    public var failures: String?

    public init(held: Bool?, shortfallPercent: Double, cause: String?, line: String, tail: String? = nil, failures: String? = nil) {
        self.held = held
        self.shortfallPercent = shortfallPercent
        self.cause = cause
        self.line = line
        self.tail = tail
        self.failures = failures
    }
}

/// The exhaustion onset: the first sign that the host is running out of connects.
public struct Onset: Sendable, Codable, Equatable {
    /// The errno name (EADDRNOTAVAIL, EADDRINUSE, EWOULDBLOCK) or the non-errno signal
    /// that fired first (`connect-call-cost`, `submit-cost` on io_uring, `rate-drop`).
    public var signal: String
    /// The call that returned the errno; nil for a non-errno signal.
    public var call: String?
    /// Seconds since the run started.
    public var seconds: Double
    /// Run-wide 1-based attempt number at onset.
    public var attempt: UInt64
    /// TCP sockets holding a port at onset (sockstat, TIME_WAIT + in use, beyond baseline).
    public var portsInUse: Int64?
    /// The first exhaustion errno, when a non-errno signal came before it.
    public var laterErrno: String?
    public var laterErrnoSeconds: Double?
    /// connect() call mean before onset (the detector's baseline) and after it.
    public var callMeanBeforeNs: Double?
    public var callMeanAfterNs: Double?
    /// io_uring instead: io_uring_enter's submission time per chain before and after
    /// (socket, options, bind and connect run inline in it; the connect() call fields
    /// stay empty, there is no call).
    public var submitMeanBeforeNs: Double?
    public var submitMeanAfterNs: Double?
    /// Established per second before onset and after it (the sustained rate).
    public var rateBefore: Double
    public var sustainedRate: Double
    /// Failed attempts (any errno, timeouts included) per second after onset.
    public var errorsPerSecond: Double
    /// Share of odd source ports before and after onset: connect() prefers even ports,
    /// so odd ports appearing means the even half is gone.
    public var oddShareBefore: Double?
    public var oddShareAfter: Double?
    /// Why this was called an onset, in one line a reader can check: for a non-errno
    /// signal the rate, connect() cost and odd-port share over the bad windows against the
    /// detector's baseline — a slow connect() alone can be CPU contention.
    public var evidence: String?
    /// For a non-errno signal: connect() mean over the bad windows ÷ the baseline's.
    public var costFactorSeen: Double?
    /// For a non-errno signal: odd share in the detector's baseline and over the bad
    /// windows; nil where too few ports were sampled to trust a share.
    public var oddShareBaseline: Double?
    public var oddShareWindow: Double?

    package init(signal: String, call: String? = nil, seconds: Double, attempt: UInt64, portsInUse: Int64? = nil, laterErrno: String? = nil, laterErrnoSeconds: Double? = nil, callMeanBeforeNs: Double? = nil, callMeanAfterNs: Double? = nil, submitMeanBeforeNs: Double? = nil, submitMeanAfterNs: Double? = nil, rateBefore: Double, sustainedRate: Double, errorsPerSecond: Double, oddShareBefore: Double? = nil, oddShareAfter: Double? = nil, evidence: String? = nil, costFactorSeen: Double? = nil, oddShareBaseline: Double? = nil, oddShareWindow: Double? = nil) {
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
