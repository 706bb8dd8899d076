@preconcurrency import Glibc
import ConnSys
import ConnModel

/// The run's worker threads, each pinned and building its own state, then waiting at the
/// start line; each hands its result back through its own box.
struct WorkerCrew {
    let boxes: [JoinedResult<WorkerResult>]
    let threads: [PosixThread]
    let finished: SharedCounter
    /// Set by the worker that saw the exhaustion onset when the run ends there.
    let onsetStop: StopFlag
    let line: StartLine
    /// The live progress line: each worker publishes into its own slot once per interval.
    let progressSlots: [ProgressSlot]

    init(_ prep: RunPreparation, targets: [SocketAddress], stop: StopFlag, withProgress: Bool) throws(BenchmarkRunner.Failure) {
        let config = prep.config, workerCount = prep.workerCount
        // The config's rate is this process's share: its workers' places are `places /
        // workerCount` apart in the run's schedule, the same spacing.
        let perWorkerInterval: Double? = config.rate.perSecond.map { 1e9 * Double(workerCount) / $0 }
        boxes = (0..<workerCount).map { _ in JoinedResult<WorkerResult>() }
        progressSlots = withProgress ? (0..<workerCount).map { _ in ProgressSlot() } : []
        finished = SharedCounter()
        onsetStop = StopFlag()
        line = StartLine()
        var threads: [PosixThread] = []
        for id in 0..<workerCount {
            let p = prep.workerPlaces[id]
            let plan = WorkerPlan(id: id, workerCount: workerCount, cpu: prep.workerCPUs.isEmpty ? nil : prep.workerCPUs[id],
                                  targets: targets, config: config, place: p.place, places: p.places, maxAttempts: p.maxAttempts,
                                  perWorkerIntervalNs: perWorkerInterval, onsetStop: onsetStop,
                                  progress: progressSlots.isEmpty ? nil : progressSlots[id])
            let box = boxes[id], line = line, finished = finished
            do {
                threads.append(try PosixThread.spawn {
                    box.value = BenchmarkRunner.runWorker(plan, line: line, stop: stop)
                    finished.add(1)
                })
            } catch {
                stop.stop()
                line.cancel()
                threads.forEach { $0.join() }
                throw .system("pthread_create failed: \(error.name)")
            }
        }
        self.threads = threads
    }

    var allFinished: Bool { finished.value >= UInt64(boxes.count) }

    /// Waits until every worker is pinned, built and ready (or a stop).
    func awaitReady(stop: StopFlag, signals: StopSignals?) {
        while line.readyCount < boxes.count && !stop.isStopped {
            if let signals {
                if signals.wait(nanoseconds: 100_000) != nil { stop.stop() }
            } else {
                var ts = timespec(tv_sec: 0, tv_nsec: 100_000)
                nanosleep(&ts, nil)
            }
        }
    }

    /// Ends a run that cannot start: the workers leave the start line without running.
    func abandon(stop: StopFlag) {
        stop.stop()
        line.cancel()
        threads.forEach { $0.join() }
    }

    func join() { threads.forEach { $0.join() } }

    var results: [WorkerResult] { boxes.map { $0.value ?? WorkerResult(id: -1, fatal: "worker produced no result") } }
}
