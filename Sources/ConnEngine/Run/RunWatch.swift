@preconcurrency import Glibc
import ConnSys
import ConnModel

/// The runner thread's work while the workers run: turn SIGINT/SIGTERM into a stop
/// request, sample the namespace's TCP sockets (ports in use, TIME_WAIT) every
/// `sampleStepNs`, and print the progress line. Never a worker's work.
struct RunWatch {
    private let sampler = try? SockstatSampler()
    private(set) var ports = PortSamples()
    private var sampleCostNs: UInt64 = 0
    private var tracker: ProgressTracker
    private let progress: (@Sendable (ProgressLine) -> Void)?

    init(config: RunConfig, slots: [ProgressSlot], progress: (@Sendable (ProgressLine) -> Void)?) {
        ports.samples.reserveCapacity(Int((config.durationNs + config.warmupNs) / BenchmarkRunner.sampleStepNs) + 16)
        tracker = ProgressTracker(slots: slots, intervalNs: config.intervalNs, warmupNs: config.warmupNs,
                                  requested: config.rate.perSecond)
        self.progress = progress
    }

    /// Until every worker has finished; the port samples come back with their mean cost.
    mutating func watch(_ crew: WorkerCrew, timeline: Timeline, stop: StopFlag, signals: StopSignals?) -> PortSamples {
        let step = BenchmarkRunner.sampleStepNs
        sample(startNs: timeline.startNs)
        while !crew.allFinished {
            if let signals {
                if signals.wait(nanoseconds: step) != nil { stop.stop() }
            } else {
                var ts = timespec(tv_sec: 0, tv_nsec: Int(step))
                nanosleep(&ts, nil)
            }
            let now = MonotonicClock.now()
            if now >= timeline.startNs {
                sample(startNs: timeline.startNs)
                publish(sinceStartNs: now - timeline.startNs, final: false)
            }
        }
        sample(startNs: timeline.startNs)
        let now = MonotonicClock.now()
        publish(sinceStartNs: Swift.min(now, timeline.endNs) - Swift.min(timeline.startNs, now), final: true)
        ports.meanSampleNs = ports.samples.isEmpty ? 0 : Double(sampleCostNs) / Double(ports.samples.count + 1)
        return ports
    }

    private mutating func sample(startNs: UInt64) {
        guard let sampler else { return }
        let t0 = MonotonicClock.now()
        guard let s = sampler.sample() else { return }
        sampleCostNs += MonotonicClock.now() - t0
        let sample = PortSamples.Sample(atNs: t0 > startNs ? t0 - startNs : 0, timeWait: s.timeWait, inUse: s.inUse)
        if ports.baseline == nil { ports.baseline = sample } else { ports.samples.append(sample) }
    }

    private mutating func publish(sinceStartNs: UInt64, final: Bool) {
        guard let progress else { return }
        for l in tracker.lines(sinceStartNs: sinceStartNs, portsInUse: BenchmarkRunner.latestPortsInUse(ports), final: final) {
            progress(l)
        }
    }
}
