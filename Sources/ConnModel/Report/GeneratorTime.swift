/// Where the generator's own time went, so a latency figure says what else it holds: the
/// workers' wait for a CPU, their preemptions, the sampled connect() calls with that wait
/// taken out, the stretches in which a worker did not run at all, and who shared the
/// workers' CPUs.
package struct GeneratorTime: Sendable, Codable, Equatable {
    /// The workers' CPU wait over their wall time, all workers together (0…1).
    package var cpuWaitShare: Double
    /// Involuntary context switches of the worker threads.
    package var preemptions: UInt64
    /// 1 in this many attempts had its CPU wait read around connect().
    package var sampleEvery: UInt64
    /// The sampled connect() calls, wall time less the wait inside them; nil on io_uring
    /// (no connect() call) and where no call was sampled.
    package var callRunning: LatencySummary?
    /// The sampled established attempts' service time less the wait from call to completion.
    package var serviceRunning: LatencySummary?
    package var stalls: [GeneratorStall]
    /// CPUs that the built-in listener's threads and the workers both ran on.
    package var sharedCPUs: [Int]
    package var listenerThreads: Int
    /// Task time of other processes on the workers' CPUs, over all their time (0…1); a
    /// lower bound (see ``CPUStat/otherShare(since:processNs:)``).
    package var otherLoadShare: Double?
    /// Stalls beyond the ones a worker keeps (``SchedulerTrack/stallCapacity``): counted,
    /// not dated; nil when there were none.
    package var stallsNotListed: Int? = nil

    package init(cpuWaitShare: Double, preemptions: UInt64, sampleEvery: UInt64, callRunning: LatencySummary?,
                serviceRunning: LatencySummary?, stalls: [GeneratorStall], sharedCPUs: [Int], listenerThreads: Int,
                otherLoadShare: Double?) {
        self.cpuWaitShare = cpuWaitShare
        self.preemptions = preemptions
        self.sampleEvery = sampleEvery
        self.callRunning = callRunning
        self.serviceRunning = serviceRunning
        self.stalls = stalls
        self.sharedCPUs = sharedCPUs
        self.listenerThreads = listenerThreads
        self.otherLoadShare = otherLoadShare
    }

    /// Who else ran on the workers' CPUs, in words, when known.
    package var sharers: String? {
        var who: [String] = []
        if !sharedCPUs.isEmpty {
            who.append("the built-in listener's \(listenerThreads) thread(s) on CPU \(sharedCPUs.map(String.init).joined(separator: ","))")
        }
        if let o = otherLoadShare, o >= 0.05 { who.append("other processes (\(Num.f1(o * 100))% of those CPUs)") }
        return who.isEmpty ? nil : who.joined(separator: " and ")
    }

    /// The longest stall, if any.
    package var longestStall: GeneratorStall? { stalls.max { $0.seconds < $1.seconds } }

    /// Workers' stalls merged into the stretches they cover together: a stopped process
    /// stops every worker at once, and that is one stall, not one per worker.
    package static func mergeStalls(_ perWorker: [[WorkerStall]]) -> [GeneratorStall] {
        let all = perWorker.flatMap { $0 }.sorted { $0.startNs < $1.startNs }
        var out: [(start: UInt64, end: UInt64, wait: UInt64, length: UInt64, workers: Int)] = []
        for s in all {
            let end = s.startNs + s.lengthNs
            if let last = out.last, s.startNs <= last.end + 10_000_000 {
                out[out.count - 1].end = Swift.max(last.end, end)
                out[out.count - 1].workers += 1
                if s.lengthNs > 0 && Double(s.waitBoundNs) / Double(s.lengthNs) > Double(last.wait) / Double(Swift.max(1, last.length)) {
                    out[out.count - 1].wait = s.waitBoundNs
                    out[out.count - 1].length = s.lengthNs
                }
            } else {
                out.append((s.startNs, end, s.waitBoundNs, s.lengthNs, 1))
            }
        }
        return out.map { m in
            let share = Double(m.wait) / Double(Swift.max(1, m.length))
            return GeneratorStall(startSeconds: Double(m.start) / 1e9, seconds: Double(m.end - m.start) / 1e9,
                                  workers: m.workers, cause: share >= 0.5 ? .waitingForCPU : .notRunning)
        }
    }
}

/// A stretch in which the generator's loop did not run.
package struct GeneratorStall: Sendable, Codable, Equatable {
    /// Since the run's start (warm-up included).
    package var startSeconds: Double
    package var seconds: Double
    /// Workers that stalled in it.
    package var workers: Int
    package var cause: StallCause

    package init(startSeconds: Double, seconds: Double, workers: Int, cause: StallCause) {
        self.startSeconds = startSeconds
        self.seconds = seconds
        self.workers = workers
        self.cause = cause
    }

    /// `generator stalled 502 ms at 1.2 s (not running: ...)`.
    package var text: String {
        "generator stalled \(Int((seconds * 1000).rounded())) ms at \(Num.f1(startSeconds)) s (\(cause.words))"
    }
}

/// Why a worker did not run: it waited for a CPU, or it had no CPU time and no wait at
/// all (stopped by a signal, frozen, a VM paused).
package enum StallCause: String, Sendable, Codable {
    case waitingForCPU = "cpu-wait"
    case notRunning = "not-running"

    package var words: String {
        switch self {
        case .waitingForCPU: "waiting for a CPU"
        case .notRunning: "not running and not waiting for a CPU: stopped or frozen"
        }
    }
}

/// A stretch in which one worker's loop did not run (see ``SchedulerTrack/stallNs``).
package struct WorkerStall: Sendable, Equatable {
    package init(startNs: UInt64, lengthNs: UInt64, waitBoundNs: UInt64) {
        self.startNs = startNs
        self.lengthNs = lengthNs
        self.waitBoundNs = waitBoundNs
    }
    /// Since the run's start.
    package var startNs: UInt64
    package var lengthNs: UInt64
    /// The thread's CPU wait since the last interval boundary, at most `lengthNs`: a stall
    /// with little of it was the thread not running at all (stopped, frozen), not waiting.
    package var waitBoundNs: UInt64
}
