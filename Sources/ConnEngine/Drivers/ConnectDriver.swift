import ConnSys
import ConnModel

/// The syscalls under one worker's loop. ``WorkerLoop`` is generic over it and
/// specialised per driver, so neither engine pays for the other: `submitsChains` is a
/// constant in each conformance and the loop's branches on it fold away.
///
/// Two shapes, each a protocol of its own and each implemented in full, as swift-nio keeps
/// one selector backend per file: a ``ReadinessDriver`` (epoll) makes the calls itself and
/// reads endings as events by tag; a ``CompletionDriver`` (io_uring) queues an attempt as
/// one linked chain and reads each ending as a completion. What the loop asks of every
/// driver is here; how an attempt starts and ends is the shape's
/// (``startAttempt(_:slot:intendedNs:target:)``, ``completeAttempts(_:count:now:)``), so
/// no driver carries methods it cannot perform.
protocol ConnectDriver: ~Copyable {
    /// The engine's name, for reports and setup errors.
    static var engine: Engine { get }
    /// io_uring: an attempt is a submitted chain; its connect has no call of its own to
    /// time, the kernel bounds it (a LINK_TIMEOUT, or a timer armed after submission) and
    /// it has no descriptor to ask about.
    static var submitsChains: Bool { get }

    init(capacity: Int, config: RunConfig, workerID: Int, targets: [SocketAddress]) throws(Errno)

    /// Starts the attempt in `slot` towards `targets[target]`, and counts it as started at
    /// `beganNs`, the clock the loop checked against the window's end.
    static func startAttempt(_ loop: inout WorkerLoop<Self>, slot: Int, intendedNs: UInt64?, target: Int, at beganNs: UInt64)
    /// Ends the attempts whose endings the last poll returned.
    static func completeAttempts(_ loop: inout WorkerLoop<Self>, count: Int, now: UInt64)

    mutating func poll(timeoutNs: Int64) -> Int
    mutating func closeLater(_ fd: FileDescriptor)
    mutating func flushCloses()
    mutating func close(_ fd: FileDescriptor)
    /// A connection kept open (``KeepOpen``): its descriptor, handed over to the caller
    /// and never woken on again; nil where the driver has none to hand (the slot is then
    /// closed, and the connection is not kept).
    mutating func keep(_ fd: FileDescriptor, watched: Bool) -> Int32?
    mutating func prepareSpare(domain: Int32)
    mutating func dropSpare()

    /// The real state of a connect whose deadline passed; `.pending` where the kernel
    /// bounds the deadline itself (io_uring).
    func verify(_ fd: FileDescriptor) -> DriverOutcome
    /// The local port of an attempt's socket; nil where there is no descriptor to ask.
    func localPort(_ fd: FileDescriptor) -> UInt16?
    /// The segments a connecting (or just connected) socket retransmitted — before the
    /// handshake ends these can only be SYNs; nil where the socket cannot be asked.
    func synRetransmits(_ fd: FileDescriptor) -> UInt32?
    /// What the submissions since the last call cost; zero chains when there were none.
    mutating func takeSubmitCost() -> SubmitCost
    /// How many attempts a turn of starts may hold: epoll's fixed batch; on io_uring the
    /// chains one submission may carry (see ``UringDriver``).
    var turnLimit: Int { get }
    /// After the completions of a poll are counted: a kernel timer for each connect
    /// submitted without one that is still pending (see ``UringDriver``).
    mutating func armTimers(_ slots: borrowing SlotTable)
    /// How the connects were bounded by the kernel; nil on epoll.
    var uringTimers: UringTimerCounts? { get }
}

/// What a driver without the capability answers: nothing to verify, no descriptor to ask,
/// no submissions, no timers to arm. Answers, not traps: the loop may ask any driver.
extension ConnectDriver where Self: ~Copyable {
    func verify(_ fd: FileDescriptor) -> DriverOutcome { .pending }
    func localPort(_ fd: FileDescriptor) -> UInt16? { nil }
    func synRetransmits(_ fd: FileDescriptor) -> UInt32? { nil }
    mutating func takeSubmitCost() -> SubmitCost { SubmitCost() }
    var turnLimit: Int { WorkerLoopConstants.startBatch }
    mutating func armTimers(_ slots: borrowing SlotTable) {}
    var uringTimers: UringTimerCounts? { nil }
}

/// Epoll's shape: the driver makes each call, the loop times the connect() itself, and
/// an ending is an event carrying the attempt's tag.
protocol ReadinessDriver: ConnectDriver, ~Copyable {
    mutating func open(domain: Int32) -> Result<FileDescriptor, SiteError>
    func connect(_ fd: FileDescriptor, to target: SocketAddress) -> DriverOutcome
    mutating func settleQuickly(_ fd: FileDescriptor) -> DriverOutcome
    func watch(_ fd: FileDescriptor, tag: UInt64) -> Errno?
    func completionTag(at k: Int) -> UInt64
    func outcome(at k: Int, fd: FileDescriptor) -> DriverOutcome
}

extension ReadinessDriver where Self: ~Copyable {
    static func startAttempt(_ loop: inout WorkerLoop<Self>, slot: Int, intendedNs: UInt64?, target: Int, at beganNs: UInt64) {
        loop.startOnSocket(slot, intendedNs: intendedNs, target: target, at: beganNs)
    }

    static func completeAttempts(_ loop: inout WorkerLoop<Self>, count: Int, now: UInt64) {
        loop.completeEvents(count: count, now: now)
    }
}

/// io_uring's shape: an attempt is one linked chain the kernel runs, and an ending is a
/// completion of one of its steps.
protocol CompletionDriver: ConnectDriver, ~Copyable {
    mutating func submit(slot: Int, tag: UInt64, target: Int) -> SiteError?
    func chainCompletion(at k: Int) -> ChainCompletion
    /// A step of the attempt's chain before its connect failed (the rest was cancelled).
    mutating func chainBroke(slot: Int)
}

extension CompletionDriver where Self: ~Copyable {
    static func startAttempt(_ loop: inout WorkerLoop<Self>, slot: Int, intendedNs: UInt64?, target: Int, at beganNs: UInt64) {
        loop.submitChain(slot, intendedNs: intendedNs, target: target, at: beganNs)
    }

    static func completeAttempts(_ loop: inout WorkerLoop<Self>, count: Int, now: UInt64) {
        loop.completeChains(count: count, now: now)
    }
}

/// io_uring: the CPU time io_uring_enter spent submitting (a sample of submissions), and
/// how many attempts' chains those carried. The chain's socket, options, bind and
/// connect all run inline in the submission, so the mean per chain is this engine's
/// counterpart of epoll's connect() call cost for the onset detector — with the socket,
/// options and the turn's closes in it too, so it is reported under its own name, never
/// as a connect() call time.
struct SubmitCost {
    var chains = 0
    /// Thread CPU time, not wall time.
    var ns: UInt64 = 0
    /// When the first of the submissions summed here began.
    var atNs: UInt64 = 0
}

/// One completion of an attempt's chain: which attempt (slot tag), which step, and the
/// step's result (0 or more on success, -errno on failure).
struct ChainCompletion {
    var tag: UInt64
    var step: ChainStep
    var result: Int32
}

/// The steps of an io_uring attempt, carried in bits 24–31 of the completion's user_data
/// (the slot tag's low word holds the slot index, far below 2^24).
enum ChainStep: UInt8 {
    case socket = 1, setsockopt, bind, connect, timeout, close, timer, cancel

    @inline(__always) func userData(_ tag: UInt64) -> UInt64 { tag | UInt64(rawValue) << 24 }

    @inline(__always)
    static func split(_ userData: UInt64) -> (tag: UInt64, step: ChainStep?) {
        (userData & ~(0xff << 24), ChainStep(rawValue: UInt8(truncatingIfNeeded: userData >> 24)))
    }

    /// The timers' and the closes' completions: the connect's own completion ends the attempt.
    var endsNothing: Bool { self == .timeout || self == .close || self == .timer || self == .cancel }

    var site: SyscallSite {
        switch self {
        case .socket: .socket
        case .setsockopt: .setsockopt
        case .bind: .bind
        case .connect, .close: .connect
        case .timeout, .timer, .cancel: .timeout
        }
    }
}
