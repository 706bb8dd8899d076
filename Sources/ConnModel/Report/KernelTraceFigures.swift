/// What the kernel's own clock saw over a trace, in nanoseconds.
///
/// connbench's wall time around `connect()` includes any wait for a CPU on the way back to
/// user space, which comes after the syscall's exit tracepoint. Setting `call` beside that
/// wall time, and `runQueue` beside both, tells the kernel's cost from the scheduler's.
package struct KernelTraceFigures: Sendable, Codable, Equatable {
    /// Time inside the connect() syscall of the traced threads (sys_enter → sys_exit).
    /// Empty on io_uring, whose connects never enter that syscall.
    package var call: LatencySummary?
    /// SYN_SENT → ESTABLISHED of the sockets the traced threads put in SYN_SENT: the
    /// handshake as the kernel sees it, with no user-space wakeup in it.
    package var handshake: LatencySummary?
    /// Run-queue delay of the traced threads: from becoming runnable (woken, or preempted
    /// while runnable) to running again.
    package var runQueue: LatencySummary?
    /// connect() calls by return value (0, or -errno: -115 is EINPROGRESS), to hold against
    /// connbench's own counts.
    package var connectReturns: [Int32: UInt64]
    /// Sockets the traced threads put in SYN_SENT.
    package var synSent: UInt64
    /// bpftrace ended at its own time limit, before it was stopped: the trace missed the
    /// rest of the run.
    package var timeLimitReached: Bool
    /// Why the figures may be incomplete, in plain words.
    package var warnings: [String]

    /// Handshakes seen to complete.
    package var handshakes: UInt64 { handshake?.count ?? 0 }

    package init(call: LatencySummary? = nil, handshake: LatencySummary? = nil, runQueue: LatencySummary? = nil,
                connectReturns: [Int32: UInt64] = [:], synSent: UInt64 = 0,
                timeLimitReached: Bool = false, warnings: [String] = []) {
        self.call = call
        self.handshake = handshake
        self.runQueue = runQueue
        self.connectReturns = connectReturns
        self.synSent = synSent
        self.timeLimitReached = timeLimitReached
        self.warnings = warnings
    }
}
