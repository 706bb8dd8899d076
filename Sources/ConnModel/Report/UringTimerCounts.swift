/// io_uring: how each connect's deadline was enforced by the kernel. A connect to a
/// target across a network carries a LINK_TIMEOUT (`linked`); one to a loopback or unix
/// target goes without (`deferred`), and only those still pending after their
/// submission get a timer then (`armed`). Reported so that a run can show how many
/// loopback connects did not finish inside their own submission — on a healthy
/// loopback none — and that every pending one was bounded.
package struct UringTimerCounts: Sendable, Codable, Equatable {
    package var linked: UInt64 = 0
    package var deferred: UInt64 = 0
    package var armed: UInt64 = 0

    package init(linked: UInt64 = 0, deferred: UInt64 = 0, armed: UInt64 = 0) {
        self.linked = linked
        self.deferred = deferred
        self.armed = armed
    }

    package static func + (a: UringTimerCounts, b: UringTimerCounts) -> UringTimerCounts {
        UringTimerCounts(linked: a.linked + b.linked, deferred: a.deferred + b.deferred, armed: a.armed + b.armed)
    }
}
