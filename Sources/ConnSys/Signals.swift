@preconcurrency import Glibc
import SystemPackage

/// SIGINT and SIGTERM, taken synchronously.
///
/// The signals are blocked in the main thread before any worker starts (threads inherit
/// the mask), and the main thread collects them with `sigtimedwait` while it waits for the
/// run. No handler runs at an arbitrary point, so stopping needs nothing async-signal-safe.
public struct StopSignals: Sendable {
    private var set = sigset_t()

    public init(_ signals: [Int32] = [SIGINT, SIGTERM]) {
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
    }

    /// Blocks the signals in the calling thread and in every thread it creates after.
    public func block() {
        var mask = set
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    public func unblock() {
        var mask = set
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// Waits up to `nanoseconds` for one of the signals; returns it, or nil on timeout.
    public func wait(nanoseconds: UInt64) -> Int32? {
        var mask = set
        var ts = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        let sig = sigtimedwait(&mask, nil, &ts)
        return sig > 0 ? sig : nil
    }
}
