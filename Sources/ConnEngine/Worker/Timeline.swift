import ConnModel
/// A run's time line in monotonic nanoseconds, fixed when the last worker is ready
/// (see ``StartLine``), so no worker's schedule begins before it can act on it.
struct Timeline: Sendable {
    /// The run's zero: the first intended start.
    var startNs: UInt64
    /// The end of warm-up: attempts meant to start before it are not measured.
    var measureStartNs: UInt64
    /// No attempt starts at or after it.
    var endNs: UInt64

    init(startNs: UInt64, warmupNs: UInt64, durationNs: UInt64) {
        self.startNs = startNs
        measureStartNs = startNs + warmupNs
        endNs = measureStartNs + durationNs
    }
}
