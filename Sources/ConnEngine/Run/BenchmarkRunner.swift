@preconcurrency import Glibc
import ConnSys
import ConnModel

/// Runs one benchmark: the listener (when built in), the pinned workers, the wait for the
/// end or for a signal, and the merge of what the workers measured.
public enum BenchmarkRunner {
    public enum Failure: Error, CustomStringConvertible {
        case config(ConfigError)
        case listener(Listener.Failure)
        case namespace(NamespaceRun.Failure)
        case lab(VethLabFailure)
        case system(String)

        public var description: String {
            switch self {
            case .config(let e): e.description
            case .listener(let e): e.description
            case .namespace(let e): e.description
            case .lab(let e): e.description
            case .system(let s): s
            }
        }
    }

    /// Runs `config` to its end, or until `stop` is set or one of `signals` arrives (the
    /// caller blocks them first). Returns what was measured either way.
    public static func run(_ config: RunConfig, stop: StopFlag = StopFlag(), signals: StopSignals? = nil,
                           progress: (@Sendable (ProgressLine) -> Void)? = nil) throws(Failure) -> RunReport {
        if !config.isolation.sysctls.isEmpty && !config.createsNamespace {
            throw .config(ConfigError("--sysctl needs --netns: connbench sets tunables only inside a namespace it created, never on the host"))
        }
        guard config.createsNamespace else { return try runHere(config, stop: stop, signals: signals, progress: progress) }
        let outcome: Result<RunReport, Failure>
        do {
            outcome = try NamespaceRun.run(sysctls: config.isolation.sysctls) { [signals] in
                do throws(Failure) {
                    return .success(try runHere(config, stop: stop, signals: signals, progress: progress))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .namespace(error)
        }
        return try outcome.get()
    }

    /// Runs in the calling thread's network namespace.
    package static func runHere(_ requested: RunConfig, stop: StopFlag, signals: StopSignals?,
                        progress: (@Sendable (ProgressLine) -> Void)? = nil) throws(Failure) -> RunReport {
        let startedAt = WallClock.nowNanoseconds()
        let config0 = requested
        let allowed: [Int]
        do { allowed = try CPUAffinity.allowedCPUs() } catch { throw .system("sched_getaffinity failed: \(error.name)") }
        let cpus: [Int]
        do { cpus = try config0.validate(allowedCPUs: allowed) } catch { throw .config(error) }
        let config: RunConfig
        do { config = try UringAvailability.resolve(requested) } catch { throw .config(error) }
        if config.strategy.portRange != nil { try checkPortRangeSupport() }
        let openFiles = ResourceLimits.raiseOpenFiles()
        let tunables = KernelContext.readTunables()
        let countersBefore = NetCounters.read()
        let builtIn = config.targets.isEmpty
        let workerCount = config.workers ?? defaultWorkerCount(cpus: cpus, config: config, builtInListener: builtIn)
        let workerCPUs = cpus.isEmpty ? [] : (0..<workerCount).map { cpus[$0 % cpus.count] }
        let listenerDefaultCPUs = defaultListenerCPUs(allowed: allowed, workerCPUs: workerCPUs)

        var notes: [String] = []
        if !CPUAffinity.numaAvailable {
            notes.append("libnuma: numa_available() failed; workers pinned with sched_setaffinity instead")
        }
        let needed = UInt64(workerCount * config.resolvedConcurrency) + 64
        if openFiles.soft < needed {
            notes.append("RLIMIT_NOFILE is \(openFiles.soft), below workers x concurrency (\(needed)): expect EMFILE")
        }

        var listener: Listener?
        var lab: ListenerNamespace?
        var targets = config.targets
        if targets.isEmpty && config.topology == .veth {
            do { lab = try ListenerNamespace.start(options: config.veth, listener: config.listener, defaultCPUs: listenerDefaultCPUs) } catch { throw .lab(error) }
            targets = [lab!.address]
        } else if targets.isEmpty {
            do { listener = try Listener(config: config.listener, defaultCPUs: listenerDefaultCPUs) } catch { throw .listener(error) }
            targets = [listener!.address]
        }
        defer {
            listener?.stop()
            lab?.stop()
        }

        let listenerCPUs = builtIn ? (config.listener.cpus ?? listenerDefaultCPUs) : []
        let usedCPUs = Array(Set(workerCPUs + listenerCPUs))
        let cpuAtStart = CPUStat.read(cpus: usedCPUs)
        let workerCPUsAtStart = CPUStat.read(cpus: workerCPUs)
        let processAtStart = CPUStat.processCPUNanoseconds()
        let sampler = try? SockstatSampler()
        var ports = PortSamples()
        ports.samples.reserveCapacity(Int((config.durationNs + config.warmupNs) / sampleStepNs) + 16)
        let perWorkerInterval: Double? = config.rate.perSecond.map { 1e9 * Double(workerCount) / $0 }

        let boxes = (0..<workerCount).map { _ in JoinedResult<WorkerResult>() }
        // The live progress line: each worker publishes into its own slot once per interval.
        let progressSlots = progress == nil ? [] : (0..<workerCount).map { _ in ProgressSlot() }
        var tracker = ProgressTracker(slots: progressSlots, intervalNs: config.intervalNs, warmupNs: config.warmupNs,
                                      requested: config.rate.perSecond)
        let finished = SharedCounter()
        let onsetStop = StopFlag()
        let line = StartLine()
        var threads: [PosixThread] = []
        for id in 0..<workerCount {
            let plan = WorkerPlan(id: id, workerCount: workerCount, cpu: workerCPUs.isEmpty ? nil : workerCPUs[id],
                                  targets: targets, config: config,
                                  perWorkerIntervalNs: perWorkerInterval, onsetStop: onsetStop,
                                  progress: progressSlots.isEmpty ? nil : progressSlots[id])
            let box = boxes[id]
            do {
                threads.append(try PosixThread.spawn {
                    box.value = runWorker(plan, line: line, stop: stop)
                    finished.add(1)
                })
            } catch {
                stop.stop()
                line.cancel()
                threads.forEach { $0.join() }
                throw .system("pthread_create failed: \(error.name)")
            }
        }
        // The start line: every worker pinned, built and ready — then the clock starts.
        while line.readyCount < workerCount && !stop.isStopped {
            if let signals {
                if signals.wait(nanoseconds: 100_000) != nil { stop.stop() }
            } else {
                var ts = timespec(tv_sec: 0, tv_nsec: 100_000)
                nanosleep(&ts, nil)
            }
        }
        // The kernel's clock attaches to the ready workers before the start is fixed (about
        // 1.5 s here), so it sees every connect of the run, warm-up included.
        var trace: KernelTrace?
        if config.traceKernel && !stop.isStopped {
            let lead = config.startAtEpochNs.map { at in at > WallClock.nowNanoseconds() ? (at - WallClock.nowNanoseconds()) / 1_000_000_000 : 0 } ?? 0
            do {
                trace = try KernelTrace.start(pid: getpid(), tids: line.threadIDs,
                                              timeLimitSeconds: Int((config.warmupNs + config.durationNs) / 1_000_000_000 + lead) + 60)
            } catch {
                stop.stop()
                line.cancel()
                threads.forEach { $0.join() }
                throw .system("--trace-kernel: \(error.description)")
            }
        }
        // The wall clock read beside the monotonic one: what time the start line is at, for
        // the hlog's StartTime (reports date nothing else to the millisecond).
        // --start-at: the ready workers wait for the agreed wall-clock time.
        let (leadNs, lateNs) = StartAt.wait(until: config.startAtEpochNs, minimumLeadNs: StartLine.leadNs, stop: stop, signals: signals)
        if lateNs > StartLine.leadNs {
            notes.append("--start-at time had passed by \(lateNs / 1_000_000) ms when the workers were ready: started late")
        }
        let startWallNs = WallClock.nowNanoseconds() + leadNs
        let timeline = Timeline(startNs: MonotonicClock.now() + leadNs,
                                warmupNs: config.warmupNs, durationNs: config.durationNs)
        if stop.isStopped { line.cancel() } else { line.go(at: timeline.startNs) }
        let startNs = timeline.startNs
        let measureStartNs = timeline.measureStartNs
        let endNs = timeline.endNs

        // Wait for the workers, turning SIGINT/SIGTERM into a stop request, and sample
        // the namespace's TCP sockets (ports in use, TIME_WAIT) every `sampleStepNs`.
        var sampleCostNs: UInt64 = 0
        func takeSample() {
            guard let sampler else { return }
            let t0 = MonotonicClock.now()
            guard let s = sampler.sample() else { return }
            let t1 = MonotonicClock.now()
            sampleCostNs += t1 - t0
            let at = t0 > startNs ? t0 - startNs : 0
            let sample = PortSamples.Sample(atNs: at, timeWait: s.timeWait, inUse: s.inUse)
            if ports.baseline == nil { ports.baseline = sample } else { ports.samples.append(sample) }
        }
        takeSample()
        while finished.value < UInt64(workerCount) {
            if let signals {
                if signals.wait(nanoseconds: sampleStepNs) != nil { stop.stop() }
            } else {
                var ts = timespec(tv_sec: 0, tv_nsec: Int(sampleStepNs))
                nanosleep(&ts, nil)
            }
            let now = MonotonicClock.now()
            if now >= startNs {
                takeSample()
                if let progress {
                    for l in tracker.lines(sinceStartNs: now - startNs, portsInUse: latestPortsInUse(ports), final: false) { progress(l) }
                }
            }
        }
        takeSample()
        if let progress {
            let now = MonotonicClock.now()
            for l in tracker.lines(sinceStartNs: Swift.min(now, endNs) - Swift.min(startNs, now), portsInUse: latestPortsInUse(ports), final: true) {
                progress(l)
            }
        }
        ports.meanSampleNs = ports.samples.isEmpty ? 0 : Double(sampleCostNs) / Double(ports.samples.count + 1)
        threads.forEach { $0.join() }
        let stoppedNs = MonotonicClock.now()
        let kernelTrace = trace?.stop()
        let cpuBusy = cpuAtStart.flatMap { start in CPUStat.read(cpus: usedCPUs).map { $0.busyShare(since: start) } }
        let processNs = CPUStat.processCPUNanoseconds() - processAtStart
        let workerCPUsAtEnd = CPUStat.read(cpus: workerCPUs)
        // Who holds TIME_WAIT, once at the end, where both ends live in this namespace; in a
        // veth lab, the client's in this namespace and the listener's in its own.
        // A remote target's listener is not in this namespace, but this side's TIME_WAIT
        // towards it is: the port budget checks its premise against it.
        let tcpTargets = targets.filter { $0.family != .unix }
        let remoteOnly = lab == nil && !tcpTargets.isEmpty && !tcpTargets.contains(where: \.isLoopback)
        let localPorts = (lab == nil && !remoteOnly ? tcpTargets.filter(\.isLoopback) : tcpTargets).map(\.port)
        var timeWaitSides = localPorts.isEmpty ? nil : TcpSocketTable.timeWaitSides(listenerPorts: localPorts)
        if remoteOnly, var tw = timeWaitSides {
            tw.other += tw.listenerSide
            tw.listenerSide = 0
            tw.listenerElsewhere = true
            timeWaitSides = tw
        }
        if let note = listener?.portNote { notes.append(note) }
        listener?.stop()
        var listenerInfo = listener.map {
            ListenerInfo(address: $0.address.description, threads: $0.threadCount, backlog: $0.effectiveBacklog,
                         accepted: $0.acceptedCount, close: config.listener.close, mode: $0.mode, heldPeak: $0.heldPeak)
        }
        listener = nil
        var listenerNamespace: ListenerNamespaceReport?
        if let lab, let side = lab.stop() {
            if let note = side.portNote { notes.append(note) }
            listenerInfo = side.info
            if let own = timeWaitSides, let theirs = side.kernel.timeWaitSides {
                timeWaitSides = TimeWaitSides(clientSide: own.clientSide, listenerSide: theirs.listenerSide,
                                              other: own.other + own.listenerSide + theirs.clientSide + theirs.other)
            }
            listenerNamespace = ListenerNamespaceReport(
                family: config.veth.family, generatorInterface: VethOptions.generatorInterface,
                listenerInterface: VethOptions.listenerInterface, generatorAddress: config.veth.generatorIP,
                listenerAddress: lab.address.description, delayNs: config.veth.delayNs > 0 ? config.veth.delayNs : nil,
                kernel: side.kernel, side: side.side)
        }
        lab = nil

        let results = boxes.map { $0.value ?? WorkerResult(id: -1, fatal: "worker produced no result") }
        // Other processes on the workers' CPUs: their task time less this process's share
        // of it (all of it when the listener runs there too, else the workers' own).
        let shares = !Set(listenerCPUs).isDisjoint(with: workerCPUs)
        let ownNs = shares ? processNs : results.reduce(UInt64(0)) { $0 + $1.cpuNs }
        let otherLoad = workerCPUsAtStart.flatMap { a in workerCPUsAtEnd.map { $0.otherShare(since: a, processNs: ownNs) } }
        for r in results { if let f = r.fatal { notes.append("worker \(r.id): \(f)") } }
        let pinFailures = results.filter { $0.pinError != nil }
        if let first = pinFailures.first {
            notes.append("pinning failed for \(pinFailures.count) worker(s): \(first.pinError!.name); they ran unpinned")
        }
        let interrupted = stop.isStopped && !onsetStop.isStopped && stoppedNs < endNs
        let routes = targets.filter { $0.family != .unix && !$0.isLoopback }.compactMap { t in
            RouteInterface.lookup(t).map { NumaPlacement.Route(target: t.description, interface: $0.name, node: $0.numaNode) }
        }
        var kernel = KernelContext(release: KernelInfo.release(), namespace: config.createsNamespace ? "fresh" : "host",
                                   sysctlsApplied: config.isolation.sysctls, tunables: tunables,
                                   counters: KernelContext.deltas(before: countersBefore, after: NetCounters.read()))
        kernel.setNamespace(NetNamespace.identity(), createdForRun: config.createsNamespace)
        kernel.timeWaitSides = timeWaitSides
        let measuredEnd = Swift.min(stoppedNs, endNs)
        let measuredNs = measuredEnd > measureStartNs ? measuredEnd - measureStartNs : 0

        return ReportBuilder(config: config, workerCount: workerCount, cpus: cpus, targets: targets,
                             results: results, startNs: startNs, measureStartNs: measureStartNs,
                             measuredNs: measuredNs, interrupted: interrupted, startedAtNs: startedAt,
                             listener: listenerInfo, openFiles: openFiles.soft, cpuBusy: cpuBusy, notes: notes,
                             kernel: kernel, ports: ports, endedAtOnset: onsetStop.isStopped,
                             numaRoutes: routes, listenerNamespace: listenerNamespace,
                             startWallNs: startWallNs,
                             listenerCPUs: builtIn ? listenerCPUs : nil,
                             listenerThreads: listenerInfo?.threads ?? 0, otherLoadShare: otherLoad,
                             kernelTrace: kernelTrace).build()
    }

    /// Without `--workers`: a worker per CPU, but on a machine of 4 CPUs or more the
    /// built-in listener keeps a quarter of them to itself, so its threads do not preempt
    /// the workers (a wait that lands in every latency the workers measure). On fewer
    /// CPUs every one is a worker and the listener shares them, as the report then says.
    static func defaultWorkerCount(cpus: [Int], config: RunConfig, builtInListener: Bool) -> Int {
        guard builtInListener, config.cpus == nil, config.listener.cpus == nil, cpus.count >= 4 else { return Swift.max(1, cpus.count) }
        return cpus.count - Swift.max(1, cpus.count / 4)
    }

    /// The built-in listener's CPUs when `--listener-cpus` is not given: on a machine of 4
    /// CPUs or more, the allowed CPUs no worker runs on; otherwise (or with none spare) the
    /// workers' own. On 2 CPUs a listener moved to the other CPU changed how connections
    /// close (a 100-port range gave 101–102 connects on io_uring, and 4 in 1000 were not
    /// yet in TIME_WAIT when the run ended), so there the layout stays as it was and the
    /// report's `placement:` line says what the sharing cost.
    static func defaultListenerCPUs(allowed: [Int], workerCPUs: [Int]) -> [Int] {
        let spare = allowed.filter { !workerCPUs.contains($0) }
        return spare.isEmpty || allowed.count < 4 ? Array(Set(workerCPUs)).sorted() : spare
    }

    /// TCP sockets holding a port beyond the baseline at the latest sample.
    static func latestPortsInUse(_ p: PortSamples) -> Int64? {
        guard let last = p.samples.last else { return nil }
        let b = p.baseline ?? PortSamples.Sample(atNs: 0, timeWait: 0, inUse: 0)
        return Swift.max(0, (last.timeWait + last.inUse) - (b.timeWait + b.inUse))
    }

    /// How often the runner samples sockstat: fine enough to date an onset to ~10 ms.
    static let sampleStepNs: UInt64 = 10_000_000

    /// IP_LOCAL_PORT_RANGE arrived in Linux 6.3; on an older kernel every attempt would
    /// fail at setsockopt, so say it once, up front.
    static func checkPortRangeSupport() throws(Failure) {
        guard let fd = try? FileDescriptor.socket(domain: AF_INET) else { return }
        defer { fd.closeSocket() }
        do {
            try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.localPortRange, value: UInt32(60999) << 16 | 32768)
        } catch {
            throw .config(ConfigError("--port-range needs IP_LOCAL_PORT_RANGE (Linux 6.3+); this kernel (\(KernelInfo.release())) answered \(error.name)"))
        }
    }

    /// A worker thread's whole life: pin, build its state locally, arrive at the start
    /// line and wait there, run, hand back the result.
    static func runWorker(_ plan: WorkerPlan, line: StartLine, stop: StopFlag) -> WorkerResult {
        plan.config.engine == .ioUring ? runWorker(plan, line: line, stop: stop, driver: UringDriver.self)
            : runWorker(plan, line: line, stop: stop, driver: EpollDriver.self)
    }

    static func runWorker<D: ConnectDriver & ~Copyable>(_ plan: WorkerPlan, line: StartLine, stop: StopFlag,
                                                        driver: D.Type) -> WorkerResult {
        var pinMethod: CPUAffinity.Method?
        var pinError: Errno?
        if let cpu = plan.cpu {
            do { pinMethod = try CPUAffinity.pinCurrentThread(to: cpu) } catch { pinError = error }
        }
        try? CPUAffinity.setTimerSlack(nanoseconds: 1)
        let ephemeral: EphemeralPorts
        do throws(EphemeralPorts.Unreadable) { ephemeral = try EphemeralPorts.current() } catch {
            line.arrive()
            return WorkerResult(id: plan.id, cpu: plan.cpu, pinMethod: pinMethod, pinError: pinError, fatal: error.description)
        }
        var loop: WorkerLoop<D>
        do {
            loop = try WorkerLoop<D>(plan: plan, ephemeral: ephemeral)
        } catch {
            line.arrive()
            return WorkerResult(id: plan.id, cpu: plan.cpu, pinMethod: pinMethod, pinError: pinError,
                                fatal: "\(D.engine == .epoll ? "epoll_create1" : "io_uring setup") failed: \(error.name)")
        }
        line.arrive()
        guard let startNs = line.waitForStart() else {
            return loop.finish(cpu: plan.cpu, pinMethod: pinMethod, pinError: pinError, cpuNs: 0, wallNs: 0)
        }
        let timeline = Timeline(startNs: startNs, warmupNs: plan.config.warmupNs, durationNs: plan.config.durationNs)
        let cpu0 = CPUAffinity.threadCPUTimeNanoseconds()
        let wall0 = MonotonicClock.now()
        loop.run(timeline, stop: stop)
        let cpuNs = CPUAffinity.threadCPUTimeNanoseconds() - cpu0
        let wallNs = MonotonicClock.now() - wall0
        return loop.finish(cpu: plan.cpu, pinMethod: pinMethod, pinError: pinError, cpuNs: cpuNs, wallNs: wallNs)
    }
}
