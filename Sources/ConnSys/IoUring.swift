import CConnShim

/// One io_uring instance owned by one thread: a ring (SINGLE_ISSUER | COOP_TASKRUN, its
/// fd registered) and a table of fixed-file slots, one per connect in flight, so an
/// attempt's socket, options, connect and timeout are one linked chain that never needs
/// a descriptor back in user space. Every call goes through here; failures are `Errno`.
public struct IoUring: ~Copyable {
    @usableFromInline let ring: OpaquePointer

    /// Which setup call failed, for the one-line error an unavailable io_uring gets.
    public enum SetupStage: Sendable { case setup, registerFiles }
    public struct SetupError: Error, Sendable {
        public var stage: SetupStage
        public var errno: Errno
        public var call: String { stage == .setup ? "io_uring_setup" : "io_uring_register(files)" }
    }

    public init(entries: UInt32, completionEntries: UInt32, fixedFiles: UInt32) throws(SetupError) {
        var err: Int32 = 0
        var stage: Int32 = 0
        guard let r = cbs_uring_create(entries, completionEntries, fixedFiles, &err, &stage) else {
            throw SetupError(stage: stage == 0 ? .setup : .registerFiles, errno: Errno(rawValue: err))
        }
        ring = r
    }

    deinit { cbs_uring_destroy(ring) }

    /// The opcodes an attempt may use, by the kernel's numbering.
    public enum Opcode: Int32, Sendable, CaseIterable, CustomStringConvertible {
        case linkTimeout = 15, connect = 16, close = 19, socket = 45, uringCmd = 46, bind = 56
        public var description: String {
            switch self {
            case .linkTimeout: "IORING_OP_LINK_TIMEOUT"
            case .connect: "IORING_OP_CONNECT"
            case .close: "IORING_OP_CLOSE"
            case .socket: "IORING_OP_SOCKET"
            case .uringCmd: "IORING_OP_URING_CMD"
            case .bind: "IORING_OP_BIND"
            }
        }
    }

    /// Whether this kernel has `op` (io_uring_get_probe).
    public func supports(_ op: Opcode) throws(Errno) -> Bool {
        let r = cbs_uring_supports(ring, op.rawValue)
        if r < 0 { throw Errno(rawValue: -r) }
        return r == 1
    }

    public struct SQEFlags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let link = SQEFlags(rawValue: 4)
        public static let hardLink = SQEFlags(rawValue: 8)
        /// No completion when the op succeeds: only failures (and cancellations) post one.
        public static let skipSuccess = SQEFlags(rawValue: 64)
    }

    @inlinable @inline(__always)
    func check(_ rc: Int32) throws(Errno) { if rc < 0 { throw Errno(rawValue: -rc) } }

    /// Room for a whole chain of `n` SQEs in one submission.
    @inlinable @inline(__always)
    public func reserve(_ n: UInt32) throws(Errno) { try check(cbs_uring_reserve(ring, n)) }

    @inlinable @inline(__always)
    public func socket(domain: Int32, type: Int32, slot: UInt32, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_socket_direct(ring, domain, type, slot, userData, flags.rawValue))
    }

    /// SOCKET_URING_OP_SETSOCKOPT (kernel 6.7+) on a fixed file; `value` must live until submission.
    @inlinable @inline(__always)
    public func setOption(slot: UInt32, level: Int32, name: Int32, value: UnsafeRawPointer, length: Int32,
                          userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_setsockopt(ring, slot, level, name, value, length, userData, flags.rawValue))
    }

    @inlinable @inline(__always)
    public func bind(slot: UInt32, address: UnsafePointer<sockaddr>, length: socklen_t, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_bind(ring, slot, address, length, userData, flags.rawValue))
    }

    @inlinable @inline(__always)
    public func connect(slot: UInt32, address: UnsafePointer<sockaddr>, length: socklen_t, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_connect(ring, slot, address, length, userData, flags.rawValue))
    }

    /// Bounds the SQE queued just before (which carries `.link`).
    @inlinable @inline(__always)
    public func linkTimeout(nanoseconds: UInt64, userData: UInt64, flags: SQEFlags = []) throws(Errno) {
        try check(cbs_uring_prep_link_timeout(ring, nanoseconds, userData, flags.rawValue))
    }

    /// A kernel timer at `deadline` (CLOCK_MONOTONIC, read at submission) whose expiry
    /// goes on to the ``cancel(userDataOf:userData:flags:)`` queued right after it; its own
    /// completion is skipped. Reserve both SQEs first.
    @inlinable @inline(__always)
    public func timer(at deadline: UnsafePointer<Deadline>, userData: UInt64) throws(Errno) {
        try check(cbs_uring_prep_timer_at(ring, UnsafeRawPointer(deadline).assumingMemoryBound(to: cbs_timespec.self),
                                          userData, SQEFlags([.link, .skipSuccess]).rawValue))
    }

    /// __kernel_timespec, which the kernel reads at submission: it must live until then.
    public struct Deadline: Sendable {
        public var seconds: Int64 = 0
        public var nanoseconds: Int64 = 0
        public init() {}
        @inlinable @inline(__always)
        public mutating func set(_ ns: UInt64) {
            seconds = Int64(ns / 1_000_000_000)
            nanoseconds = Int64(ns % 1_000_000_000)
        }
    }

    /// Cancels the request whose user_data is `target`.
    @inlinable @inline(__always)
    public func cancel(userDataOf target: UInt64, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_cancel(ring, target, userData, flags.rawValue))
    }

    /// CONNECT on an ordinary descriptor, not a fixed-file slot.
    @inlinable @inline(__always)
    public func connect(descriptor fd: Int32, address: UnsafePointer<sockaddr>, length: socklen_t, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_connect_fd(ring, fd, address, length, userData, flags.rawValue))
    }

    /// CLOSE of an ordinary descriptor.
    @inlinable @inline(__always)
    public func close(descriptor fd: Int32, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_close_fd(ring, fd, userData, flags.rawValue))
    }

    @inlinable @inline(__always)
    public func close(slot: UInt32, userData: UInt64, flags: SQEFlags) throws(Errno) {
        try check(cbs_uring_prep_close_direct(ring, slot, userData, flags.rawValue))
    }

    @inlinable @inline(__always)
    public var queued: UInt32 { cbs_uring_queued(ring) }

    /// One io_uring_enter: submit what is queued; with `waitFor` > 0 also wait for that
    /// many completions or `timeoutNs` (negative: no limit). ETIME and EINTR are 0.
    @inlinable @inline(__always)
    public func enter(waitFor: UInt32, timeoutNs: Int64) throws(Errno) -> Int {
        let rc = cbs_uring_enter(ring, waitFor, timeoutNs)
        if rc >= 0 { return Int(rc) }
        let e = Errno(rawValue: -rc)
        if e.rawValue == 62 /* ETIME */ || e == .interrupted || e == .resourceTemporarilyUnavailable || e == .resourceBusy { return 0 }
        throw e
    }

    /// Copies up to `max` completions out of the ring and frees their entries.
    @inlinable @inline(__always)
    public func reap(userData: UnsafeMutablePointer<UInt64>, results: UnsafeMutablePointer<Int32>, max: Int) -> Int {
        Int(cbs_uring_reap(ring, userData, results, UInt32(max)))
    }
}
