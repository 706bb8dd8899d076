@preconcurrency import Glibc
import ConnSys
import Synchronization

/// The EINTR scenario's signal: SIGURG with a handler that does nothing, installed without
/// SA_RESTART so a blocking connect() returns EINTR instead of being restarted.
///
/// SIGURG because its default action is to ignore: should a signal ever arrive where no
/// handler is installed, nothing dies. The handler is installed once for the process and
/// left in place (restoring it while another scenario still relies on it would race).
enum ProbeSignal {
    static let number = SIGURG

    /// nil once installed; the errno of sigaction otherwise.
    static let installed: Errno? = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = probeSignalHandler
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        do throws(Errno) {
            _ = try syscall { sigaction(number, &action, nil) }
            return nil
        } catch {
            return error
        }
    }()

    static func unblockInThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// A thread that sends the signal to one thread, repeatedly, until stopped: a signal
    /// that lands before the target blocks in connect() is absorbed by the handler, the next
    /// one interrupts the wait.
    final class Interrupter: Sendable {
        private let stopped = Atomic<Bool>(false)
        private let sent = Atomic<Int>(0)
        private let thread = Mutex<PosixThread?>(nil)

        static func start(target: pthread_t, firstAfterMs: UInt32, everyMs: UInt32, times: Int) throws(ProbeSetupFailure) -> Interrupter {
            let me = Interrupter()
            let t = try setup("pthread_create") { () throws(Errno) in
                try PosixThread.spawn {
                    usleep(firstAfterMs * 1000)
                    for _ in 0..<times {
                        if me.stopped.load(ordering: .acquiring) { return }
                        let ok = (try? syscall { () -> Int32 in
                            let rc = pthread_kill(target, ProbeSignal.number)
                            if rc != 0 { Glibc.errno = rc; return -1 }
                            return 0
                        }) != nil
                        if ok { me.sent.add(1, ordering: .relaxed) }
                        usleep(everyMs * 1000)
                    }
                }
            }
            me.thread.withLock { $0 = t }
            return me
        }

        /// Stops and joins the sender; returns how many signals it sent.
        func stop() -> Int {
            stopped.store(true, ordering: .releasing)
            let t = thread.withLock { $0 }
            t?.join()
            return sent.load(ordering: .relaxed)
        }
    }
}

private func probeSignalHandler(_ signal: Int32) {}
