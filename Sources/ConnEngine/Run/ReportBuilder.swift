@preconcurrency import Glibc
import ConnSys
import Histogram
import ConnModel
import ConnAnalysis

/// Merges the workers' results into one ``RunReport`` after they have stopped.
///
/// Its stored properties are what the run's phases hand over to the report, one each, read once.
struct ReportBuilder {
    var config: RunConfig
    var workerCount: Int
    var cpus: [Int]
    var targets: [SocketAddress]
    var results: [WorkerResult]
    var startNs: UInt64
    var measureStartNs: UInt64
    var measuredNs: UInt64
    var interrupted: Bool
    var startedAtNs: UInt64
    var listener: ListenerInfo?
    var openFiles: UInt64
    var cpuBusy: Double?
    var notes: [String]
    var kernel: KernelContext
    var ports: PortSamples
    var endedAtOnset: Bool
    var numaRoutes: [NumaPlacement.Route] = []
    var listenerNamespace: ListenerNamespaceReport? = nil
    /// Wall-clock time of `startNs`; 0 when unknown (then `startedAtNs` stands in).
    var startWallNs: UInt64 = 0
    /// The built-in listener's CPUs and threads (nil with `--target` or a veth lab, whose
    /// listener is not on this side), to name a layout that shares the workers' CPUs.
    var listenerCPUs: [Int]? = nil
    var listenerThreads = 0
    /// Other processes' share of the workers' CPUs over the run.
    var otherLoadShare: Double? = nil
    var kernelTrace: KernelTraceFigures? = nil

    func build() -> RunReport {
        var all = WorkerFigures()
        var scheduledSum: UInt64 = 0, notStarted: UInt64 = 0, wallNs: UInt64 = 0, lastStart: UInt64 = 0
        for r in results where r.fatal == nil {
            all.add(r.figures)
            scheduledSum += r.scheduled
            notStarted += r.notStarted
            wallNs += r.wallNs
            lastStart = Swift.max(lastStart, r.lastStartNs)
        }
        let tally = all.measured
        let measuredSeconds = Double(measuredNs) / 1e9
        // Open loop: what each worker's share of the schedule had due in the window it
        // ran, and what it never started — counted, not started late past the end.
        let openLoop = config.rate.perSecond != nil
        let scheduled: UInt64? = openLoop ? scheduledSum : nil
        var report = RunReport(
            setup: RunSetup(config: config, workers: workerCount, cpus: cpus),
            startedAtUTC: WallClock.utcStamp(nanoseconds: startedAtNs),
            measuredSeconds: measuredSeconds,
            interrupted: interrupted,
            scheduled: scheduled,
            notStarted: openLoop ? notStarted : nil,
            lastStartSeconds: Double(lastStart) / 1e9,
            observationGap: LatencySummary(all.gap),
            spinShare: wallNs > 0 ? Double(all.spinNs) / Double(wallNs) : 0,
            timeoutsFoundEstablished: all.timeoutsFoundEstablished,
            timeoutsFoundFailed: all.timeoutsFoundFailed,
            tally: tally,
            warmup: all.warmup,
            latency: LatencySummary(all.latency),
            service: LatencySummary(all.service),
            connectCall: LatencySummary(all.connectCall),
            startLag: LatencySummary(all.startLag),
            lateStarts: all.late,
            capStalls: all.capStalls,
            capStallSeconds: Double(all.capStallNs) / 1e9,
            errors: errorRows(),
            intervals: intervalRows(),
            workers: workerInfos(),
            listener: listener,
            openFilesLimit: openFiles,
            cpuBusy: cpuBusy,
            selfConnects: all.selfConnects,
            kernel: kernel,
            ports: ports,
            onset: nil,
            endedAtOnset: endedAtOnset,
            matrixCase: nil,
            notes: notes,
            verdict: Verdict(held: nil, shortfallPercent: 0, cause: nil, line: ""),
            histograms: .init(latency: all.latency, service: all.service, connectCall: all.connectCall))
        addAnalyses(&report, all)
        report.identity = .new(startEpochNs: startWallNs > 0 ? startWallNs : startedAtNs)
        report.warnings = FigureWarnings.warnings(report)
        report.verdict = VerdictAssessment.assess(report, concurrency: config.resolvedConcurrency)
        return report
    }

    /// What the report's own figures say: the onset, the port columns, the port budget,
    /// the generator's time, SYN retransmits, NUMA placement.
    func addAnalyses(_ report: inout RunReport, _ all: WorkerFigures) {
        let merged = mergedBuckets()
        report.onset = OnsetAnalysis(buckets: merged.buckets, bucketNs: merged.bucketNs, feedUpTo: merged.feedUpTo,
                                     errors: report.errors, ports: ports,
                                     parameters: .init(engine: config.engine == .ioUring ? .ioUring : .epoll),
                                     online: results.compactMap(\.onlineOnset)).onset()
        report.intervals = addPortColumns(report.intervals, buckets: merged.buckets, bucketNs: merged.bucketNs)
        report.settledAtOnce = all.settledAtOnce
        report.uringTimers = all.uringTimers
        report.listenerNamespace = listenerNamespace
        report.portBudget = portBudget(onset: report.onset, established: report.establishedPerSecond,
                                       observed: timeWaitObservation(report), lifetimeNs: all.service.mean)
        report.intervalHistograms = loggedIntervals()
        report.generatorTime = generatorTime(all)
        report.kernelTrace = kernelTrace
        if config.engine != .ioUring {
            report.synRetransmits = all.syn.connects
            report.synRetransmitDetail = all.syn
            if all.callRunning.totalCount > 0 {
                report.histograms.callRunning = all.callRunning
                report.histograms.serviceRunning = all.serviceRunning
            }
        }
        if let topology = NumaTopology.read() {
            let nodes = results.filter { $0.fatal == nil }.map { r in r.cpu.flatMap { topology.node(ofCPU: $0) } }
            report.numa = NumaPlacement(topology: topology, workerNodes: nodes, routes: numaRoutes)
        }
    }

    func workerInfos() -> [WorkerInfo] {
        results.filter { $0.fatal == nil }.map { r in
            let gap = r.figures.gap, seen = gap.totalCount > 0
            return WorkerInfo(id: r.id, cpu: r.cpu, pinning: r.pinMethod?.rawValue ?? "none",
                              cpuUtilization: r.wallNs > 0 ? Double(r.cpuNs) / Double(r.wallNs) : 0,
                              attempts: r.figures.measured.attempts + r.figures.warmup.attempts,
                              gapP50Ns: seen ? gap.valueAtPercentile(50) : 0,
                              gapP99Ns: seen ? gap.valueAtPercentile(99) : 0,
                              gapMaxNs: seen ? gap.max : 0,
                              spinShare: r.wallNs > 0 ? Double(r.figures.spinNs) / Double(r.wallNs) : 0,
                              cpuWaitShare: r.scheduling.available && r.wallNs > 0 ? Double(r.scheduling.cpuWaitNs) / Double(r.wallNs) : nil,
                              preemptions: r.scheduling.available ? r.scheduling.preemptions : nil)
        }
    }

    /// The workers' scheduler figures together; nil where the kernel keeps none.
    func generatorTime(_ all: WorkerFigures) -> GeneratorTime? {
        let live = results.filter { $0.fatal == nil && $0.scheduling.available }
        guard !live.isEmpty else { return nil }
        let wall = live.reduce(UInt64(0)) { $0 + $1.wallNs }
        let wait = live.reduce(UInt64(0)) { $0 + $1.scheduling.cpuWaitNs }
        let uring = config.engine == .ioUring
        let workerCPUs = Set(live.compactMap(\.cpu))
        let shared = listenerCPUs.map { Set($0).intersection(workerCPUs).sorted() } ?? []
        let dropped = live.reduce(0) { $0 + $1.scheduling.stallsDropped }
        var g = GeneratorTime(
            cpuWaitShare: wall > 0 ? Double(wait) / Double(wall) : 0,
            preemptions: live.reduce(0) { $0 + $1.scheduling.preemptions },
            sampleEvery: SchedulerTrack.sampleEvery,
            callRunning: uring || all.callRunning.totalCount == 0 ? nil : LatencySummary(all.callRunning),
            serviceRunning: uring || all.serviceRunning.totalCount == 0 ? nil : LatencySummary(all.serviceRunning),
            stalls: GeneratorTime.mergeStalls(live.map(\.scheduling.stalls)),
            sharedCPUs: shared, listenerThreads: shared.isEmpty ? 0 : listenerThreads,
            otherLoadShare: otherLoadShare)
        g.stallsNotListed = dropped > 0 ? dropped : nil
        return g
    }

    /// At the rate the ports were spent at: the asked rate when the run kept it; the rate
    /// measured before any onset (else the established rate: a refused connect holds no
    /// port after it) in closed loop, or in an open loop that fell more than 5% behind.
    func portBudget(onset: Onset?, established: Double, observed: TimeWaitObservation?, lifetimeNs: Double) -> PortBudget? {
        guard let inputs = PortBudget.Inputs.of(config: config, targets: targets, tunables: kernel.tunables,
                                                listenerMode: listener?.mode, observed: observed) else { return nil }
        let measured = onset.map(\.rateBefore).flatMap { $0 > 0 ? $0 : nil } ?? established
        let lifetime = lifetimeNs.isFinite && lifetimeNs > 0 ? lifetimeNs / 1e9 : nil
        var b: PortBudget
        if let asked = config.rate.perSecond, measured >= 0.95 * asked {
            b = .predict(inputs, rate: asked, lifetimeSeconds: lifetime)
        } else {
            b = .predict(inputs, rate: measured > 0 ? measured : nil, rateMeasured: true, lifetimeSeconds: lifetime)
            b.askedRate = config.rate.perSecond
        }
        if b.holdSeconds == 0 { b.inFlightPeak = ports.peakPortsInUse }
        return b
    }

    /// Who held TIME_WAIT, as the end of the run shows it; nil where the socket table
    /// could not be read.
    func timeWaitObservation(_ r: RunReport) -> TimeWaitObservation? {
        guard let tw = kernel.timeWaitSides else { return nil }
        let resets = (kernel.counter(.establishedResets)?.delta ?? 0)
            + (listenerNamespace?.kernel.counter(.establishedResets)?.delta ?? 0)
        return TimeWaitObservation(established: r.tally.established + r.warmup.established,
                                   clientTimeWait: tw.clientSide, listenerTimeWait: tw.listenerSide, resets: resets)
    }

    /// Run-wide attempt number of a worker's local attempt at time `t`: its own count and
    /// what the other workers had started by then, from their millisecond marks. Also in
    /// open loop: a worker that fell behind the schedule had not started its share, and
    /// the schedule's place would count attempts no port was ever taken for.
    func globalAttempt(worker: Int, local: UInt64, atNs t: UInt64) -> UInt64 {
        var total = local
        for r in results where r.id != worker && r.fatal == nil && !r.marks.isEmpty {
            let step = ProgressMarks.stepNs
            let i = Int(t / step)
            let lo = UInt64(r.marks[Swift.min(i, r.marks.count - 1)])
            let hi = UInt64(r.marks[Swift.min(i + 1, r.marks.count - 1)])
            let frac = Double(t % step) / Double(step)
            total += lo + UInt64(Double(hi >= lo ? hi - lo : 0) * frac)
        }
        return total
    }

    func errorRows() -> [ErrorRow] {
        let rows = results.filter { $0.fatal == nil }.flatMap { r in
            r.errors.map { e in
                ErrorRow(errno: e.errno, name: Errno(rawValue: e.errno).name, site: e.site, count: e.count,
                         firstSeconds: Double(e.firstNs) / 1e9,
                         firstAttempt: globalAttempt(worker: r.id, local: e.firstLocalAttempt, atNs: e.firstNs))
            }
        }
        return rows.mergedByErrnoAndCall().sorted { ($0.firstSeconds, $0.name) < ($1.firstSeconds, $1.name) }
    }

    func intervalRows() -> [IntervalRow] {
        let live = results.filter { $0.fatal == nil }
        guard let n = live.map(\.intervalStarted.count).max(), n > 0 else { return [] }
        let step = Double(config.intervalNs) / 1e9
        let totalNs = config.warmupNs + measuredNs
        let used = Swift.min(n, Int((totalNs + config.intervalNs - 1) / config.intervalNs))
        var rows: [IntervalRow] = []
        for i in 0..<used {
            var lat = LatencyHistogram.makeInterval()
            var call = LatencyHistogram.makeInterval()
            var row = IntervalRow(index: i, startSeconds: Double(i) * step,
                                  seconds: Swift.min(step, Double(totalNs) / 1e9 - Double(i) * step),
                                  warmup: UInt64(i) * config.intervalNs < config.warmupNs,
                                  started: 0, established: 0, failed: 0, timedOut: 0,
                                  p50: 0, p90: 0, p99: 0, max: 0, connectCallP50: 0, connectCallP99: 0,
                                  portsInUse: nil, timeWait: nil, evenPorts: 0, oddPorts: 0, errors: [:])
            var wait: UInt64 = 0, preempted: UInt64 = 0, scheduled = 0, syn: UInt64 = 0
            for r in live where i < r.intervalStarted.count {
                if r.scheduling.available && i < r.scheduling.intervalWaitNs.count {
                    wait += r.scheduling.intervalWaitNs[i]
                    preempted += r.scheduling.intervalPreemptions[i]
                    scheduled += 1
                }
                // The series keeps what ended after the window (the drain) in slots past
                // it; the last row takes them, so the rows add up to the run's totals.
                for j in i..<(i == used - 1 ? r.intervalStarted.count : i + 1) {
                    if j < r.intervalSynRetransmits.count { syn += r.intervalSynRetransmits[j] }
                    row.started += r.intervalStarted[j]
                    row.established += r.intervalEstablished[j]
                    row.failed += r.intervalFailed[j]
                    row.timedOut += r.intervalTimedOut[j]
                    lat.add(r.intervalLatency[j])
                    call.add(r.intervalConnectCall[j])
                    let base = j * ErrorTable.errnoSlots
                    for e in 0..<ErrorTable.errnoSlots where r.intervalErrors[base + e] > 0 {
                        row.errors[.errno(Errno(rawValue: Int32(e))), default: 0] += UInt64(r.intervalErrors[base + e])
                    }
                }
            }
            if row.timedOut > 0 { row.errors[.timeout] = row.timedOut }
            let l = LatencySummary(lat, unitNs: 1000)
            let c = LatencySummary(call, unitNs: 1000)
            row.p50 = l.p50; row.p90 = l.p90; row.p99 = l.p99; row.max = l.max
            row.connectCallP50 = c.p50; row.connectCallP99 = c.p99
            if scheduled > 0 && row.seconds > 0 {
                row.cpuWaitPct = Double(wait) / (Double(scheduled) * row.seconds * 1e9) * 100
                row.preemptions = preempted
            }
            if config.engine != .ioUring { row.synRetransmits = syn }
            rows.append(row)
        }
        return rows
    }

    /// The workers' `latency.hlog` intervals added up, cut at the measured window's end:
    /// whatever completed after it (the drain) goes into the last interval, so the rows
    /// add up to the whole-run histograms exactly.
    func loggedIntervals() -> IntervalHistograms {
        let live = results.filter { $0.fatal == nil }
        let wallNs = startWallNs > 0 ? startWallNs : startedAtNs
        var log = IntervalHistograms(startEpochMs: wallNs / 1_000_000, rows: [])
        guard let stepNs = live.first?.loggedIntervalNs, stepNs > 0 else { return log }
        let n = live.map(\.loggedLatency.count).max() ?? 0
        let used = Swift.min(n, Swift.max(1, Int((measuredNs + stepNs - 1) / stepNs)))
        guard used > 0 else { return log }
        for i in 0..<used {
            let startNs = config.warmupNs + UInt64(i) * stepNs
            let endNs = Swift.min(config.warmupNs + UInt64(i + 1) * stepNs, config.warmupNs + Swift.max(measuredNs, 1))
            var row = IntervalHistograms.Row(startSeconds: Double(startNs) / 1e9,
                                             seconds: Double(endNs > startNs ? endNs - startNs : 0) / 1e9,
                                             latency: LatencyHistogram.makeLogInterval(),
                                             service: LatencyHistogram.makeLogInterval(),
                                             connectCall: LatencyHistogram.makeLogInterval(),
                                             callRunning: config.engine == .ioUring ? nil : LatencyHistogram.makeLogInterval())
            let last = i == used - 1
            for r in live {
                for j in (last ? i..<r.loggedLatency.count : i..<Swift.min(i + 1, r.loggedLatency.count)) {
                    row.latency.add(r.loggedLatency[j])
                    row.service.add(r.loggedService[j])
                    row.connectCall.add(r.loggedConnectCall[j])
                    if j < r.loggedCallRunning.count { row.callRunning?.add(r.loggedCallRunning[j]) }
                }
            }
            log.rows.append(row)
        }
        return log
    }

    /// The workers' onset buckets added up, and how many of them the detector may look at:
    /// none after the first worker stopped starting attempts (its count cap, the end of
    /// the schedule, a stop) — the rate falls there for reasons that are not exhaustion.
    func mergedBuckets() -> (buckets: [OnsetBucket], bucketNs: UInt64, feedUpTo: Int) {
        let live = results.filter { $0.fatal == nil }
        let bucketNs = live.first?.onsetBucketNs ?? 5_000_000
        let n = live.map(\.onsetBuckets.count).max() ?? 0
        var buckets = Array(repeating: OnsetBucket(), count: n)
        for r in live { for (i, b) in r.onsetBuckets.enumerated() { buckets[i] = buckets[i] + b } }
        let lastStart = live.map(\.lastStartNs).min() ?? 0
        let measuredEnd = (config.warmupNs + measuredNs) / bucketNs
        let feedUpTo = Swift.min(n, Int(Swift.min(lastStart / bucketNs, measuredEnd)))
        return (buckets, bucketNs, feedUpTo)
    }

    func addPortColumns(_ rows: [IntervalRow], buckets: [OnsetBucket], bucketNs: UInt64) -> [IntervalRow] {
        var out = rows
        for i in out.indices {
            let startNs = UInt64(i) * config.intervalNs
            let endNs = startNs + config.intervalNs
            let first = Int(startNs / bucketNs)
            let last = Swift.min(buckets.count, Int((endNs + bucketNs - 1) / bucketNs))
            if first < last {
                for b in buckets[first..<last] {
                    out[i].evenPorts += UInt64(b.evenPorts)
                    out[i].oddPorts += UInt64(b.oddPorts)
                }
            }
            let sampleAt = Swift.min(endNs, config.warmupNs + measuredNs)
            if let s = ports.nearest(atNs: sampleAt) {
                out[i].timeWait = s.timeWait
                out[i].portsInUse = ports.portsInUse(atNs: sampleAt)
            }
        }
        return out
    }
}
