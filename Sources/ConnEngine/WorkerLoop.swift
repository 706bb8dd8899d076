@preconcurrency import Glibc
import ConnSys
import Histogram

/// One worker's epoll loop and everything it owns.
///
/// A noncopyable struct run as a `mutating` method on a local variable: its counters and
/// histograms are then reached through `inout self`, so the per-connect path has no
/// dynamic exclusivity checks, no reference counting, no locks and no shared atomics.
/// It is built on the worker's own thread after pinning, so its memory is node-local.
struct WorkerLoop: ~Copyable {
    let plan: WorkerPlan
    let epoll: Epoll
    let events: EpollEventBuffer
    let slots: UnsafeMutablePointer<ConnSlot>
    let freeList: UnsafeMutablePointer<Int32>
    let capacity: Int
    var freeCount: Int
    let targets: [SocketAddress]
    var nextTarget: Int
    /// Some target is a local port inside the ephemeral range, so a connect to it can be
    /// given that very port and connect to itself; decided once, not per connect.
    let selfConnectPossible: Bool
    let sources: [SocketAddress]
    let reuseAddress: Bool
    let bindAddressNoPort: Bool
    var nextSource = 0
    let openLoop: Bool
    let closeWithReset: Bool
    let timeoutNs: UInt64
    let lateThresholdNs: UInt64
    let maxAttempts: UInt64
    let portRangeValue: UInt32

    var measured = Tally()
    var warmup = Tally()
    var localAttempts: UInt64 = 0
    var latency = LatencyHistogram.make()
    var service = LatencyHistogram.make()
    var connectCall = LatencyHistogram.make()
    var startLag = LatencyHistogram.make()
    var late: UInt64 = 0
    var capStalls: UInt64 = 0
    var capStallNs: UInt64 = 0
    var capStallSince: UInt64 = 0
    var selfConnects: UInt64 = 0
    let errors = ErrorTable()
    var series: IntervalSeries
    var onset: OnsetTrack
    /// `--until-exhausted` only: the online detector and when to stop after it fired.
    let untilExhausted: Bool
    let tailNs: UInt64
    var detector: OnsetDetector
    var detectorFed = 0
    var exhaustStopNs: UInt64 = .max
    var lastStartNs: UInt64 = 0
    let trackPorts: Bool
    var marks: ProgressMarks
    var intervalIndex = 0
    var intervalEndNs: UInt64 = 0

    /// Open loop: the next attempt's index in this worker's share of the schedule.
    var scheduleIndex: UInt64 = 0
    var nextIntendedNs: UInt64 = 0

    init(plan: WorkerPlan) throws(Errno) {
        self.plan = plan
        let config = plan.config
        epoll = try Epoll()
        capacity = Swift.max(1, config.resolvedConcurrency)
        events = EpollEventBuffer(capacity: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: ConnSlot(), count: capacity)
        freeList = .allocate(capacity: capacity)
        for i in 0..<capacity { freeList[i] = Int32(capacity - 1 - i) }
        freeCount = capacity
        targets = plan.targets
        nextTarget = plan.id % Swift.max(1, plan.targets.count)
        let ephemeral = EphemeralPorts.current()
        selfConnectPossible = plan.targets.contains { $0.family != .unix && ephemeral.contains($0.port) }
        sources = config.strategy.sources
        reuseAddress = config.strategy.reuseAddress
        bindAddressNoPort = config.strategy.bindAddressNoPort
        nextSource = plan.id % Swift.max(1, sources.count)
        openLoop = plan.perWorkerIntervalNs != nil
        closeWithReset = config.close == .rst
        timeoutNs = config.timeoutNs
        lateThresholdNs = config.lateThresholdNs
        maxAttempts = config.maxAttemptsPerWorker
        if let r = config.strategy.portRange {
            portRangeValue = UInt32(r.upperBound) << 16 | UInt32(r.lowerBound)
        } else {
            portRangeValue = 0
        }
        let total = plan.endNs - plan.startNs
        series = IntervalSeries(totalNs: total, intervalNs: config.intervalNs)
        onset = OnsetTrack(totalNs: total)
        untilExhausted = config.untilExhausted
        tailNs = config.tailNs
        detector = OnsetDetector(bucketNs: onset.bucketNs)
        trackPorts = plan.targets.contains { $0.family != .unix }
        marks = ProgressMarks(totalNs: total, enabled: !openLoop)
        intervalEndNs = plan.startNs + series.intervalNs
        if openLoop { nextIntendedNs = intended(0) }
    }

    deinit {
        slots.deallocate()
        freeList.deallocate()
    }

    // MARK: schedule

    /// The global schedule puts attempt j at start + j/R; this worker takes every
    /// `workerCount`-th attempt, offset by its id, so the workers interleave evenly.
    @inline(__always)
    func intended(_ k: UInt64) -> UInt64 {
        let j = Double(k) * Double(plan.workerCount) + Double(plan.id)
        return plan.startNs + UInt64(j * plan.perWorkerIntervalNs! / Double(plan.workerCount))
    }

    @inline(__always)
    mutating func interval(at t: UInt64) -> Int {
        if t >= intervalEndNs {
            intervalIndex = series.index(t - plan.startNs)
            intervalEndNs = plan.startNs + UInt64(intervalIndex + 1) * series.intervalNs
        }
        return intervalIndex
    }

    // MARK: the loop

    mutating func run(stop: StopFlag) {
        let scanStepNs = Swift.max(200_000, Swift.min(timeoutNs / 20, 5_000_000))
        var nextScanNs = plan.startNs + scanStepNs
        var now = MonotonicClock.now()
        while true {
            if now >= plan.endNs || stop.isStopped { break }
            if !openLoop { marks.advance(to: now - plan.startNs, attempts: localAttempts) }
            var backoff = false
            let mayStart = maxAttempts == 0 || localAttempts < maxAttempts
            if openLoop {
                if mayStart && nextIntendedNs <= now {
                    if freeCount == 0 {
                        if capStallSince == 0 { capStallSince = now; capStalls += 1 }
                    } else {
                        if capStallSince != 0 { capStallNs += now - capStallSince; capStallSince = 0 }
                        while freeCount > 0 && nextIntendedNs <= now && nextIntendedNs < plan.endNs
                                && (maxAttempts == 0 || localAttempts < maxAttempts) {
                            let idx = scheduleIndex
                            scheduleIndex += 1
                            startAttempt(intendedNs: nextIntendedNs, globalIndex: idx)
                            nextIntendedNs = intended(scheduleIndex)
                            now = MonotonicClock.now()
                        }
                    }
                }
            } else if mayStart {
                while freeCount > 0 && (maxAttempts == 0 || localAttempts < maxAttempts) {
                    if !startAttempt(intendedNs: 0, globalIndex: 0) { backoff = true; break }
                }
                now = MonotonicClock.now()
            }
            if !mayStart && freeCount == capacity { break }
            if untilExhausted {
                feedDetector(now: now)
                if now >= exhaustStopNs {
                    plan.onsetStop.stop()
                    stop.stop()
                    break
                }
            }
            if now >= nextScanNs {
                expireTimeouts(now: now)
                nextScanNs = now + scanStepNs
            }
            var wakeNs = Swift.min(plan.endNs, nextScanNs, now + 50_000_000)
            if openLoop && freeCount > 0 && mayStart { wakeNs = Swift.min(wakeNs, nextIntendedNs) }
            if backoff { wakeNs = Swift.min(wakeNs, now + 1_000_000) }
            let timeout: Int64 = wakeNs > now ? Int64(wakeNs - now) : 0
            let n = (try? epoll.wait(into: events, timeoutNanoseconds: timeout)) ?? 0
            now = MonotonicClock.now()
            if n > 0 { completeEvents(count: n, now: now) }
        }
        if capStallSince != 0 { capStallNs += now - capStallSince }
        abandonInFlight()
    }

    /// Feeds the online detector every bucket that has closed; when it fires, the run
    /// ends `tailNs` later (so the report still shows the rate after onset).
    mutating func feedDetector(now: UInt64) {
        let current = onset.index(now - plan.startNs)
        while detectorFed < current {
            if detector.feed(onset.buckets[detectorFed]) != nil {
                exhaustStopNs = Swift.min(exhaustStopNs, now + tailNs)
            }
            detectorFed += 1
        }
    }

    // MARK: one attempt

    /// Starts one attempt. Returns false when it failed at once (closed loop backs off).
    @inline(__always) @discardableResult
    mutating func startAttempt(intendedNs: UInt64, globalIndex: UInt64) -> Bool {
        let slotIndex = Int(freeList[freeCount - 1])
        freeCount -= 1
        localAttempts += 1
        let callStart: UInt64
        var isMeasured: Bool
        let target = targets[nextTarget]
        let targetIndex = nextTarget
        nextTarget += 1
        if nextTarget == targets.count { nextTarget = 0 }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.socket(domain: target.domain)
        } catch {
            let now = MonotonicClock.now()
            isMeasured = (openLoop ? intendedNs : now) >= plan.measureStartNs
            tallyStart(measured: isMeasured, at: now)
            failNoSocket(slotIndex: slotIndex, errno: error, site: .socket, measured: isMeasured, now: now)
            return false
        }
        var slot = ConnSlot()
        slot.fd = fd.rawValue
        slot.generation = slots[slotIndex].generation &+ 1
        slot.localAttempt = localAttempts
        if let site = prepare(fd) {
            let now = MonotonicClock.now()
            isMeasured = (openLoop ? intendedNs : now) >= plan.measureStartNs
            slot.measured = isMeasured
            slots[slotIndex] = slot
            tallyStart(measured: isMeasured, at: now)
            fail(slotIndex: slotIndex, errno: site.errno, site: site.site, now: now)
            return false
        }
        callStart = MonotonicClock.now()
        slot.callNs = callStart
        slot.intendedNs = openLoop ? intendedNs : callStart
        isMeasured = slot.intendedNs >= plan.measureStartNs
        slot.measured = isMeasured
        slot.deadlineNs = callStart + timeoutNs
        slots[slotIndex] = slot
        let result: Result<Bool, Errno>
        do { result = .success(try fd.connect(to: target)) } catch { result = .failure(error) }
        let callEnd = MonotonicClock.now()
        tallyStart(measured: isMeasured, at: callStart)
        if isMeasured {
            connectCall.recordClamped(callEnd - callStart)
            if openLoop {
                let lag = callStart > intendedNs ? callStart - intendedNs : 0
                startLag.recordClamped(lag)
                if lag > lateThresholdNs { late += 1 }
            }
        }
        series.connectCall[interval(at: callStart)].recordClampedMicros(callEnd - callStart)
        let b = onset.index(callStart - plan.startNs)
        onset.buckets[b].calls &+= 1
        onset.buckets[b].callNs &+= callEnd - callStart
        if trackPorts, case .success = result, let port = try? fd.localPort() {
            if port & 1 == 0 { onset.buckets[b].evenPorts &+= 1 } else { onset.buckets[b].oddPorts &+= 1 }
        }
        switch result {
        case .success(true):
            established(slotIndex: slotIndex, now: callEnd, targetIndex: targetIndex)
            return true
        case .success(false):
            do {
                try epoll.add(fd, events: Epoll.writable, tag: ConnSlot.tag(slot: slotIndex, generation: slot.generation))
            } catch {
                fail(slotIndex: slotIndex, errno: error, site: .connect, now: callEnd)
                return false
            }
            return true
        case .failure(let e):
            fail(slotIndex: slotIndex, errno: e, site: .connect, now: callEnd)
            return false
        }
    }

    /// Socket options and bind, per the strategy. Returns the failing call, if any.
    @inline(__always)
    mutating func prepare(_ fd: FileDescriptor) -> (site: SyscallSite, errno: Errno)? {
        do {
            if reuseAddress { try fd.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1)) }
            if bindAddressNoPort {
                try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.bindAddressNoPort, value: Int32(1))
            }
            if portRangeValue != 0 {
                try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.localPortRange, value: portRangeValue)
            }
        } catch {
            return (.setsockopt, error)
        }
        if !sources.isEmpty {
            let source = sources[nextSource]
            nextSource += 1
            if nextSource == sources.count { nextSource = 0 }
            do { try fd.bind(to: source) } catch { return (.bind, error) }
        }
        return nil
    }

    @inline(__always)
    mutating func tallyStart(measured isMeasured: Bool, at t: UInt64) {
        if isMeasured { measured.attempts += 1 } else { warmup.attempts += 1 }
        series.started[interval(at: t)] += 1
        onset.buckets[onset.index(t - plan.startNs)].started &+= 1
        lastStartNs = t
    }

    // MARK: endings

    @inline(__always)
    mutating func completeEvents(count n: Int, now: UInt64) {
        for i in 0..<n {
            let tag = events.tag(at: i)
            let slotIndex = Int(UInt32(truncatingIfNeeded: tag))
            guard slotIndex < capacity, slots[slotIndex].isBusy,
                  slots[slotIndex].generation == UInt32(truncatingIfNeeded: tag >> 32) else { continue }
            let fd = FileDescriptor(rawValue: slots[slotIndex].fd)
            let pending: Errno?
            do { pending = try fd.pendingError() } catch { pending = error }
            if let pending {
                fail(slotIndex: slotIndex, errno: pending, site: .soError, now: now)
            } else if events.flags(at: i) & Epoll.writable != 0 {
                established(slotIndex: slotIndex, now: now, targetIndex: -1)
            } else {
                fail(slotIndex: slotIndex, errno: .socketNotConnected, site: .soError, now: now)
            }
        }
    }

    @inline(__always)
    mutating func established(slotIndex: Int, now: UInt64, targetIndex: Int) {
        let slot = slots[slotIndex]
        let fd = FileDescriptor(rawValue: slot.fd)
        if slot.measured {
            measured.established += 1
            latency.recordClamped(now - slot.intendedNs)
            service.recordClamped(now - slot.callNs)
        } else {
            warmup.established += 1
        }
        let i = interval(at: now)
        series.established[i] += 1
        onset.buckets[onset.index(now - plan.startNs)].established &+= 1
        series.latency[i].recordClampedMicros(now - slot.intendedNs)
        if selfConnectPossible { checkSelfConnect(fd) }
        if closeWithReset { try? fd.setLingerZero() }
        release(slotIndex: slotIndex)
    }

    /// A connect to a local port inside the ephemeral range, with no listener there, can
    /// be given that very port as its source and connect to itself (simultaneous open).
    mutating func checkSelfConnect(_ fd: FileDescriptor) {
        guard let local = try? fd.localAddress(), let peer = try? fd.peerAddress() else { return }
        if local == peer { selfConnects += 1 }
    }

    @inline(__always)
    mutating func fail(slotIndex: Int, errno: Errno, site: SyscallSite, now: UInt64) {
        let slot = slots[slotIndex]
        countFailure(errno: errno, site: site, measured: slot.measured, localAttempt: slot.localAttempt, now: now)
        release(slotIndex: slotIndex)
    }

    /// socket() itself failed: there is no descriptor to close.
    @inline(__always)
    mutating func failNoSocket(slotIndex: Int, errno: Errno, site: SyscallSite, measured isMeasured: Bool, now: UInt64) {
        countFailure(errno: errno, site: site, measured: isMeasured, localAttempt: localAttempts, now: now)
        freeList[freeCount] = Int32(slotIndex)
        freeCount += 1
    }

    @inline(__always)
    mutating func countFailure(errno: Errno, site: SyscallSite, measured isMeasured: Bool, localAttempt: UInt64, now: UInt64) {
        let i = interval(at: now)
        series.errors[i * ErrorTable.errnoSlots + ErrorTable.slot(errno)] += 1
        if site == .timeout {
            series.timedOut[i] += 1
            if isMeasured { measured.timedOut += 1 } else { warmup.timedOut += 1 }
        } else {
            series.failed[i] += 1
            if isMeasured { measured.failed += 1 } else { warmup.failed += 1 }
        }
        if isMeasured { errors.count(errno, at: site, nowNs: now - plan.startNs, localAttempt: localAttempt) }
        let b = onset.index(now - plan.startNs)
        onset.buckets[b].failed &+= 1
        if site != .timeout && OnsetBucket.isExhaustion(errno) {
            onset.buckets[b].exhaustion &+= 1
            if untilExhausted && exhaustStopNs == .max { exhaustStopNs = now + tailNs }
        }
    }

    @inline(__always)
    mutating func release(slotIndex: Int) {
        FileDescriptor(rawValue: slots[slotIndex].fd).closeSocket()
        slots[slotIndex].fd = -1
        freeList[freeCount] = Int32(slotIndex)
        freeCount += 1
    }

    /// connbench's own timer: a connect whose SYN was dropped can sit in SYN_SENT for
    /// minutes of kernel retries; the run counts it as ETIMEDOUT and reuses the slot.
    mutating func expireTimeouts(now: UInt64) {
        guard freeCount < capacity else { return }
        for i in 0..<capacity where slots[i].isBusy && slots[i].deadlineNs <= now {
            fail(slotIndex: i, errno: .timedOut, site: .timeout, now: now)
        }
    }

    /// The run ended with these still connecting: they are counted as in flight.
    mutating func abandonInFlight() {
        for i in 0..<capacity where slots[i].isBusy {
            if slots[i].measured { measured.inFlight += 1 } else { warmup.inFlight += 1 }
            FileDescriptor(rawValue: slots[i].fd).closeSocket()
            slots[i].fd = -1
        }
    }

    // MARK: result

    consuming func finish(cpu: Int?, pinMethod: CPUAffinity.Method?, pinError: Errno?, cpuNs: UInt64, wallNs: UInt64) -> WorkerResult {
        var r = WorkerResult(id: plan.id, cpu: cpu, pinMethod: pinMethod, pinError: pinError)
        r.measured = measured
        r.warmup = warmup
        r.latency = latency
        r.service = service
        r.connectCall = connectCall
        r.startLag = startLag
        r.late = late
        r.capStalls = capStalls
        r.capStallNs = capStallNs
        r.errors = errors.entries()
        r.intervalStarted = series.started
        r.intervalEstablished = series.established
        r.intervalFailed = series.failed
        r.intervalTimedOut = series.timedOut
        r.intervalErrors = series.errors
        r.intervalLatency = series.latency
        r.intervalConnectCall = series.connectCall
        r.marks = marks.marks
        r.selfConnects = selfConnects
        r.onsetBucketNs = onset.bucketNs
        r.onsetBuckets = onset.snapshot(upTo: onset.index(MonotonicClock.now() - plan.startNs) + 1)
        r.lastStartNs = lastStartNs > plan.startNs ? lastStartNs - plan.startNs : 0
        r.cpuNs = cpuNs
        r.wallNs = wallNs
        return r
    }
}

/// The host's (or the namespace's) ephemeral port range, for the self-connect check.
public struct EphemeralPorts: Sendable, Equatable {
    public var low: UInt16
    public var high: UInt16

    public static func current() -> EphemeralPorts {
        let text = ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range") ?? ""
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        return parts.count == 2 ? EphemeralPorts(low: parts[0], high: parts[1]) : EphemeralPorts(low: 32768, high: 60999)
    }

    public func contains(_ port: UInt16) -> Bool { port >= low && port <= high }
    public var count: Int { Int(high) - Int(low) + 1 }
}
