import CConnShim

/// Kernel thread ids.
///
/// The scheduler's tracepoints and bpftrace's `tid` name threads by the kernel's id, which
/// neither `pthread_self` nor Foundation's thread numbers are; a tracer filtered to the
/// workers needs each worker to say its own.
public enum ThreadID {
    /// The calling thread's id (gettid; it cannot fail).
    public static func current() -> Int32 { cbs_gettid() }
}
