@preconcurrency import Glibc
import ConnSys
import Synchronization
import ConnModel

/// The barrier at the start of a run. Each worker pins itself, builds its state and
/// arrives; the runner waits for all of them and only then fixes the start, so a worker
/// that needed longer to become ready cannot lose the beginning of its schedule (a
/// guessed head start once left a short run with 0 attempts).
///
/// Touched twice per worker per run, never on the per-connect path.
final class StartLine: Sendable {
    private let ready = Atomic<Int>(0)
    private let start = Atomic<UInt64>(0)
    private let cancelled = Atomic<Bool>(false)
    /// The workers' kernel thread ids, for a kernel trace filtered to exactly them.
    private let tids = Mutex<[Int32]>([])

    /// How far ahead of "all ready" the start is put: the workers poll for it every
    /// `pollNs`, so this is the time they need to see it, not a guess at their readiness.
    static let leadNs: UInt64 = 1_000_000
    static let pollNs = 50_000

    func arrive() {
        let tid = ThreadID.current()
        tids.withLock { $0.append(tid) }
        ready.add(1, ordering: .releasing)
    }
    var threadIDs: [Int32] { tids.withLock { $0 } }
    var readyCount: Int { ready.load(ordering: .acquiring) }

    /// Called by the runner once every worker arrived.
    func go(at ns: UInt64) { start.store(ns, ordering: .releasing) }
    /// Called by the runner when the run ends before it began (a stop, a failed worker).
    func cancel() { cancelled.store(true, ordering: .releasing) }

    /// Blocks a worker until the start is fixed and reached; nil when the run was cancelled.
    func waitForStart() -> UInt64? {
        var t = start.load(ordering: .acquiring)
        while t == 0 {
            if cancelled.load(ordering: .acquiring) { return nil }
            var ts = timespec(tv_sec: 0, tv_nsec: Self.pollNs)
            nanosleep(&ts, nil)
            t = start.load(ordering: .acquiring)
        }
        // Sleep to within a timer slack of the start, then spin the rest, so every worker
        // leaves the line within microseconds of the others.
        while true {
            let now = MonotonicClock.now()
            if now >= t { return t }
            let left = t - now
            if left > 100_000 {
                var ts = timespec(tv_sec: 0, tv_nsec: Int(left - 60_000))
                nanosleep(&ts, nil)
            }
        }
    }
}
