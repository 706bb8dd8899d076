@preconcurrency import Glibc
import ConnSys
import Synchronization
import ConnModel

/// The command line that starts bpftrace.
///
/// `setpriv --pdeathsig KILL` sets PR_SET_PDEATHSIG before it execs, and every step after
/// it execs in place (unshare without --fork, `exec` in the shell), so the signal stays on
/// bpftrace itself: it cannot outlive connbench. In the private form, unshare gives it a
/// mount namespace of its own in which the shell mounts tracefs; the mount ends with the
/// namespace, that is with bpftrace, and the host never sees it.
struct TracerCommand: Sendable {
    /// The shell's status when tracefs could not be mounted or has no syscall events.
    static let noTracefsStatus: Int32 = 97
    static let tracefs = "/sys/kernel/tracing"

    var path: String
    var arguments: [String]

    static func make(bpftrace: String, program: String, privateTracefs: Bool) throws(KernelTrace.Failure) -> TracerCommand {
        guard let setpriv = SpawnedProgram.locate("setpriv") else { throw .missingHelper("setpriv") }
        let traced = [bpftrace, "-B", "line", "-e", program]
        guard privateTracefs else {
            return TracerCommand(path: setpriv, arguments: ["--pdeathsig", "KILL", "--"] + traced)
        }
        guard let unshare = SpawnedProgram.locate("unshare") else { throw .missingHelper("unshare") }
        // A tracefs the namespace inherited already mounted is used as it is (a second
        // mount on the same point fails).
        let script = "[ -d \(tracefs)/events/syscalls ] || mount -t tracefs nodev \(tracefs) || exit \(noTracefsStatus); "
            + "[ -d \(tracefs)/events/syscalls/sys_enter_connect ] || { echo 'no syscalls events in tracefs' >&2; exit \(noTracefsStatus); }; "
            + "exec \"$0\" \"$@\""
        let shell = ["/bin/sh", "-c", script]
        return TracerCommand(path: setpriv,
                             arguments: ["--pdeathsig", "KILL", "--", unshare, "--mount", "--propagation", "private", "--"] + shell + traced)
    }

    static var hostHasTracepoints: Bool {
        var st = stat()
        return (try? syscall { stat(tracefs + "/events/syscalls/sys_enter_connect", &st) }) != nil
    }
}

/// What the keeper thread knows of bpftrace, shared with the trace.
final class TracerState: Sendable {
    struct Phase: Sendable {
        var program: SpawnedProgram?
        var spawnError: Errno?
        /// Ended (a zombie or reaped): no signal may be sent any more.
        var ended = false
        var status: Int32?
    }

    let phase = Mutex(Phase())

    /// Signals bpftrace unless it has ended, under the lock the keeper takes before it reaps,
    /// so the pid is still bpftrace's when the signal goes.
    func signal(_ sig: Int32) {
        phase.withLock { p in
            if !p.ended, let program = p.program { program.signal(sig) }
        }
    }

    var status: Int32? { phase.withLock { $0.status } }
}

/// The thread that starts bpftrace and waits for it.
///
/// PR_SET_PDEATHSIG fires when the *thread* that spawned a process ends, not its process,
/// and a run may start a trace from a thread of Swift's pool that ends while the trace
/// runs. A thread of its own that lives until bpftrace has ended leaves the signal to mean
/// what it is for: connbench is gone. It tells its ``Event``s on `notify`.
enum TracerKeeper {
    /// What the keeper tells the run, one line each.
    enum Event: String {
        /// bpftrace was started, or failed to start (``TracerState`` says which).
        case spawned
        /// bpftrace was reaped (or never ran).
        case ended

        func send(_ fd: FileDescriptor) { ChannelIO.sendAll(fd, rawValue + "\n") }

        /// The next event within `timeoutNs`; nil when none came (or the keeper is gone).
        static func next(_ reader: LineReader, timeoutNs: UInt64) -> Event? {
            reader.nextLine(timeoutNs: timeoutNs).flatMap(Event.init(rawValue:))
        }
    }

    static func launch(_ command: TracerCommand, environment: [String: String],
                       state: TracerState) throws(Errno) -> (thread: PosixThread, notify: FileDescriptor) {
        let (notify, tell) = try ProcessSpawn.channelPair()
        do {
            let thread = try PosixThread.spawn {
                keep(command, environment: environment, state: state, tell: tell)
            }
            return (thread, notify)
        } catch {
            notify.closeSocket()
            tell.closeSocket()
            throw error
        }
    }

    private static func keep(_ command: TracerCommand, environment: [String: String],
                             state: TracerState, tell: FileDescriptor) {
        let program: SpawnedProgram
        do {
            program = try SpawnedProgram.spawn(path: command.path, arguments: command.arguments, environment: environment)
            state.phase.withLock { $0.program = program }
        } catch {
            state.phase.withLock { $0.spawnError = error }
            Event.spawned.send(tell)
            Event.ended.send(tell)
            tell.closeSocket()
            return
        }
        Event.spawned.send(tell)
        program.waitUntilEnded()
        state.phase.withLock { $0.ended = true }
        let status = program.reap(block: true)
        state.phase.withLock { $0.status = status }
        Event.ended.send(tell)
        tell.closeSocket()
    }
}
