import ConnModel
/// One connect in flight. Slots are reused; `generation` tells a late epoll event for a
/// previous occupant from one for the current.
struct ConnSlot {
    var fd: Int32 = -1
    var generation: UInt32 = 0
    var measured = false
    /// Handed to epoll (the quick check after connect() did not settle it).
    var watched = false
    /// One of the attempts whose CPU wait is read (``SchedulerTrack/sampleEvery``).
    var sampled = false
    /// When the schedule meant this attempt to start (open loop), or when it started.
    var intendedNs: UInt64 = 0
    /// Just before connect() was called.
    var callNs: UInt64 = 0
    var deadlineNs: UInt64 = 0
    /// A sampled attempt: the thread's CPU wait so far, read just before connect().
    var waitAtCallNs: UInt64 = 0
    /// A sampled attempt: the time its own bookkeeping (the schedstat read, the port
    /// sample) took inside its service window, taken out of its service time.
    var sampleCostNs: UInt64 = 0
    /// 1-based, among this worker's attempts.
    var localAttempt: UInt64 = 0

    @inline(__always) var isBusy: Bool { fd >= 0 }

    @inline(__always)
    static func tag(slot: Int, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(truncatingIfNeeded: slot))
    }
}
