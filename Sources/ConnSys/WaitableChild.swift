@preconcurrency import Glibc
import SystemPackage

/// A process this one started: a copy of connbench (``ChildProcess``) or another program
/// (``SpawnedProgram``). Signalling, waiting and reaping are the same for both.
public protocol WaitableChild {
    var pid: pid_t { get }
}

extension WaitableChild {
    public func signal(_ sig: Int32) {
        _ = try? syscall { kill(pid, sig) }
    }

    /// Blocks until the child has ended, without reaping it: until `reap`, the zombie keeps
    /// the pid, so a signal sent meanwhile cannot reach another process that reused it.
    public func waitUntilEnded() {
        var info = siginfo_t()
        _ = try? syscallRetryingEINTR { waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
    }

    /// waitpid: the exit status once the child has ended (nil while it runs, unless
    /// `block`); a signal's death is 128 + the signal, as a shell reports it.
    public func reap(block: Bool) -> Int32? {
        var status: Int32 = 0
        guard let r = try? syscallRetryingEINTR({ waitpid(pid, &status, block ? 0 : WNOHANG) }), r == pid else { return nil }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}
