import ConnSys

/// Which target a worker's next attempt goes to. The target moves on once every source
/// has been used with it (the driver takes the sources round-robin), so the attempts walk
/// every (source, target) pair: with both moving on each attempt, 4 sources and 4 targets
/// would use 4 pairs of the 16.
struct TargetRotation {
    let targets: [SocketAddress]
    private(set) var next: Int
    private let sourcesPerTarget: Int
    private var sourceTurn = 0

    init(targets: [SocketAddress], sources: Int, workerID: Int) {
        self.targets = targets
        next = workerID % Swift.max(1, targets.count)
        sourcesPerTarget = Swift.max(1, sources)
    }

    /// The next attempt's target index.
    @inline(__always)
    mutating func take() -> Int {
        let t = next
        sourceTurn += 1
        if sourceTurn == sourcesPerTarget {
            sourceTurn = 0
            next += 1
            if next == targets.count { next = 0 }
        }
        return t
    }
}
