import ConnSys

/// Everything that defines a run. Its `keyValues` are printed at the top of every report,
/// so a saved report is enough to repeat the run.
///
/// One stored property per setting a run can be given (saved as `run.setup.config` in report.json),
/// so a saved run says exactly how it was made.
public struct RunConfig: Sendable, Codable, Equatable {
    /// Where to connect. Empty: start the built-in loopback listener and connect to it.
    public var targets: [SocketAddress] = []
    /// The `--target` values as typed, when any was a host name: the report's `target`
    /// setting repeats these, so that a saved report reruns against the name. Empty:
    /// `targets` as they print.
    package var targetsAsTyped: [String] = []
    /// `--resolve`: which of a name's addresses are in `targets`.
    package var resolve: ResolveMode = .first
    /// Every name resolved for `targets` and all it resolved to (the report lists them).
    package var resolvedNames: [ResolvedName] = []
    public var rate: Rate = .fixed(perSecond: 1000)
    public var durationNs: UInt64 = 10_000_000_000
    /// Excluded from the figures: caches, the listener's accept queue and the port
    /// allocator warm up before measuring starts.
    package var warmupNs: UInt64 = 0
    /// Nil: one worker per CPU the process may run on (or per CPU in `cpus`).
    public var workers: Int?
    /// Nil: every CPU the process may run on.
    public var cpus: [Int]?
    /// The most connects in flight per worker. Nil: a default that depends on the mode
    /// (`resolvedConcurrency`).
    public var concurrency: Int?
    public var timeoutNs: UInt64 = 3_000_000_000
    public var close: CloseMode = .fin
    package var intervalNs: UInt64 = 1_000_000_000
    package var strategy = SocketStrategy()
    /// A start counts as late when it begins more than this after its intended time.
    package var lateThresholdNs: UInt64 = 1_000_000
    /// Open loop: waits for the next start shorter than this are spun (zero-timeout
    /// polls) instead of slept, because a timer wake-up on this kind of machine comes
    /// tens of µs late. 0: never spin. Costs a core per worker when set above the gap
    /// between a worker's attempts.
    package var spinNs: UInt64 = 0
    /// Upper bound on attempts per worker (0: none); keeps test runs bounded by count too.
    public var maxAttemptsPerWorker: UInt64 = 0
    package var listener = ListenerConfig()
    /// `--netns` and `--sysctl`: run in a fresh network namespace with these tunables.
    package var isolation = Isolation()
    /// `--topology`: the built-in listener beside the generator, or across a veth pair in
    /// a namespace of its own (which gives the generator a fresh namespace too).
    package var topology: Topology = .loopback
    /// `--family`, `--listener-sysctl`, `--delay`: the veth lab (`topology == .veth`).
    package var veth = VethOptions()
    /// End the run at exhaustion onset plus `tailNs`, instead of at the duration.
    package var untilExhausted = false
    /// `--trace-kernel`: run bpftrace on the workers' threads for the run (``KernelTrace``).
    package var traceKernel = false
    package var tailNs: UInt64 = 300_000_000
    /// `--tag`: the name this run goes by in a merge and in its files. Empty: untagged
    /// (reports made before tags, and engine callers that do not name runs).
    package var tag: String = ""
    /// `--start-at`: the wall-clock time (ns since the epoch) the measured clock starts
    /// at, so generators on several hosts begin together. Nil: as soon as ready.
    package var startAtEpochNs: UInt64? = nil
    /// `--engine`. After ``UringAvailability/resolve(_:)`` it is the engine that ran
    /// (never `.auto`), and `engineNote` says how auto chose.
    public var engine: EngineChoice = .epoll
    package var engineNote: String = ""
    /// `--uring-socket`: how io_uring makes each socket. Nil is auto; after
    /// ``UringAvailability/resolve(_:)`` an io_uring run has `.ring` or `.syscalls`.
    package var uringSocket: UringSocketSetup? = nil
    /// This process's share when the run is spread over several (nil: all of it).
    package var share: RunShare? = nil
    /// `hold`'s build-up: established connections are kept open (nil: closed at once).
    package var keepOpen: KeepOpen? = nil

    /// Closed loop: measured with `--rate max` on this 2-core machine (README, "Choosing
    /// --concurrency"), the rate stops rising at about 4 in flight per worker (34.5k/s with
    /// RST, ~30.5k/s with FIN) while p99 keeps growing with the queue (101 µs at 4, 359 µs
    /// at 16, 1.35 ms at 64, 5.2 ms at 256). 16 sits on the plateau with room for a faster
    /// host, without measuring mostly queueing.
    package static let closedLoopDefaultConcurrency = 16
    /// Open loop: the cap is a safety bound, not a knob. An open-loop generator must keep
    /// starting attempts on schedule while the system backs up, so that the backlog shows
    /// in the corrected latency instead of being hidden by a full slot table; 1024 per
    /// worker absorbs a 20 ms stall at 50k/s and still bounds the descriptors a run holds.
    package static let openLoopDefaultConcurrency = 1024

    /// The in-flight cap the run uses.
    package var resolvedConcurrency: Int {
        if let concurrency { return concurrency }
        if case .max = rate { return RunConfig.closedLoopDefaultConcurrency }
        return RunConfig.openLoopDefaultConcurrency
    }

    public init() {}

    package var usesBuiltInListener: Bool { targets.isEmpty }

    /// Whether the generator runs in a namespace created for the run: `--netns`, or a veth
    /// lab (whose two ends need two namespaces of their own).
    package var createsNamespace: Bool { isolation.netns || topology == .veth }
}

/// The built-in listener: a real accept loop on loopback, so `connbench --rate N` works on
/// a machine with nothing else running.
public struct ListenerConfig: Sendable, Codable, Equatable {
    /// Where to listen; port 0 picks a free port outside the ephemeral range (``Listener``).
    package var address = SocketAddress(ip: "127.0.0.1", port: 0)!
    /// Accept threads, each with its own SO_REUSEPORT socket. Nil: one per generator worker.
    public var threads: Int?
    /// Nil: the generator's CPUs.
    public var cpus: [Int]?
    /// Requested backlog; the kernel caps it at net.core.somaxconn.
    package var backlog: Int32 = 65535
    /// `.waitFin` by default: with `--close fin` the client always holds TIME_WAIT (see
    /// ``ListenerMode``).
    package var mode: ListenerMode = .waitFin
    /// `.hold` only: connections held open at once; past it a new one is closed at once.
    package var holdLimit = ListenerConfig.defaultHoldLimit

    package static let defaultHoldLimit = 10_000

    /// The pre-mode view, kept for callers that set or read it: `.immediate` is
    /// accept-close, anything else `.peer`. Setting it picks accept-close or wait-fin,
    /// but leaves a never-accept listener not accepting (as `accepts == false` did).
    public var close: ListenerClose {
        get { mode == .acceptClose ? .immediate : .peer }
        set { if mode != .neverAccept { mode = ListenerMode(newValue) } }
    }

    /// The pre-mode view: false is never-accept; setting true on a never-accept config
    /// makes it wait-fin (the default), setting false makes it never-accept.
    package var accepts: Bool {
        get { mode.accepts }
        set { if !newValue { mode = .neverAccept } else if mode == .neverAccept { mode = .waitFin } }
    }

    public init() {}
}
