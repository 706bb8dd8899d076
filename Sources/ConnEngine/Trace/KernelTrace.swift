@preconcurrency import Glibc
import ConnSys
import Synchronization
import ConnModel

/// The kernel's own clock on a run's connects: bpftrace, attached for the run's window and
/// filtered to the worker threads.
///
/// connbench's wall time around each `connect()` includes a wait for a CPU on the way back
/// to user space; the kernel's tracepoints are on the far side of that wait. The figures
/// (`KernelTraceFigures`) tell the two apart, and the run-queue delay says how much of the
/// difference was waiting to run. The tracer is bounded three ways: its own time limit (an
/// interval probe), `stop()`, and PR_SET_PDEATHSIG should connbench die first.
///
/// Start it after the workers have said their thread ids and before they pass the start
/// line (attaching takes a second or two), and stop it once they have finished.
package final class KernelTrace: Sendable {
    /// How long bpftrace took from spawn to its probes attached.
    package let attachNanoseconds: UInt64
    package let program: KernelTraceProgram
    private let tracer: TracerState
    private let io: Mutex<TraceChannels>

    package static let attachLimitSeconds = 30
    static let endLimitNs: UInt64 = 30_000_000_000
    /// Enough keys for every bucket (6401) and for the sockets in SYN_SENT at once, which a
    /// process can have about as many of as it has descriptors.
    static let environment = ["BPFTRACE_MAP_KEYS_MAX": "65536"]

    private init(attachNanoseconds: UInt64, program: KernelTraceProgram, tracer: TracerState, io: consuming sending TraceChannels) {
        self.attachNanoseconds = attachNanoseconds
        self.program = program
        self.tracer = tracer
        self.io = Mutex(io)
    }

    /// What a trace needs before anything of a run exists (bpftrace on PATH, root), so a run
    /// asked for one fails in one line up front rather than after its listener started.
    package static func preflight() throws(Failure) {
        guard SpawnedProgram.locate("bpftrace") != nil else { throw .noBpftrace }
        guard geteuid() == 0 else { throw .notRoot }
    }

    /// Starts bpftrace on `pid`'s threads `tids` and returns once its probes are attached.
    /// `timeLimitSeconds` bounds the trace should `stop()` never come.
    package static func start(pid: Int32, tids: [Int32], timeLimitSeconds: Int,
                             tracefs: TracefsAccess = .automatic) throws(Failure) -> KernelTrace {
        guard let bpftrace = SpawnedProgram.locate("bpftrace") else { throw .noBpftrace }
        return try start(pid: pid, tids: tids, timeLimitSeconds: timeLimitSeconds, tracefs: tracefs,
                         bpftrace: bpftrace, attachLimitSeconds: attachLimitSeconds)
    }

    /// `start` with the tracer's path and the attach limit given: a test's stand-in for
    /// bpftrace fails in ways the real one rarely does.
    static func start(pid: Int32, tids: [Int32], timeLimitSeconds: Int, tracefs: TracefsAccess,
                      bpftrace: String, attachLimitSeconds: Int) throws(Failure) -> KernelTrace {
        guard geteuid() == 0 else { throw .notRoot }
        guard !tids.isEmpty else { throw .noThreads }
        let privateTracefs = tracefs == .privateMount || !TracerCommand.hostHasTracepoints
        let program = KernelTraceProgram(pid: pid, tids: tids, timeLimitSeconds: timeLimitSeconds)
        let command = try TracerCommand.make(bpftrace: bpftrace, program: program.text, privateTracefs: privateTracefs)
        let began = MonotonicClock.now()
        let state = TracerState()
        let launched: (thread: PosixThread, notify: FileDescriptor)
        do { launched = try TracerKeeper.launch(command, environment: environment, state: state) } catch { throw .spawnFailed(error) }
        let notify = LineReader(launched.notify)
        _ = TracerKeeper.Event.next(notify, timeoutNs: 10_000_000_000)  // .spawned
        let spawned = state.phase.withLock { ($0.program, $0.spawnError) }
        guard let child = spawned.0 else {
            launched.thread.join()
            launched.notify.closeSocket()
            throw .spawnFailed(spawned.1 ?? .noSuchProcess)
        }
        var channels = TraceChannels(child: child, thread: launched.thread, notify: notify)
        let attached = channels.awaitLine(KernelTraceProgram.attachedMarker,
                                          until: began + UInt64(attachLimitSeconds) * 1_000_000_000)
        if !attached {
            throw channels.failure(tracer: state, attachLimitSeconds: attachLimitSeconds)
        }
        return KernelTrace(attachNanoseconds: MonotonicClock.now() - began, program: program, tracer: state, io: channels)
    }

    /// Stops bpftrace (SIGINT, so that it prints its maps), reads them and returns the
    /// figures. Bounded: a tracer that does not finish in time is killed, and the figures
    /// say so. A second call returns the same figures.
    package func stop() -> KernelTraceFigures {
        io.withLock { channels in
            if let done = channels.figures { return done }
            tracer.signal(SIGINT)
            let text = channels.readToEnd(until: MonotonicClock.now() + Self.endLimitNs) {
                // Silent while it should be printing: the SIGINT may have woken a thread
                // that was not the one polling, so it is said again.
                tracer.signal(SIGINT)
            }
            var warnings: [String] = []
            if !channels.stdout.closed {
                warnings.append("bpftrace did not finish printing its maps within \(Self.endLimitNs / 1_000_000_000) s: the figures are partial")
            }
            channels.end(tracer: tracer)
            if let status = tracer.status, status != 0 {
                let said = channels.firstErrorLine()
                warnings.append("bpftrace exited with status \(status)\(said.isEmpty ? "" : ": " + said)")
            }
            var figures = KernelTraceOutput.parse(text)
            if figures.timeLimitReached {
                warnings.append("bpftrace reached its time limit of \(program.timeLimitSeconds) s before the stop: the trace missed the rest of the run")
            }
            figures.warnings = warnings + figures.warnings
            channels.figures = figures
            return figures
        }
    }

    /// A trace dropped without `stop()` is killed, and its thread and channels are released.
    deinit {
        io.withLock { channels in
            guard channels.figures == nil else { return }
            tracer.signal(SIGKILL)
            channels.end(tracer: tracer)
        }
    }
}
