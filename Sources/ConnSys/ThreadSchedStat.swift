@preconcurrency import Glibc

/// The calling thread's own scheduler statistics: how long it ran, how long it was
/// runnable but waiting for a CPU, and how often it was preempted.
///
/// A thread that must give up its CPU does so on its way back to user space, after the
/// syscall's exit tracepoint: that wait lands in every wall-clock figure taken around the
/// call and in none of the kernel's. `/proc/thread-self/schedstat`'s run delay is the
/// kernel's own count of it (CONFIG_SCHED_INFO), updated when the thread gets its CPU
/// back — so a read right after a call already includes any wait on the way out of it.
///
/// Opened once by the thread it describes (`thread-self` resolves at open) and read with
/// pread at offset 0: one syscall (~1.5 µs here) and no allocation, so a sampled attempt
/// can afford two. Reading it does not touch the scheduler's accounting, unlike
/// CLOCK_THREAD_CPUTIME_ID, which updates the thread's runtime on every read.
public struct ThreadSchedStat: ~Copyable {
    let fd: Int32

    /// What the file held at one read, in nanoseconds.
    public struct Reading: Sendable, Equatable {
        /// Time on a CPU (updated at scheduling events and ticks, so stale by up to a tick).
        public var runNs: UInt64
        /// Time runnable and waiting for a CPU (exact at every read by the thread itself).
        public var waitNs: UInt64
        /// Times it was given a CPU.
        public var slices: UInt64
        public init(runNs: UInt64, waitNs: UInt64, slices: UInt64) {
            self.runNs = runNs
            self.waitNs = waitNs
            self.slices = slices
        }
    }

    /// Nil where the kernel keeps no scheduler statistics (no CONFIG_SCHED_INFO).
    public init?() {
        guard case .success(let fd) = syscallOutcome({ open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC) }) else { return nil }
        guard Self.read(fd) != nil else { Glibc.close(fd); return nil }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    @inline(__always)
    public func read() -> Reading? { Self.read(fd) }

    @inline(__always)
    static func read(_ fd: Int32) -> Reading? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buf in
            guard case .success(let n) = syscallOutcome({ pread(fd, buf.baseAddress, 96, 0) }), n > 0 else { return nil }
            return Self.parse(UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// Three decimal fields separated by spaces: run, wait, slices.
    @inline(__always)
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Reading? {
        var fields: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var index = 0
        var inNumber = false
        var value: UInt64 = 0
        for b in bytes {
            if b >= 48 && b <= 57 {
                value = value &* 10 &+ UInt64(b - 48)
                inNumber = true
            } else if inNumber {
                switch index { case 0: fields.0 = value; case 1: fields.1 = value; default: fields.2 = value }
                index += 1
                inNumber = false
                value = 0
                if index == 3 { break }
            }
        }
        if inNumber && index == 2 { fields.2 = value; index = 3 }
        return index == 3 ? Reading(runNs: fields.0, waitNs: fields.1, slices: fields.2) : nil
    }
}

/// Involuntary context switches of the calling thread: each is a preemption, the other
/// half of "where the time went" beside the run delay.
public enum ThreadUsage {
    /// RUSAGE_THREAD (GNU): Glibc's module does not export it without _GNU_SOURCE.
    static let rusageThread: Int32 = 1

    public static func involuntarySwitches() -> UInt64 {
        var ru = rusage()
        guard case .success = syscallOutcome({ getrusage(__rusage_who_t(rusageThread), &ru) }) else { return 0 }
        return UInt64(Swift.max(0, ru.ru_nivcsw))
    }
}
