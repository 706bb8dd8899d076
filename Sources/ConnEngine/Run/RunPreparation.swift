@preconcurrency import Glibc
import ConnSys
import ConnModel

/// What a run settles before anything of it exists: the config as it will run (io_uring
/// resolved), the CPUs and the workers' placement, the open-files limit, and the
/// kernel's tunables and counters as they are at the start.
struct RunPreparation {
    let config: RunConfig
    let startedAtNs: UInt64
    let cpus: [Int]
    let openFiles: ResourceLimits.OpenFiles
    let tunables: [RunReport.Setting]
    let countersBefore: [String: Int64]
    /// No `--target`: the run starts its own listener (here, or in a veth lab).
    let builtIn: Bool
    let workerCount: Int
    let workerCPUs: [Int]
    /// Each worker's place in the run's schedule and the most attempts it makes.
    let workerPlaces: [WorkerPlace]
    let listenerDefaultCPUs: [Int]
    var notes: [String] = []

    /// The built-in listener's CPUs (none with `--target`).
    var listenerCPUs: [Int] { builtIn ? (config.listener.cpus ?? listenerDefaultCPUs) : [] }

    init(_ requested: RunConfig) throws(BenchmarkRunner.Failure) {
        startedAtNs = WallClock.nowNanoseconds()
        let allowed: [Int]
        do { allowed = try CPUAffinity.allowedCPUs() } catch { throw .system("sched_getaffinity failed: \(error.name)") }
        let cpus: [Int]
        do { cpus = try requested.validate(allowedCPUs: allowed) } catch { throw .config(error) }
        self.cpus = cpus
        do { config = try UringAvailability.resolve(requested) } catch { throw .config(error) }
        if config.strategy.portRange != nil { try BenchmarkRunner.checkPortRangeSupport() }
        openFiles = ResourceLimits.raiseOpenFiles()
        tunables = KernelContext.readTunables()
        countersBefore = NetCounters.read()
        builtIn = config.targets.isEmpty
        let workerCount = config.workers ?? BenchmarkRunner.defaultWorkerCount(cpus: cpus, config: config, builtInListener: builtIn)
        self.workerCount = workerCount
        workerCPUs = cpus.isEmpty ? [] : (0..<workerCount).map { cpus[$0 % cpus.count] }
        listenerDefaultCPUs = BenchmarkRunner.defaultListenerCPUs(allowed: allowed, workerCPUs: workerCPUs)
        if !CPUAffinity.numaAvailable {
            notes.append("libnuma: numa_available() failed; workers pinned with sched_setaffinity instead")
        }
        workerPlaces = Self.places(config, workerCount: workerCount)
        let kept = config.keepOpen == nil ? 0 : workerPlaces.reduce(0) { $0 + Int($1.maxAttempts) }
        let needed = UInt64(workerCount * config.resolvedConcurrency + kept) + 64
        ResourceLimits.reserveDescriptorTable(count: Int(clamping: needed))
        if openFiles.soft < needed {
            notes.append("RLIMIT_NOFILE is \(openFiles.soft), below workers x concurrency (\(needed)): expect EMFILE")
        }
    }
}

/// A worker's place in the run's schedule over every process (``RunShare``), and the most
/// attempts it makes (its share of ``KeepOpen/attempts``, else `--max-attempts`; 0: no bound).
struct WorkerPlace {
    var place: Int
    var places: Int
    var maxAttempts: UInt64
}

extension RunPreparation {
    static func places(_ config: RunConfig, workerCount: Int) -> [WorkerPlace] {
        let share = config.share ?? RunShare(part: 0, parts: 1)
        return (0..<workerCount).map { id in
            let p = share.place(worker: id, of: workerCount)
            return WorkerPlace(place: p.place, places: p.places,
                               maxAttempts: config.keepOpen.map { UInt64($0.attempts(place: p.place, places: p.places)) }
                                   ?? config.maxAttemptsPerWorker)
        }
    }
}

/// The run's own listener, when it has one: built in here, or in a veth lab's namespace.
/// Without either, the targets are the `--target`s.
struct RunListeners {
    var listener: Listener?
    var lab: ListenerNamespace?
    let targets: [SocketAddress]

    init(_ prep: RunPreparation) throws(BenchmarkRunner.Failure) {
        let config = prep.config
        if config.targets.isEmpty && config.topology == .veth {
            let lab: ListenerNamespace
            do { lab = try ListenerNamespace.start(options: config.veth, listener: config.listener, defaultCPUs: prep.listenerDefaultCPUs) } catch { throw .lab(error) }
            self.lab = lab
            targets = [lab.address]
        } else if config.targets.isEmpty {
            let listener: Listener
            do { listener = try Listener(config: config.listener, defaultCPUs: prep.listenerDefaultCPUs) } catch { throw .listener(error) }
            self.listener = listener
            targets = [listener.address]
        } else {
            targets = config.targets
        }
    }

    /// Stops whatever is still running (a run that failed before it collected them).
    func stop() {
        listener?.stop()
        _ = lab?.stop()
    }
}

/// CPU time read at the start and the end of a run: the CPUs the run used (busy share),
/// the workers' CPUs (other processes' load there) and this process's own.
struct RunCPUTime {
    let usedCPUs: [Int]
    let workerCPUs: [Int]
    let usedAtStart: CPUStat?
    let workersAtStart: CPUStat?
    let processAtStart: UInt64

    init(workerCPUs: [Int], listenerCPUs: [Int]) {
        usedCPUs = Array(Set(workerCPUs + listenerCPUs))
        self.workerCPUs = workerCPUs
        usedAtStart = CPUStat.read(cpus: usedCPUs)
        workersAtStart = CPUStat.read(cpus: workerCPUs)
        processAtStart = CPUStat.processCPUNanoseconds()
    }

    /// Read once the workers have joined.
    struct End {
        let cpuBusy: Double?
        let processNs: UInt64
        let workersAtEnd: CPUStat?
    }

    func end() -> End {
        End(cpuBusy: usedAtStart.flatMap { start in CPUStat.read(cpus: usedCPUs).map { $0.busyShare(since: start) } },
            processNs: CPUStat.processCPUNanoseconds() - processAtStart,
            workersAtEnd: CPUStat.read(cpus: workerCPUs))
    }

    /// Other processes on the workers' CPUs: their task time less this process's share
    /// of it (all of it when the listener runs there too, else the workers' own).
    func otherLoad(_ end: End, listenerCPUs: [Int], results: [WorkerResult]) -> Double? {
        let shares = !Set(listenerCPUs).isDisjoint(with: workerCPUs)
        let ownNs = shares ? end.processNs : results.reduce(UInt64(0)) { $0 + $1.cpuNs }
        return workersAtStart.flatMap { a in end.workersAtEnd.map { $0.otherShare(since: a, processNs: ownNs) } }
    }
}
