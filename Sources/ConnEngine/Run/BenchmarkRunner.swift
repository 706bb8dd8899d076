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

    /// Runs in the calling thread's network namespace, phase by phase: prepare, start the
    /// listener, start the workers, start the clock, watch, collect, build the report.
    package static func runHere(_ requested: RunConfig, stop: StopFlag, signals: StopSignals?,
                                progress: (@Sendable (ProgressLine) -> Void)? = nil) throws(Failure) -> RunReport {
        try runCollecting(requested, stop: stop, signals: signals, progress: progress, sync: nil).report
    }

    /// How a run in one of several processes keeps step with the others (``RunShare``).
    package struct PartSync {
        /// The workers are ready at the start line: returns the common start
        /// (CLOCK_MONOTONIC, one clock for every process on the host), or nil to cancel.
        package var ready: () -> UInt64?
        /// The workers have stopped, with this many connections established; the
        /// report is built after.
        package var ended: (UInt64) -> Void

        package init(ready: @escaping () -> UInt64?, ended: @escaping (UInt64) -> Void) {
            self.ready = ready
            self.ended = ended
        }
    }

    /// `hold`'s build-up, in the calling thread's namespace: a ``KeepOpen`` run that starts
    /// when `sync.ready` says, so every part of a hold keeps one schedule and has its
    /// buffers allocated before any part starts. The connections come back open.
    package static func runKeepingOpen(_ config: RunConfig, stop: StopFlag, sync: PartSync) throws(Failure) -> (report: RunReport, kept: KeptConnections) {
        guard let keep = config.keepOpen else { throw .config(ConfigError("a kept-open run needs its KeepOpen settings")) }
        let (report, results) = try runCollecting(config, stop: stop, signals: nil, progress: nil, sync: sync)
        return (report, KeptConnections.merged(results.compactMap(\.kept), steps: keep.stepCount))
    }

    /// One part of a run spread over processes (``RunShare``), in the calling thread's
    /// namespace (the supervisor's, which made it when the run asked for one).
    package static func runPart(_ config: RunConfig, stop: StopFlag, sync: PartSync) throws(Failure) -> RunReport {
        try runCollecting(config, stop: stop, signals: nil, progress: nil, sync: sync).report
    }

    static func runCollecting(_ requested: RunConfig, stop: StopFlag, signals: StopSignals?,
                              progress: (@Sendable (ProgressLine) -> Void)?, sync: PartSync?) throws(Failure) -> (report: RunReport, results: [WorkerResult]) {
        var prep = try RunPreparation(requested)
        var listeners = try RunListeners(prep)
        defer { listeners.stop() }
        let cpuTime = RunCPUTime(workerCPUs: prep.workerCPUs, listenerCPUs: prep.listenerCPUs)
        let crew = try WorkerCrew(prep, targets: listeners.targets, stop: stop, withProgress: progress != nil)
        var watch = RunWatch(config: prep.config, slots: crew.progressSlots, progress: progress)
        crew.awaitReady(stop: stop, signals: signals)
        let goNs = sync.map { $0.ready() }
        if let goNs, goNs == nil { stop.stop() }
        let trace = try startTrace(prep.config, crew: crew, stop: stop)
        let (timeline, startWallNs) = startClock(&prep, crew: crew, stop: stop, signals: signals, goNs: goNs ?? nil)

        let ports = watch.watch(crew, timeline: timeline, stop: stop, signals: signals)
        crew.join()
        let stoppedNs = MonotonicClock.now()
        sync?.ended(crew.results.reduce(0) { $0 + $1.figures.measured.established + $1.figures.warmup.established })
        let kernelTrace = trace?.stop()
        let cpuEnd = cpuTime.end()
        let collected = ListenerCollection(&listeners, config: prep.config)
        let results = crew.results
        var notes = prep.notes + collected.notes
        for r in results { if let f = r.fatal { notes.append("worker \(r.id): \(f)") } }
        let pinFailures = results.filter { $0.pinError != nil }
        if let first = pinFailures.first, let e = first.pinError {
            notes.append("pinning failed for \(pinFailures.count) worker(s): \(e.name); they ran unpinned")
        }
        let measuredEnd = Swift.min(stoppedNs, timeline.endNs)
        let report = ReportBuilder(config: prep.config, workerCount: prep.workerCount, cpus: prep.cpus, targets: listeners.targets,
                             results: results, startNs: timeline.startNs, measureStartNs: timeline.measureStartNs,
                             measuredNs: measuredEnd > timeline.measureStartNs ? measuredEnd - timeline.measureStartNs : 0,
                             interrupted: stop.isStopped && !crew.onsetStop.isStopped && stoppedNs < timeline.endNs,
                             startedAtNs: prep.startedAtNs,
                             listener: collected.info, openFiles: prep.openFiles.soft, cpuBusy: cpuEnd.cpuBusy, notes: notes,
                             kernel: kernelContext(prep, timeWaitSides: collected.timeWaitSides), ports: ports,
                             endedAtOnset: crew.onsetStop.isStopped,
                             numaRoutes: numaRoutes(listeners.targets), listenerNamespace: collected.namespace,
                             startWallNs: startWallNs,
                             listenerCPUs: prep.builtIn ? prep.listenerCPUs : nil,
                             listenerThreads: collected.info?.threads ?? 0,
                             otherLoadShare: cpuTime.otherLoad(cpuEnd, listenerCPUs: prep.listenerCPUs, results: results),
                             kernelTrace: kernelTrace).build()
        return (report, results)
    }

    /// The kernel's clock attaches to the ready workers before the start is fixed (about
    /// 1.5 s here), so it sees every connect of the run, warm-up included.
    static func startTrace(_ config: RunConfig, crew: WorkerCrew, stop: StopFlag) throws(Failure) -> KernelTrace? {
        guard config.traceKernel && !stop.isStopped else { return nil }
        let lead = config.startAtEpochNs.map { at in at > WallClock.nowNanoseconds() ? (at - WallClock.nowNanoseconds()) / 1_000_000_000 : 0 } ?? 0
        do {
            return try KernelTrace.start(pid: getpid(), tids: crew.line.threadIDs,
                                         timeLimitSeconds: Int((config.warmupNs + config.durationNs) / 1_000_000_000 + lead) + 60)
        } catch {
            crew.abandon(stop: stop)
            throw .system("--trace-kernel: \(error.description)")
        }
    }

    /// The start line: with --start-at the ready workers wait for the agreed wall-clock
    /// time. The wall clock is read beside the monotonic one, for the hlog's StartTime
    /// (reports date nothing else to the millisecond).
    static func startClock(_ prep: inout RunPreparation, crew: WorkerCrew, stop: StopFlag,
                           signals: StopSignals?, goNs: UInt64? = nil) -> (Timeline, startWallNs: UInt64) {
        let config = prep.config
        var (leadNs, lateNs) = StartAt.wait(until: config.startAtEpochNs, minimumLeadNs: StartLine.leadNs, stop: stop, signals: signals)
        if let goNs {
            let now = MonotonicClock.now()
            (leadNs, lateNs) = goNs >= now ? (goNs - now, 0) : (0, now - goNs)
        }
        if lateNs > StartLine.leadNs {
            prep.notes.append("\(goNs == nil ? "--start-at" : "the parts' common start") time had passed by \(lateNs / 1_000_000) ms when the workers were ready: started late")
        }
        let startWallNs = WallClock.nowNanoseconds() + leadNs
        let timeline = Timeline(startNs: MonotonicClock.now() + leadNs, warmupNs: config.warmupNs, durationNs: config.durationNs)
        if stop.isStopped { crew.line.cancel() } else { crew.line.go(at: timeline.startNs) }
        return (timeline, startWallNs)
    }

    static func kernelContext(_ prep: RunPreparation, timeWaitSides: TimeWaitSides?) -> KernelContext {
        let config = prep.config
        var kernel = KernelContext(release: KernelInfo.release(), namespace: config.createsNamespace ? "fresh" : "host",
                                   sysctlsApplied: config.isolation.sysctls, tunables: prep.tunables,
                                   counters: KernelContext.deltas(before: prep.countersBefore, after: NetCounters.read()))
        kernel.setNamespace(NetNamespace.identity(), createdForRun: config.createsNamespace)
        kernel.timeWaitSides = timeWaitSides
        return kernel
    }

    /// The interface (and its NUMA node) each remote target is reached through.
    static func numaRoutes(_ targets: [SocketAddress]) -> [NumaPlacement.Route] {
        targets.filter { $0.family != .unix && !$0.isLoopback }.compactMap { t in
            RouteInterface.lookup(t).map { NumaPlacement.Route(target: t.description, interface: $0.name, node: $0.numaNode) }
        }
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
