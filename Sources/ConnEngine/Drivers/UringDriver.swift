@preconcurrency import Glibc
import ConnSys
import ConnModel

/// The attempts of one worker on io_uring. Each attempt is one linked chain into the
/// fixed-file slot of its ``SlotTable`` index. To a target across a network:
///
///     SOCKET (direct) → [SETSOCKOPT by uring_cmd]… → [BIND] → CONNECT → LINK_TIMEOUT
///
/// and the socket is closed by IORING_OP_CLOSE on its slot, queued and submitted with the
/// next turn's enter. To a loopback or unix target:
///
///     SOCKET (direct) → [SETSOCKOPT]… → [BIND] → CONNECT ⇒ CLOSE (hard link)
///
/// with the connect's timer armed only if it is still pending after the submission
/// (``armTimers(_:)``): there the handshake completes inside the enter that submits it.
/// The steps before the connect post a completion only when they fail; the connect always
/// posts one, which ends the attempt. Either way the deadline is the kernel's, never a
/// scan in user space. One io_uring_enter per loop turn submits everything queued.
///
/// Every buffer the kernel reads at submission — addresses, option values, timeouts,
/// deadlines — is allocated once, in ``UringBuffers``, so an attempt allocates nothing.
///
/// Where this kernel cannot set a socket's options or bind it through the ring
/// (SOCKET_URING_OP_SETSOCKOPT is 6.7+, IORING_OP_BIND 6.11+), or `--uring-socket
/// syscalls` asks, the socket is made by plain syscalls (``SocketSetup``, as on epoll)
/// and the chain is the CONNECT (with its LINK_TIMEOUT, or its timer later) on that
/// descriptor, closed by IORING_OP_CLOSE. The loop still knows the attempt by its slot
/// index; `plainFds` maps it to the socket.
struct UringDriver: CompletionDriver, ~Copyable {
    static var engine: Engine { .ioUring }
    static var submitsChains: Bool { true }

    let ring: IoUring
    let timeoutNs: UInt64
    /// Declared after the ring, so the ring is torn down before the buffers it reads go.
    let buffers: UringBuffers
    let sqEntries: UInt32
    /// `--uring-socket syscalls` (resolved): socket, options and bind by syscalls.
    let plainSetup: Bool
    /// The strategy (options, sources and their round-robin), whichever way the socket is made.
    var setup: SocketSetup
    /// Chains queued since the last submission, and what the last submission cost.
    var chainsQueued = 0
    var lastSubmit = SubmitCost()
    var submissions: UInt64 = 0
    var lastTimedNs: UInt64 = 0
    /// Wall time per chain of the last submission (a clock read of no cost: vDSO).
    var lastWallPerChainNs: UInt64 = 0
    /// Per target: a loopback or unix target, whose connects get their timer only if
    /// still pending after the submission (see ``armTimers(_:)``).
    let timerAfterSubmit: [Bool]
    /// How many tags ``UringBuffers/unarmed`` holds.
    var unarmedCount = 0
    /// How each connect was bounded (the report's `uring_*` figures).
    var timers = UringTimerCounts()

    var targetAddrs: UnsafeMutablePointer<sockaddr_storage> { buffers.targetAddrs }
    var targetLens: [socklen_t] { buffers.targetLens }
    var targetDomains: [Int32] { buffers.targetDomains }
    var sourceAddrs: UnsafeMutablePointer<sockaddr_storage> { buffers.sourceAddrs }
    var sourceLens: [socklen_t] { buffers.sourceLens }
    var values: UnsafeMutableRawPointer { buffers.values }
    var cqUserData: UnsafeMutablePointer<UInt64> { buffers.cqUserData }
    var cqResults: UnsafeMutablePointer<Int32> { buffers.cqResults }
    var cqCapacity: Int { buffers.cqCapacity }
    var plainFds: UnsafeMutablePointer<Int32> { buffers.plainFds }
    var slotCount: Int { buffers.slotCount }
    var unarmed: UnsafeMutablePointer<UInt64> { buffers.unarmed }
    var deadlines: UnsafeMutablePointer<IoUring.Deadline> { buffers.deadlines }
    var chainClosed: UnsafeMutablePointer<Bool> { buffers.chainClosed }

    static let valueOne = UringBuffers.valueOne, valueLinger = UringBuffers.valueLinger, valuePortRange = UringBuffers.valuePortRange

    init(capacity: Int, config: RunConfig, workerID: Int, targets: [SocketAddress]) throws(Errno) {
        let sq = UringDriver.powerOfTwo(atLeast: 256)
        let cq = UringDriver.powerOfTwo(atLeast: Swift.min(65536, Swift.max(Int(sq) * 2, capacity * 4)))
        do {
            ring = try IoUring(entries: sq, completionEntries: cq, fixedFiles: UInt32(capacity))
        } catch {
            throw error.errno
        }
        timeoutNs = config.timeoutNs
        timerAfterSubmit = targets.map { $0.family == .unix || $0.isLoopback }
        setup = SocketSetup(config: config, workerID: workerID)
        buffers = UringBuffers(slots: capacity, completions: Int(cq), targets: targets, sources: config.strategy.sources,
                               portRangeValue: setup.portRangeValue)
        sqEntries = sq
        // A kept connection needs a descriptor of its own to outlive its slot.
        plainSetup = config.uringSocket == .syscalls || config.keepOpen != nil
    }

    deinit {
        if plainSetup {
            // Closes still queued go now (the ring is torn down next); a socket of an
            // attempt still in flight is closed here.
            _ = try? ring.enter(waitFor: 0, timeoutNs: 0)
            for k in 0..<slotCount where plainFds[k] >= 0 { FileDescriptor(rawValue: plainFds[k]).closeSocket() }
        }
    }

    static func powerOfTwo(atLeast n: Int) -> UInt32 {
        var v: UInt32 = 8
        while Int(v) < n { v <<= 1 }
        return v
    }

    /// Queues one attempt's chain. Fails only when the ring cannot take it (named as the
    /// socket step, which is where the attempt stopped).
    @inline(__always)
    mutating func submit(slot i: Int, tag: UInt64, target t: Int) -> SiteError? {
        if plainSetup { return submitOnDescriptor(slot: i, tag: tag, target: t) }
        let slot = UInt32(i)
        let inet = targetDomains[t] != AF_UNIX
        let step: IoUring.SQEFlags = [.link, .skipSuccess]
        // Room for the whole chain; if not, what is queued goes now, timed like any
        // other submission (reserve's own enter would not be).
        if ring.queued + 8 > sqEntries { submitQueued() }
        chainsQueued += 1
        do throws(Errno) {
            try ring.reserve(8)
            // A unix socket is made nonblocking, so a full backlog is EAGAIN at once, as on
            // epoll (a blocking one makes io_uring wait in a worker and end with EINTR).
            try ring.socket(domain: targetDomains[t], type: inet ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), slot: slot,
                            userData: ChainStep.socket.userData(tag), flags: step)
            // Options exist for TCP only; a unix socket has no port and no RST.
            if inet {
                let ud = ChainStep.setsockopt.userData(tag)
                if setup.reuseAddress {
                    try ring.setOption(slot: slot, level: SOL_SOCKET, name: SO_REUSEADDR, value: values + Self.valueOne,
                                       length: 4, userData: ud, flags: step)
                }
                if setup.bindAddressNoPort {
                    try ring.setOption(slot: slot, level: Int32(IPPROTO_IP), name: SocketOptionName.bindAddressNoPort,
                                       value: values + Self.valueOne, length: 4, userData: ud, flags: step)
                }
                if setup.portRangeValue != 0 {
                    try ring.setOption(slot: slot, level: Int32(IPPROTO_IP), name: SocketOptionName.localPortRange,
                                       value: values + Self.valuePortRange, length: 4, userData: ud, flags: step)
                }
                if setup.closeWithReset {
                    try ring.setOption(slot: slot, level: SOL_SOCKET, name: SO_LINGER, value: values + Self.valueLinger,
                                       length: Int32(MemoryLayout<linger>.size), userData: ud, flags: step)
                }
            }
            if !setup.sources.isEmpty {
                let k = setup.takeSourceIndex()
                let p = UnsafeRawPointer(sourceAddrs + k).assumingMemoryBound(to: sockaddr.self)
                try ring.bind(slot: slot, address: p, length: sourceLens[k], userData: ChainStep.bind.userData(tag), flags: step)
            }
            let p = UnsafeRawPointer(targetAddrs + t).assumingMemoryBound(to: sockaddr.self)
            // Without a LINK_TIMEOUT behind it the connect is hard-linked to the close of
            // its slot: the socket is closed inside the enter that completes the connect,
            // before its completion is reaped, as connuring's chain does. Closing it a turn
            // later, with the next submission, left it open while the listener answered:
            // 3% more segments per connection on `-w 2` and 4% of the rate on `-w 1`
            // (Benchmarks/README). Whatever ends the connect — established, refused, the
            // late timer's cancel — the close follows (a hard link does not break).
            let closeInChain = timerLater(target: t, tag: tag)
            chainClosed[i] = closeInChain
            try ring.connect(slot: slot, address: p, length: targetLens[t], userData: ChainStep.connect.userData(tag),
                             flags: closeInChain ? .hardLink : .link)
            if closeInChain {
                try ring.close(slot: slot, userData: ChainStep.close.userData(0), flags: .skipSuccess)
            } else {
                try ring.linkTimeout(nanoseconds: timeoutNs, userData: ChainStep.timeout.userData(tag), flags: .skipSuccess)
                timers.linked += 1
            }
        } catch {
            return SiteError(site: .socket, errno: error)
        }
        return nil
    }

    /// Whether this connect goes without a LINK_TIMEOUT, its deadline to be armed after
    /// the submission. A loopback handshake completes inside the very enter that submits
    /// it, so a linked timer would be armed and cancelled for nothing on nearly every
    /// connect — an hrtimer, a cancellation and one more completion each, 2–5% of the
    /// rate against connuring (Benchmarks/README). Those connects are noted instead, and
    /// ``armTimers(_:)`` gives a timer to each one still pending afterwards. A target
    /// across a network keeps the LINK_TIMEOUT: there nearly every connect is pending.
    @inline(__always)
    mutating func timerLater(target t: Int, tag: UInt64) -> Bool {
        guard timerAfterSubmit[t] && unarmedCount < slotCount else { return false }
        unarmed[unarmedCount] = tag
        unarmedCount += 1
        timers.deferred += 1
        return true
    }

    /// Called after each poll's completions are counted, so every connect noted by
    /// ``timerLater(target:tag:)`` has been submitted and, if it finished there, ended: each one
    /// still pending gets an IORING_OP_TIMEOUT at its deadline linked to an
    /// IORING_OP_ASYNC_CANCEL of it, submitted with the next enter. The cancelled connect
    /// completes with -ECANCELED at its deadline, which the loop counts as a timeout, as
    /// it does a LINK_TIMEOUT's. A connect that finishes first leaves its timer to fire
    /// into a cancel that finds nothing (the tag names that attempt's generation only).
    @inline(__always)
    mutating func armTimers(_ slots: borrowing SlotTable) {
        guard unarmedCount > 0 else { return }
        for k in 0..<unarmedCount {
            let tag = unarmed[k]
            guard let i = slots.slot(forTag: tag) else { continue }
            deadlines[i].set(slots.slots[i].deadlineNs)
            do throws(Errno) {
                try ring.reserve(2)
                try ring.timer(at: deadlines + i, userData: ChainStep.timer.userData(tag))
                try ring.cancel(userDataOf: ChainStep.connect.userData(tag), userData: ChainStep.cancel.userData(tag),
                                flags: .skipSuccess)
                timers.armed += 1
            } catch {
                // The ring took no SQE (reserve failed to submit): the connect is bounded
                // only by the end of the run, where it counts as in flight.
            }
        }
        unarmedCount = 0
    }

    /// Plain mode: the socket by syscalls now (a failure there ends the attempt at once,
    /// named by its call), then the CONNECT on it, with its LINK_TIMEOUT or its timer later.
    @inline(__always)
    mutating func submitOnDescriptor(slot i: Int, tag: UInt64, target t: Int) -> SiteError? {
        let fd: FileDescriptor
        switch setup.make(domain: targetDomains[t]) {
        case .success(let f): fd = f
        case .failure(let e): return e
        }
        if ring.queued + 2 > sqEntries { submitQueued() }
        chainsQueued += 1
        do throws(Errno) {
            try ring.reserve(2)
            let p = UnsafeRawPointer(targetAddrs + t).assumingMemoryBound(to: sockaddr.self)
            // Closed by the loop, not in the chain: a descriptor number closed by the ring
            // could be reused by the next socket(2) before the loop hears of it.
            let later = timerLater(target: t, tag: tag)
            try ring.connect(descriptor: fd.rawValue, address: p, length: targetLens[t],
                             userData: ChainStep.connect.userData(tag), flags: later ? [] : .link)
            if !later {
                try ring.linkTimeout(nanoseconds: timeoutNs, userData: ChainStep.timeout.userData(tag), flags: .skipSuccess)
                timers.linked += 1
            }
        } catch {
            fd.closeSocket()
            return SiteError(site: .connect, errno: error)
        }
        plainFds[i] = fd.rawValue
        return nil
    }

    /// Submits what is queued, then waits for a completion up to `timeoutNs` (none when
    /// 0) and copies the completions out.
    ///
    /// A submission with chains in it is an io_uring_enter of its own, timed: socket,
    /// options, bind and connect run inline in it — the connect's source-port search
    /// included — so its time per chain is the one cost on this engine that rises when
    /// the ports run short (see ``SubmitCost``). The wait is a second enter only when
    /// nothing has completed by then: on loopback the handshake finishes inside the
    /// submission, so the completions are already there and the split costs no call.
    @inline(__always)
    mutating func poll(timeoutNs: Int64) -> Int {
        if chainsQueued > 0 {
            submitQueued()
            let n = ring.reap(userData: cqUserData, results: cqResults, max: cqCapacity)
            if n > 0 || timeoutNs <= 0 { return n }
        }
        _ = try? ring.enter(waitFor: timeoutNs > 0 ? 1 : 0, timeoutNs: timeoutNs)
        return ring.reap(userData: cqUserData, results: cqResults, max: cqCapacity)
    }

    /// CPU time per chain of recent timed submissions (EWMA, 1/4), and the chains the next
    /// submission may carry: as many as fit `submitBudgetNs` at that cost, 1 to 16. CPU,
    /// not wall: a submission preempted by the listener's threads on the same core (`-w 2`)
    /// cost no more kernel work, and shrinking the batch for it only slows the run.
    /// The chains of one submission run one after another inside the enter, so the last
    /// one's service time holds all the others' kernel work and the loop sees nothing
    /// until the enter returns: with a batch of 16 after an exhaustion onset (~2.4 ms of
    /// port search each) a submission took 38 ms, which was the service p99.
    ///
    /// 500 µs keeps a healthy loopback's batch (~20–25 µs a chain) at 16: `ratio.sh -w 1`
    /// against connuring gave 1.076 and 0.989 with it against 0.932 and 0.894 without
    /// (3 rounds each, interleaved); a 50 µs budget (2 chains an enter) fell to 0.65.
    var cpuPerChainNs: UInt64 = 0
    var turnLimit = WorkerLoopConstants.startBatch
    static var submitBudgetNs: UInt64 { 500_000 }

    /// One enter that submits (waits for nothing). A sample of them is timed into
    /// `lastSubmit` in this thread's CPU time, not wall time: the port search is CPU
    /// work, and a submission preempted by another task (the listener, a busy loop)
    /// must not look like one.
    ///
    /// The CPU clock is a syscall that also brings the scheduler's accounting of this
    /// thread up to date, and reading it around every submission cost the rate: on `-w 2`
    /// (listener threads on the workers' cores) 0.70 context switches per connection
    /// against 0.66 without, and 3.7% of the rate (paired, 10 rounds; Benchmarks/README).
    /// So one submission in 8 is timed, plus: any whose wall time per chain came out at
    /// 3× the CPU cost so far or more (a sudden rise — an onset — is timed at the next
    /// submission, not up to 8 later; a preempted one may be too, and its CPU time then
    /// says it was only preempted), and any ≥ 2 ms after the last timed one (a slow run).
    @inline(__always)
    mutating func submitQueued() {
        let now = MonotonicClock.now()
        submissions &+= 1
        let timed = cpuPerChainNs == 0 || submissions & 7 == 0 || now - lastTimedNs >= 2_000_000
            || lastWallPerChainNs >= 3 * cpuPerChainNs
        let c0 = timed ? ThreadCPUClock.now() : 0
        _ = try? ring.enter(waitFor: 0, timeoutNs: 0)
        if timed {
            let c1 = ThreadCPUClock.now()
            let cpu = c1 > c0 ? c1 - c0 : 0
            lastTimedNs = now
            lastSubmit.chains += chainsQueued
            lastSubmit.ns += cpu
            if lastSubmit.atNs == 0 { lastSubmit.atNs = now }
            if chainsQueued > 0 {
                let perChain = cpu / UInt64(chainsQueued)
                cpuPerChainNs = cpuPerChainNs == 0 ? perChain : (3 * cpuPerChainNs + perChain) / 4
                turnLimit = Swift.min(WorkerLoopConstants.startBatch, Int(Swift.max(1, Self.submitBudgetNs / Swift.max(cpuPerChainNs, 1))))
            }
        }
        let wall = MonotonicClock.now() - now
        lastWallPerChainNs = chainsQueued > 0 ? wall / UInt64(chainsQueued) : 0
        chainsQueued = 0
    }

    @inline(__always)
    mutating func takeSubmitCost() -> SubmitCost {
        let c = lastSubmit
        lastSubmit = SubmitCost()
        return c
    }

    @inline(__always)
    func chainCompletion(at k: Int) -> ChainCompletion {
        let (tag, step) = ChainStep.split(cqUserData[k])
        return ChainCompletion(tag: tag, step: step ?? .close, result: cqResults[k])
    }

    /// Closes the attempt's fixed-file slot (its `fd` is the slot index) by IORING_OP_CLOSE,
    /// submitted with the next enter. A slot whose socket step failed has nothing to
    /// close: that close fails with EBADF and is ignored.
    @inline(__always)
    mutating func closeLater(_ fd: FileDescriptor) {
        if plainSetup {
            if let real = takePlainDescriptor(slot: fd) {
                _ = try? ring.close(descriptor: real, userData: ChainStep.close.userData(0), flags: .skipSuccess)
            }
            return
        }
        if chainClosed[Int(fd.rawValue)] { return }  // the chain closed it already
        _ = try? ring.close(slot: UInt32(fd.rawValue), userData: ChainStep.close.userData(0), flags: .skipSuccess)
    }

    var uringTimers: UringTimerCounts? { timers }

    /// A step before the connect failed: the kernel cancelled the rest of the chain, its
    /// close too, so the loop's close of the slot is needed after all.
    @inline(__always) mutating func chainBroke(slot i: Int) { chainClosed[i] = false }

    /// Plain mode closes at once (the run may end before another enter); a fixed slot
    /// is closed by the ring, or with it when it is torn down.
    @inline(__always) mutating func close(_ fd: FileDescriptor) {
        if plainSetup {
            if let real = takePlainDescriptor(slot: fd) { FileDescriptor(rawValue: real).closeSocket() }
            return
        }
        closeLater(fd)
    }

    /// Plain mode hands the slot's socket over; a fixed-file slot has no descriptor to
    /// hand (``init`` makes a kept run plain), so it is closed.
    mutating func keep(_ fd: FileDescriptor, watched: Bool) -> Int32? {
        if plainSetup { return takePlainDescriptor(slot: fd) }
        closeLater(fd)
        return nil
    }

    /// Plain mode: the slot's socket, which the slot no longer holds after this.
    @inline(__always)
    func takePlainDescriptor(slot fd: FileDescriptor) -> Int32? {
        let k = Int(fd.rawValue)
        let real = plainFds[k]
        plainFds[k] = -1
        return real >= 0 ? real : nil
    }
    /// Closes are submitted by the next enter anyway.
    @inline(__always) mutating func flushCloses() {}
    /// No spare: the socket is made by the chain itself.
    @inline(__always) mutating func prepareSpare(domain: Int32) {}
    @inline(__always) mutating func dropSpare() {}
}
