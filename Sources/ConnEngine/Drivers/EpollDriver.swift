@preconcurrency import Glibc
import ConnSys
import ConnModel

/// What became of an attempt, as the syscall driver sees it.
enum DriverOutcome: Equatable {
    case established
    case failed(SyscallSite, Errno)
    /// Still connecting.
    case pending
}

/// The syscalls of one worker's attempts, on epoll: the only part of the worker loop an
/// io_uring engine replaces. Schedule, slot table and recorders do not know which
/// driver runs under them.
///
/// The default attempt costs five calls — socket, connect, poll (or epoll_ctl and a
/// share of one epoll_pwait2 when the handshake is still on), setsockopt (SO_LINGER,
/// only with `--close rst`), close.
/// Everything else is asked only when needed: SO_ERROR when an event carries ERR or HUP,
/// the local port when a sample or the self-connect check wants it.
struct EpollDriver: ReadinessDriver, ~Copyable {
    static var engine: Engine { .epoll }
    static var submitsChains: Bool { false }

    let epoll: Epoll
    let events: EpollEventBuffer
    var setup: SocketSetup

    init(capacity: Int, config: RunConfig, workerID: Int, targets: [SocketAddress]) throws(Errno) {
        epoll = try Epoll()
        events = EpollEventBuffer(capacity: capacity)
        setup = SocketSetup(config: config, workerID: workerID)
        closing = .allocate(capacity: Self.closingCapacity)
    }

    deinit { closing.deallocate() }

    /// Open loop: a socket made ready in the slack before the next due start, so that at
    /// the due time only connect() stands between the schedule and the attempt. Only
    /// without a source to bind (a bind would take a port early). Not an attempt until
    /// connect() is called on it; closed uncounted if the run ends first.
    var spare: Int32 = -1
    var spareDomain: Int32 = 0

    mutating func prepareSpare(domain: Int32) {
        guard spare < 0, setup.sources.isEmpty, case .success(let fd) = setup.make(domain: domain) else { return }
        spare = fd.rawValue
        spareDomain = domain
    }

    mutating func dropSpare() {
        if spare >= 0 { FileDescriptor(rawValue: spare).closeSocket() }
        spare = -1
    }

    /// socket() and the strategy's options and bind. On failure no descriptor is left
    /// open, and the failing call is named.
    @inline(__always)
    mutating func open(domain: Int32) -> Result<FileDescriptor, SiteError> {
        if spare >= 0 {
            let fd = FileDescriptor(rawValue: spare)
            spare = -1
            if spareDomain == domain { return .success(fd) }
            fd.closeSocket()
        }
        return setup.make(domain: domain)
    }

    /// The connect() call alone, so the loop can time exactly it (port selection).
    @inline(__always)
    func connect(_ fd: FileDescriptor, to target: SocketAddress) -> DriverOutcome {
        switch fd.startConnect(to: target) {
        case .connected: .established
        case .inProgress: .pending
        case .failed(let e): .failed(.connect, e)
        }
    }

    /// Asks to be told when a pending connect ends.
    @inline(__always)
    func watch(_ fd: FileDescriptor, tag: UInt64) -> Errno? {
        do { try epoll.add(fd, events: Epoll.writable, tag: tag) } catch { return error }
        return nil
    }

    /// Whether to look at a connect's state right after EINPROGRESS, before handing it
    /// to epoll. On loopback (and any path as fast) the kernel finishes the handshake
    /// inside connect() itself — the SYN-ACK is processed from the socket's backlog as
    /// the call releases the socket — so one poll() settles the attempt and the epoll_ctl,
    /// the epoll removal at close and the event are saved. On a slower path the poll
    /// would be wasted, so it is used only while it mostly succeeds (checked again every
    /// `quickRetryAfter` attempts).
    var quickCheck = true
    var quickMisses: Int32 = 0
    var quickSkipped: Int32 = 0
    static let quickMissLimit: Int32 = 32
    static let quickRetryAfter: Int32 = 4096

    @inline(__always)
    mutating func settleQuickly(_ fd: FileDescriptor) -> DriverOutcome {
        if !quickCheck {
            quickSkipped += 1
            if quickSkipped >= Self.quickRetryAfter { quickCheck = true; quickMisses = 0 }
            return .pending
        }
        let revents: Int16
        do { revents = try fd.pollWritable() } catch { return .pending }
        if revents == 0 {
            quickMisses += 4
            if quickMisses >= Self.quickMissLimit * 4 { quickCheck = false; quickSkipped = 0 }
            return .pending
        }
        if quickMisses > 0 { quickMisses -= 1 }
        if revents & Int16(POLLERR | POLLHUP) != 0 { return errorOutcome(fd) }
        return revents & Int16(POLLOUT) != 0 ? .established : .pending
    }

    /// One epoll_pwait2; the completions are then read with ``completionTag(at:)`` and
    /// ``outcome(at:fd:)``.
    @inline(__always)
    func poll(timeoutNs: Int64) -> Int {
        (try? epoll.wait(into: events, timeoutNanoseconds: timeoutNs)) ?? 0
    }

    @inline(__always)
    func completionTag(at k: Int) -> UInt64 { events.tag(at: k) }

    @inline(__always)
    func outcome(at k: Int, fd: FileDescriptor) -> DriverOutcome { outcome(flags: events.flags(at: k), fd: fd) }

    /// What an event says about its connect. Writable without ERR/HUP is a completed
    /// handshake; only ERR/HUP costs a getsockopt(SO_ERROR).
    @inline(__always)
    func outcome(flags: UInt32, fd: FileDescriptor) -> DriverOutcome {
        if flags & (Epoll.error | Epoll.hangUp) == 0 {
            return flags & Epoll.writable != 0 ? .established : .pending
        }
        return errorOutcome(fd)
    }

    func errorOutcome(_ fd: FileDescriptor) -> DriverOutcome {
        do {
            if let e = try fd.pendingError() { return .failed(.soError, e) }
            return .failed(.soError, .socketNotConnected)
        } catch {
            return .failed(.soError, error)
        }
    }

    /// The real state of a connect whose deadline passed: a socket the kernel connected
    /// (or failed) is that, never a timeout.
    func verify(_ fd: FileDescriptor) -> DriverOutcome {
        do {
            if let e = try fd.pendingError() { return .failed(.soError, e) }
            return try fd.isWritableNow() ? .established : .pending
        } catch {
            return .failed(.soError, error)
        }
    }

    /// Sockets of attempts that are over, closed together at the end of a turn of
    /// starts rather than between them: the turn's connects then reach the listener
    /// back to back, and an idle listener thread is woken once per turn instead of once
    /// per connect (each wake-up of a thread on another core is an IPI, which in a VM
    /// cost more than a connect's own softirq work). The attempt's figures are already
    /// recorded; only the socket's end waits, by at most one turn.
    let closing: UnsafeMutablePointer<Int32>
    var closingCount = 0
    static let closingCapacity = 64

    @inline(__always)
    mutating func closeLater(_ fd: FileDescriptor) {
        if closingCount == Self.closingCapacity { flushCloses() }
        closing[closingCount] = fd.rawValue
        closingCount += 1
    }

    @inline(__always)
    mutating func flushCloses() {
        for k in 0..<closingCount { close(FileDescriptor(rawValue: closing[k])) }
        closingCount = 0
    }

    /// Ends an attempt's socket. close() also drops it from the epoll set.
    @inline(__always)
    func close(_ fd: FileDescriptor) {
        fd.closeSocket()
    }

    func keep(_ fd: FileDescriptor, watched: Bool) -> Int32? {
        if watched { _ = try? epoll.remove(fd) }
        return fd.rawValue
    }

    func localPort(_ fd: FileDescriptor) -> UInt16? { try? fd.localPort() }

    func synRetransmits(_ fd: FileDescriptor) -> UInt32? { fd.totalRetransmits() }
}

/// A failed call of an attempt and its errno.
struct SiteError: Error {
    var site: SyscallSite
    var errno: Errno
}
