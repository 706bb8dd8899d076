import ConnSys
import ConnModel
import ConnAnalysis

/// One worker's loop: it asks the schedule what is due, takes a slot, lets the driver
/// make the calls and hands every outcome to the recorders.
///
/// The loop never stops observing. Starts come in bounded turns (`turnLimit` attempts
/// or `startBudgetNs`, whichever ends first), and every turn ends with an epoll poll —
/// zero timeout while more is due — so completions are seen within one turn even when
/// the generator is far behind (after an exhaustion onset each connect() costs ms) or
/// the listener is slow. No attempt starts once the clock is past the end of the window.
///
/// A noncopyable struct run as a `mutating` method on a local variable, built on the
/// worker's own thread after pinning: its memory is node-local and the per-connect path
/// has no reference counting, locks or shared atomics.
///
/// Generic over its ``ConnectDriver`` and specialised for each: `Driver.submitsChains`
/// is a constant, so the epoll loop carries none of io_uring's branches and back.
struct WorkerLoop<Driver: ConnectDriver & ~Copyable>: ~Copyable {
    let plan: WorkerPlan
    var slots: SlotTable
    var driver: Driver
    var rec: WorkerRecorders
    var sched: SchedulerTrack
    var schedule: OpenLoopSchedule?
    var timeline = Timeline(startNs: 0, warmupNs: 0, durationNs: 0)
    var rotation: TargetRotation
    var targets: [SocketAddress] { rotation.targets }
    var selfConnect: SelfConnectCheck
    /// Source ports are read (for parity and TIME_WAIT) only where a descriptor can say
    /// them: TCP on epoll. Parity is read for 1 attempt in `mask + 1`, every attempt with
    /// `--until-exhausted` (a 1000-port range runs out in tens of ms).
    let portSampling: (enabled: Bool, mask: UInt64)
    let timeoutNs: UInt64
    let maxAttempts: UInt64
    let spinNs: UInt64
    var localAttempts: UInt64 = 0
    /// Attempts handed to epoll and not yet ended: with none, a poll has nothing to see.
    var watched = 0
    var onsetWatch: OnlineOnsetWatch
    /// `hold`: established connections kept open (``KeepOpen``); disabled otherwise.
    var kept: KeptSockets
    /// Intervals published for the progress line, and when the next one ends.
    var progressPublished = 0
    var nextProgressNs: UInt64 = .max
    /// When the loop stopped starting attempts (the end, or earlier on a stop).
    var loopEndNs: UInt64 = 0

    /// A turn of starts ends after `driver.turnLimit` attempts or this long, then the loop polls.
    static var startBudgetNs: UInt64 { 50_000 }
    /// After the window, pending connects get this long (at most the timeout) to finish.
    static var drainNs: UInt64 { 200_000_000 }

    /// `ephemeral`: the range of the namespace the worker runs in, read on its thread.
    init(plan: WorkerPlan, ephemeral: EphemeralPorts) throws(Errno) {
        self.plan = plan
        let config = plan.config
        let capacity = Swift.max(1, config.resolvedConcurrency)
        slots = SlotTable(capacity: capacity)
        driver = try Driver(capacity: capacity, config: config, workerID: plan.id, targets: plan.targets)
        let totalNs = config.warmupNs + config.durationNs
        rec = WorkerRecorders(totalNs: totalNs, durationNs: config.durationNs, intervalNs: config.intervalNs,
                              lateThresholdNs: config.lateThresholdNs, progressMarks: plan.workerCount > 1)
        sched = SchedulerTrack(seriesCount: rec.series.count, intervalNs: config.intervalNs)
        rotation = TargetRotation(targets: plan.targets, sources: config.strategy.sources.count, workerID: plan.id)
        // io_uring's sockets live in fixed-file slots with no descriptor to ask for the
        // local port: no port parity sample and no self-connect check there.
        selfConnect = SelfConnectCheck(ports: Driver.submitsChains ? []
            : plan.targets.filter { $0.family != .unix && $0.isLoopback && ephemeral.contains($0.port) }.map(\.port))
        portSampling = (!Driver.submitsChains && plan.targets.contains { $0.family != .unix }, config.untilExhausted ? 0 : 7)
        timeoutNs = config.timeoutNs
        maxAttempts = plan.maxAttempts
        kept = KeptSockets(keep: config.keepOpen, attempts: plan.maxAttempts, place: plan.place, places: plan.places)
        spinNs = config.spinNs
        onsetWatch = OnlineOnsetWatch(enabled: config.untilExhausted, tailNs: config.tailNs,
                                      detector: OnsetDetector(bucketNs: rec.onset.bucketNs, parameters: .init(engine: Driver.engine)))
    }

    var openLoop: Bool { plan.perWorkerIntervalNs != nil }

    // MARK: the loop

    mutating func run(_ t: Timeline, stop: StopFlag) {
        begin(t)
        let scanStepNs = Swift.max(200_000, Swift.min(timeoutNs / 20, 5_000_000))
        // io_uring never scans (the kernel enforces each deadline), so its poll must not
        // wake for a scan: a scan time left in the past made every later poll a zero-timeout
        // one, and a worker with connects pending spun at 16 enters per attempt.
        var nextScanNs = Driver.submitsChains ? UInt64.max : t.startNs + scanStepNs
        var now = MonotonicClock.now()
        var lastPollNs = now
        while now < t.endNs && !stop.isStopped {
            rec.marks.advance(to: now - t.startNs, attempts: localAttempts)
            let mayStart = (maxAttempts == 0 || localAttempts < maxAttempts) && !kept.limitHit
            if !mayStart && slots.busyCount == 0 { break }
            let turn = mayStart ? startTurn(now: &now, endNs: t.endNs) : (moreDue: false, started: false)
            if onsetWatch.enabled {
                feedDetector(now: now)
                if now >= onsetWatch.stopNs {
                    plan.onsetStop.stop()
                    stop.stop()
                    break
                }
            }
            if now >= nextProgressNs { publishProgress(now: now) }
            if now >= sched.nextNs { sched.sample(now: now) }
            // Deadlines: each socket's real state is read first, so a completion this
            // turn has not polled for yet is still found established.
            if !Driver.submitsChains && now >= nextScanNs {
                expireTimeouts(upTo: Swift.min(now, t.endNs), now: now)
                nextScanNs = now + scanStepNs
            }
            let (timeout, spinning) = turn.moreDue ? (Int64(0), false)
                : pollWait(now: now, until: Swift.min(t.endNs, nextScanNs, now + 50_000_000), mayStart: mayStart)
            driver.flushCloses()
            if schedule != nil && (spinning || timeout > 0) && mayStart { driver.prepareSpare(domain: targets[rotation.next].domain) }
            if timeout == 0 && watched == 0 && !spinning {
                // Nothing handed to epoll and more to start now: there is nothing a poll
                // could show, so the turn goes on without one.
                now = MonotonicClock.now()
                lastPollNs = now
                continue
            }
            // The gap only matters while epoll holds connects that may have completed.
            if watched > 0 { rec.f.gap.recordClamped(now - lastPollNs) }
            let n = driver.poll(timeoutNs: timeout)
            let polled = MonotonicClock.now()
            // A poll that came back far later than it asked to: the loop did not run.
            let asked = now + UInt64(timeout)
            if polled > asked && polled - asked >= SchedulerTrack.stallNs { sched.stalled(fromNs: asked, toNs: polled) }
            if Driver.submitsChains {
                let c = driver.takeSubmitCost()
                if c.chains > 0 { rec.submissionCost(c) }
            }
            // A spin turn that started nothing is spin from the last poll to this one.
            if spinning && n == 0 && !turn.started { rec.f.spinNs += polled - lastPollNs }
            now = polled
            lastPollNs = now
            // The clock is read again after the endings: the next turn checks its starts
            // against the window's end and dates them with it, and ending a batch takes time.
            if n > 0 { complete(count: n, now: now); now = MonotonicClock.now() }
            if Driver.submitsChains { driver.armTimers(slots) }
        }
        endWindow(now: now, stop: stop)
    }

    /// The schedule, the recorders and the progress line start at the timeline's start.
    mutating func begin(_ t: Timeline) {
        timeline = t
        rec.begin(t)
        sched.begin(startNs: t.startNs)
        if let interval = plan.perWorkerIntervalNs {
            schedule = OpenLoopSchedule(startNs: t.startNs, workerCount: plan.places, id: plan.place, perWorkerIntervalNs: interval)
        }
        if plan.progress != nil { nextProgressNs = t.startNs + rec.series.intervalNs }
    }

    /// A bounded turn of starts. A closed loop starts again as soon as an attempt ends,
    /// also when it failed inside the call: against a refusing target it runs as fast as
    /// the kernel answers, with no pause of the generator's own. `moreDue`: the turn ended
    /// on its bound with starts still due, so the poll must not wait.
    @inline(__always)
    mutating func startTurn(now: inout UInt64, endNs: UInt64) -> (moreDue: Bool, started: Bool) {
        let turnEnd = now + Self.startBudgetNs
        var n = 0
        while now < endNs && (maxAttempts == 0 || localAttempts < maxAttempts) {
            let before = now
            rec.marks.advance(to: before &- timeline.startNs, attempts: localAttempts)
            if var s = schedule {
                guard s.nextNs <= now else { break }
                guard slots.freeCount > 0 else { rec.capStall(begins: now); break }
                rec.capStall(ends: now)
                let intended = s.take()
                schedule = s
                start(intendedNs: intended, at: before)
            } else {
                guard slots.freeCount > 0 else { break }
                start(intendedNs: nil, at: before)
            }
            now = MonotonicClock.now()
            if now &- before >= SchedulerTrack.stallNs { sched.stalled(fromNs: before, toNs: now) }
            n += 1
            // The time budget guards completions waiting in epoll; with none there, only
            // the batch bounds the turn. io_uring: queueing is free; the chains run one
            // after another inside the enter that submits them, so the turn is bounded by
            // their expected kernel time (the driver's `turnLimit`), not by the clock here.
            if n >= driver.turnLimit || (!Driver.submitsChains && watched > 0 && now >= turnEnd) { return (true, true) }
        }
        return (false, n > 0)
    }

    /// How long the poll may wait: not past the next due start, scan or end (`wake`). A
    /// wait shorter than `--spin` is not slept: the timer would wake too late. With
    /// --spin, it sleeps until `spinNs` before the wake-up and spins the rest.
    @inline(__always)
    func pollWait(now: UInt64, until wake: UInt64, mayStart: Bool) -> (timeout: Int64, spinning: Bool) {
        var wake = wake
        if let s = schedule, slots.freeCount > 0, mayStart { wake = Swift.min(wake, s.nextNs) }
        let wait = wake > now ? wake - now : 0
        if wait > 0 && wait <= spinNs { return (0, true) }
        return (Int64(wait - (spinNs < wait ? spinNs : 0)), false)
    }

    /// The window has ended (or a stop came): publish the last interval, take the last
    /// samples, then let what is in flight finish (the drain) or abandon it.
    mutating func endWindow(now: UInt64, stop: StopFlag) {
        let t = timeline
        // The window's last interval ends with the loop: publish it now, not after the drain.
        // A run stopped early (Ctrl-C, onset) publishes the interval it stopped in.
        if plan.progress != nil {
            let upTo = now >= t.endNs ? t.endNs
                : t.startNs + UInt64(rec.series.index(now > t.startNs ? now - t.startNs : 0) + 1) * rec.series.intervalNs
            publishProgress(now: upTo)
        }
        sched.sample(now: now)
        driver.flushCloses()  // before the drain, so it does not hold the last turn's sockets open
        rec.capStall(ends: now)
        loopEndNs = Swift.min(now, t.endNs)
        // No start comes after the loop: the marks past it hold the final count, so an
        // error of another worker's drain is numbered after all of this worker's attempts.
        rec.marks.advance(to: UInt64.max - t.startNs, attempts: localAttempts)
        if !stop.isStopped || plan.onsetStop.isStopped { drain(stop: stop) }
        abandonInFlight()
    }

    /// After the window: no new starts; pending connects get a short time to finish, and
    /// those whose deadline fell inside the window are checked and counted there. A
    /// build-up that keeps its connections gives each pending one its whole timeout.
    mutating func drain(stop: StopFlag) {
        let until = MonotonicClock.now() + (kept.enabled ? timeoutNs : Swift.min(timeoutNs, Self.drainNs))
        if !Driver.submitsChains { expireTimeouts(upTo: timeline.endNs, now: MonotonicClock.now()) }
        while slots.busyCount > 0 && !(stop.isStopped && !plan.onsetStop.isStopped) {
            let now = MonotonicClock.now()
            if now >= until { break }
            let n = driver.poll(timeoutNs: Int64(Swift.min(until - now, 5_000_000)))
            if n > 0 { complete(count: n, now: MonotonicClock.now()) }
            if Driver.submitsChains { driver.armTimers(slots) }
        }
    }

    /// Publishes every interval that has ended since the last call: once per interval,
    /// one histogram percentile and a few relaxed stores into this worker's own slot.
    /// Counts that land in an interval after it was published (a timeout dated at its
    /// deadline) reach the report, not the line.
    mutating func publishProgress(now: UInt64) {
        guard let slot = plan.progress else { return }
        let current = rec.series.index(now > timeline.startNs ? now - timeline.startNs : 0)
        while progressPublished < current {
            let k = progressPublished
            var f = ProgressSlot.Figures(started: rec.series.started[k], established: rec.series.established[k],
                                         failed: rec.series.failed[k], timedOut: rec.series.timedOut[k])
            let base = k * ErrorTable.errnoSlots
            for e in OnsetBucket.exhaustionErrnos { f.exhaustion += UInt64(rec.series.errors[base + ErrorTable.slot(e)]) }
            let h = rec.series.latency[k]
            f.p99Us = h.totalCount > 0 ? UInt64(h.valueAtPercentile(99)) : 0
            f.onset = onsetWatch.fired != nil
            slot.publish(f, interval: k)
            progressPublished = k + 1
        }
        nextProgressNs = timeline.startNs + UInt64(current + 1) * rec.series.intervalNs
    }


    /// Feeds the online detector every bucket that has closed.
    mutating func feedDetector(now: UInt64) {
        let current = rec.bucket(at: now)
        while onsetWatch.fed < current { onsetWatch.feed(rec.onset.buckets[onsetWatch.fed], now: now) }
    }

    // MARK: one attempt

    /// Starts one attempt; one that fails inside the call is counted and its slot is free again.
    /// It is dated `beganNs`, the clock read the loop checked against the window's end:
    /// socket() between that check and connect() must not carry a start past the end.
    @inline(__always)
    mutating func start(intendedNs: UInt64?, at beganNs: UInt64) {
        let i = slots.acquire()
        localAttempts += 1
        let targetIndex = rotation.take()
        slots.slots[i].localAttempt = localAttempts
        Driver.startAttempt(&self, slot: i, intendedNs: intendedNs, target: targetIndex, at: beganNs)
    }
}

extension WorkerLoop where Driver: ReadinessDriver & ~Copyable {
    /// Epoll: socket(), connect() timed on its own, a poll that often settles it at once,
    /// else epoll watches it.
    @inline(__always)
    mutating func startOnSocket(_ i: Int, intendedNs: UInt64?, target targetIndex: Int, at beganNs: UInt64) {
        let target = targets[targetIndex]
        let fd: FileDescriptor
        switch driver.open(domain: target.domain) {
        case .success(let f): fd = f
        case .failure(let e):
            let now = MonotonicClock.now()
            let measured = (intendedNs ?? beganNs) >= timeline.measureStartNs
            rec.started(measured: measured, at: beganNs)
            rec.failed(errno: e.errno, site: e.site, measured: measured, localAttempt: localAttempts, at: now)
            noteExhaustion(e.errno, site: e.site, at: now)
            slots.release(i)
            return
        }
        let sampled = sched.available && localAttempts & (SchedulerTrack.sampleEvery - 1) == 0
        let waitBefore = sampled ? sched.waitNow() : 0
        let callNs = MonotonicClock.now()
        let measured = (intendedNs ?? beganNs) >= timeline.measureStartNs
        slots.slots[i].sampled = sampled
        slots.slots[i].waitAtCallNs = waitBefore
        slots.slots[i].fd = fd.rawValue
        slots.slots[i].measured = measured
        slots.slots[i].intendedNs = intendedNs ?? callNs
        slots.slots[i].callNs = callNs
        slots.slots[i].deadlineNs = callNs + timeoutNs
        var outcome = driver.connect(fd, to: target)
        var returnNs = MonotonicClock.now()
        rec.started(measured: measured, at: beganNs)
        rec.connectCalled(measured: measured, intendedNs: intendedNs, callNs: callNs, returnNs: returnNs)
        if sampled { rec.callRunning(measured: measured, callNs: callNs, returnNs: returnNs, waitNs: sched.waitNow() &- waitBefore) }
        if portSampling.enabled {
            if case .failed = outcome {} else { sampleSourcePort(fd, target: target, at: callNs) }
        }
        if sampled { slots.slots[i].sampleCostNs = MonotonicClock.now() - returnNs }
        if outcome == .pending {
            outcome = driver.settleQuickly(fd)
            if outcome != .pending {
                returnNs = MonotonicClock.now()
                rec.f.settledAtOnce += 1
            }
        }
        switch outcome {
        case .established:
            established(i, at: returnNs)
        case .pending:
            if let e = driver.watch(fd, tag: slots.tag(i)) {
                fail(i, errno: e, site: .connect, at: returnNs)
                return
            }
            slots.slots[i].watched = true
            watched += 1
        case .failed(let site, let e):
            fail(i, errno: e, site: site, at: returnNs)
        }
    }
}

extension WorkerLoop where Driver: ~Copyable {
    /// Frees a slot whose outcome is already counted, closing its socket.
    @inline(__always)
    mutating func release(_ i: Int) {
        if slots.slots[i].watched { watched -= 1; slots.slots[i].watched = false }
        driver.close(FileDescriptor(rawValue: slots.slots[i].fd))
        slots.release(i)
    }

    /// Port parity, for the onset detector, on a sample of attempts.
    @inline(__always)
    mutating func sampleSourcePort(_ fd: FileDescriptor, target: SocketAddress, at t: UInt64) {
        guard localAttempts & portSampling.mask == 0, let port = driver.localPort(fd) else { return }
        rec.sourcePort(port, at: t)
    }

    /// A self-connect: the local port is the target's (the peer is the target by
    /// construction, so the port is all there is to compare).
    @inline(__always)
    mutating func checkSelfConnect(_ i: Int) {
        if let port = driver.localPort(FileDescriptor(rawValue: slots.slots[i].fd)), selfConnect.ports.contains(port) {
            rec.f.selfConnects += 1
        }
    }

    // MARK: endings

    @inline(__always)
    mutating func complete(count n: Int, now: UInt64) {
        Driver.completeAttempts(&self, count: n, now: now)
    }
}

extension WorkerLoop where Driver: ReadinessDriver & ~Copyable {
    /// Epoll: each event carries its attempt's tag; its flags say how the connect ended.
    @inline(__always)
    mutating func completeEvents(count n: Int, now: UInt64) {
        for k in 0..<n {
            let tag = driver.completionTag(at: k)
            guard let i = slots.slot(forTag: tag) else { continue }
            switch driver.outcome(at: k, fd: FileDescriptor(rawValue: slots.slots[i].fd)) {
            case .established: established(i, at: now)
            case .failed(let site, let e): fail(i, errno: e, site: site, at: now)
            case .pending: continue
            }
        }
    }
}

extension WorkerLoop where Driver: ~Copyable {
    @inline(__always)
    mutating func established(_ i: Int, at now: UInt64) {
        rec.established(slots.slots[i], at: now)
        if slots.slots[i].sampled {
            rec.serviceRunning(slots.slots[i], at: now, waitNs: (sched.waitNow() &- slots.slots[i].waitAtCallNs) &+ slots.slots[i].sampleCostNs)
        }
        checkSyn(i, ending: .established, at: now)
        if selfConnect.armed { checkSelfConnect(i) }
        let wasWatched = slots.slots[i].watched
        if wasWatched { watched -= 1; slots.slots[i].watched = false }
        if kept.enabled {
            keepOpen(i, watched: wasWatched, at: now)
        } else {
            driver.closeLater(FileDescriptor(rawValue: slots.slots[i].fd))
        }
        slots.release(i)
    }

    /// ``KeepOpen``: the connection stays open, its descriptor kept past the slot.
    mutating func keepOpen(_ i: Int, watched: Bool, at now: UInt64) {
        if let fd = driver.keep(FileDescriptor(rawValue: slots.slots[i].fd), watched: watched) {
            kept.keep(fd, slots.slots[i], at: now)
        }
    }

    /// Reads TCP_INFO of an attempt old enough to have retransmitted its SYN, before its
    /// socket is closed: the count then covers every ending, as the kernel's counter does.
    @inline(__always)
    mutating func checkSyn(_ i: Int, ending: SynRetransmits.Ending, at now: UInt64) {
        guard !Driver.submitsChains, now >= slots.slots[i].callNs &+ SynRetransmits.checkAfterNs,
              let n = driver.synRetransmits(FileDescriptor(rawValue: slots.slots[i].fd)) else { return }
        rec.synChecked(retransmits: n, ending: ending, measured: slots.slots[i].measured, at: now)
    }

    @inline(__always)
    mutating func fail(_ i: Int, errno: Errno, site: SyscallSite, at t: UInt64) {
        checkSyn(i, ending: site == .timeout ? .timedOut : .failed, at: t)
        let slot = slots.slots[i]
        rec.failed(errno: errno, site: site, measured: slot.measured, localAttempt: slot.localAttempt, at: t)
        noteExhaustion(errno, site: site, at: t)
        if errno == .connectionRefused && !selfConnect.ports.isEmpty { selfConnect.armed = true }
        if kept.enabled { kept.failed() }
        if slot.watched { watched -= 1; slots.slots[i].watched = false }
        driver.close(FileDescriptor(rawValue: slot.fd))
        slots.release(i)
    }

    @inline(__always)
    mutating func noteExhaustion(_ errno: Errno, site: SyscallSite, at t: UInt64) {
        onsetWatch.noteErrno(errno, site: site, at: t)
    }

    /// connbench's own timer: a connect whose SYN was dropped can sit in SYN_SENT for
    /// minutes of kernel retries. At its deadline the socket's real state is read first:
    /// a connect the kernel completed is established (stamped now, when first seen), one
    /// that failed is that errno; only a socket still connecting is a timeout, dated at
    /// its deadline. Deadlines after `upTo` (the end of the window) stay in flight.
    mutating func expireTimeouts(upTo limit: UInt64, now: UInt64) {
        guard slots.busyCount > 0 else { return }
        for i in 0..<slots.capacity where slots.slots[i].isBusy && slots.slots[i].deadlineNs <= limit {
            let fd = FileDescriptor(rawValue: slots.slots[i].fd)
            switch driver.verify(fd) {
            case .established:
                rec.f.timeoutsFoundEstablished += 1
                established(i, at: now)
            case .failed(let site, let e):
                rec.f.timeoutsFoundFailed += 1
                fail(i, errno: e, site: site, at: now)
            case .pending:
                fail(i, errno: .timedOut, site: .timeout, at: slots.slots[i].deadlineNs)
            }
        }
    }

    /// The run ended with these still connecting: they are counted as in flight.
    mutating func abandonInFlight() {
        driver.flushCloses()
        driver.dropSpare()
        let now = MonotonicClock.now()
        for i in 0..<slots.capacity where slots.slots[i].isBusy {
            checkSyn(i, ending: .inFlight, at: now)
            rec.inFlight(measured: slots.slots[i].measured)
            driver.close(FileDescriptor(rawValue: slots.slots[i].fd))
            slots.release(i)
        }
    }

    // MARK: result

    consuming func finish(cpu: Int?, pinMethod: CPUAffinity.Method?, pinError: Errno?, cpuNs: UInt64, wallNs: UInt64) -> WorkerResult {
        var r = WorkerResult(id: plan.id, cpu: cpu, pinMethod: pinMethod, pinError: pinError)
        r.figures = rec.f
        r.errors = rec.errors.entries()
        r.intervalStarted = rec.series.started
        r.intervalEstablished = rec.series.established
        r.intervalFailed = rec.series.failed
        r.intervalTimedOut = rec.series.timedOut
        r.intervalSynRetransmits = rec.series.synRetransmits
        let totals = sched.totals()
        r.scheduling = WorkerScheduling(available: sched.available, cpuWaitNs: totals.waitNs, preemptions: totals.preemptions,
                                        intervalWaitNs: sched.waitNs, intervalPreemptions: sched.preemptions,
                                        stalls: sched.stalls, stallsDropped: sched.stallsDropped)
        r.intervalErrors = rec.series.errors
        r.intervalLatency = rec.series.latency
        r.intervalConnectCall = rec.series.connectCall
        r.loggedIntervalNs = rec.logged.intervalNs
        r.loggedLatency = rec.logged.latency
        r.loggedService = rec.logged.service
        r.loggedConnectCall = rec.logged.connectCall
        r.loggedCallRunning = rec.logged.callRunning
        r.marks = rec.marks.marks
        r.onsetBucketNs = rec.onset.bucketNs
        r.onsetBuckets = rec.onset.snapshot(upTo: rec.bucket(at: MonotonicClock.now()) + 1)
        r.onlineOnset = onsetWatch.fired
        r.detectorFed = onsetWatch.fed
        r.lastStartNs = rec.lastStartNs > timeline.startNs ? rec.lastStartNs - timeline.startNs : 0
        if let s = schedule {
            r.notStarted = s.notStarted(from: timeline.measureStartNs, to: loopEndNs)
            r.scheduled = s.due(from: timeline.measureStartNs, to: loopEndNs)
        }
        r.figures.uringTimers = driver.uringTimers
        if kept.enabled { r.kept = kept.result(errors: r.errors, startNs: timeline.startNs) }
        r.cpuNs = cpuNs
        r.wallNs = wallNs
        return r
    }
}

extension WorkerLoop where Driver: CompletionDriver & ~Copyable {
    /// io_uring: the attempt is one chain queued now and submitted by this turn's enter.
    /// Its service time runs from here (the submission) to the connect's completion;
    /// there is no connect() call to time.
    @inline(__always)
    mutating func submitChain(_ i: Int, intendedNs: UInt64?, target: Int, at beganNs: UInt64) {
        let submitNs = beganNs
        let measured = (intendedNs ?? submitNs) >= timeline.measureStartNs
        slots.slots[i].fd = Int32(i)
        slots.slots[i].sampled = false
        slots.slots[i].measured = measured
        slots.slots[i].intendedNs = intendedNs ?? submitNs
        slots.slots[i].callNs = submitNs
        slots.slots[i].deadlineNs = submitNs + timeoutNs
        rec.started(measured: measured, at: submitNs)
        rec.submitted(measured: measured, intendedNs: intendedNs, submitNs: submitNs)
        if let e = driver.submit(slot: i, tag: slots.tag(i), target: target) {
            rec.failed(errno: e.errno, site: e.site, measured: measured, localAttempt: localAttempts, at: submitNs)
            noteExhaustion(e.errno, site: e.site, at: submitNs)
            slots.release(i)
            return
        }
        slots.slots[i].watched = true
        watched += 1
    }

    /// io_uring completions. The connect's completion ends the attempt: 0 is
    /// established; -ECANCELED at or past the deadline is the kernel's timer (a
    /// LINK_TIMEOUT, or the cancel by a timer armed after submission): a timeout, dated at
    /// the deadline. -ECANCELED earlier means a step before it failed. That
    /// step's own completion names the call and ends the attempt: the kernel has cancelled
    /// the rest of the chain, so it is counted there and its slot freed at once. Whichever
    /// of the two is reaped second carries the old generation and is ignored.
    @inline(__always)
    mutating func completeChains(count n: Int, now: UInt64) {
        for k in 0..<n {
            let c = driver.chainCompletion(at: k)
            if c.step.endsNothing { continue }
            guard let i = slots.slot(forTag: c.tag) else { continue }
            if c.step == .connect {
                if c.result >= 0 {
                    established(i, at: now)
                } else if c.result == -Errno.canceled.rawValue {
                    let deadline = slots.slots[i].deadlineNs
                    if now + 1_000_000 >= deadline {
                        if deadline <= timeline.endNs {
                            fail(i, errno: .timedOut, site: .timeout, at: Swift.min(deadline, now))
                        } else {
                            rec.inFlight(measured: slots.slots[i].measured)
                            release(i)
                        }
                    }
                } else {
                    fail(i, errno: Errno(rawValue: -c.result), site: .connect, at: now)
                }
            } else if c.result < 0 && c.result != -Errno.canceled.rawValue {
                // Freed now, not at the connect's -ECANCELED: waiting for that left every
                // failed bind's slot busy to the end of the run under exhaustion (counted
                // failed and in flight, the engine stalled at 16 failures per worker).
                driver.chainBroke(slot: i)
                fail(i, errno: Errno(rawValue: -c.result), site: c.step.site, at: now)
            }
        }
    }
}

/// Stored constants of ``WorkerLoop`` (a generic type cannot hold static stored ones).
enum WorkerLoopConstants {
    /// Attempts in a turn of starts (epoll), and the most chains one io_uring submission carries.
    static let startBatch = 16
}
