@preconcurrency import Glibc
import ConnSys
import ConnModel

/// A running tracer's outputs and its keeper thread, read against deadlines.
struct TraceChannels: ~Copyable {
    let child: SpawnedProgram
    let thread: PosixThread
    let stdout: LineReader
    let stderr: LineReader
    let notify: LineReader
    var figures: KernelTraceFigures?
    private var joined = false

    init(child: SpawnedProgram, thread: PosixThread, notify: LineReader) {
        self.child = child
        self.thread = thread
        self.stdout = LineReader(child.stdout)
        self.stderr = LineReader(child.stderr)
        self.notify = notify
    }

    /// Reads stdout until `marker`; false at the deadline or when stdout ends first.
    func awaitLine(_ marker: String, until deadline: UInt64) -> Bool {
        while true {
            let now = MonotonicClock.now()
            guard now < deadline, !stdout.closed else { return false }
            if stdout.nextLine(timeoutNs: deadline - now) == marker { return true }
        }
    }

    /// Everything stdout says until it ends or the deadline passes; `silent` runs after
    /// each `quietNs` in which nothing came.
    func readToEnd(until deadline: UInt64, quietNs: UInt64 = 2_000_000_000, silent: () -> Void = {}) -> String {
        var lines: [String] = []
        var lastHeard = MonotonicClock.now()
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { break }
            if let line = stdout.nextLine(timeoutNs: Swift.min(deadline - now, quietNs)) {
                lines.append(line)
                lastHeard = MonotonicClock.now()
            } else if stdout.closed {
                break
            } else if MonotonicClock.now() - lastHeard >= quietNs {
                silent()
                lastHeard = MonotonicClock.now()
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Waits (bounded) for the keeper to reap bpftrace, killing it if it lingers, then joins
    /// the keeper and closes the channels.
    mutating func end(tracer: TracerState) {
        guard !joined else { return }
        if !awaitEnded(seconds: 5) {
            tracer.signal(SIGKILL)
            _ = awaitEnded(seconds: 10)
        }
        if tracer.status != nil { thread.join() }
        drainStderr()
        child.closeChannels()
        notify.fd.closeSocket()
        joined = true
    }

    private func awaitEnded(seconds: UInt64) -> Bool {
        let deadline = MonotonicClock.now() + seconds * 1_000_000_000
        while true {
            let now = MonotonicClock.now()
            guard now < deadline, !notify.closed else { return notify.closed }
            if TracerKeeper.Event.next(notify, timeoutNs: deadline - now) == .ended { return true }
        }
    }

    /// Why a tracer did not attach: it ended first (its stderr says why), or it was too slow.
    mutating func failure(tracer: TracerState, attachLimitSeconds: Int) -> KernelTrace.Failure {
        let timedOut = !stdout.closed
        if timedOut { tracer.signal(SIGKILL) }
        end(tracer: tracer)
        if timedOut { return .attachTimeout(seconds: attachLimitSeconds) }
        let said = firstErrorLine()
        if tracer.status == TracerCommand.noTracefsStatus { return .noTracepoints(said) }
        return .exitedBeforeAttaching(said)
    }

    /// The first line on stderr that is not bpftrace's memlock notice, which it prints on
    /// every start on kernels that account BPF memory by cgroup, where it is harmless.
    func firstErrorLine() -> String {
        drainStderr()
        var first: String?
        while let line = stderr.takeLine() {
            if first == nil { first = line }
            if !line.contains("RLIMIT_MEMLOCK") && !line.trimmingWhitespace().isEmpty { return line }
        }
        return first ?? ""
    }

    /// Reads stderr until it ends (bounded); once the channels are closed their numbers may
    /// belong to someone else's descriptors, so nothing is read any more.
    private func drainStderr() {
        guard !joined else { return }
        let deadline = MonotonicClock.now() + 1_000_000_000
        while !stderr.closed && MonotonicClock.now() < deadline {
            var pfd = pollfd(fd: stderr.fd.rawValue, events: Int16(POLLIN), revents: 0)
            if ((try? syscall { poll(&pfd, 1, 100) }) ?? 0) > 0 { stderr.fill() }
        }
    }
}
