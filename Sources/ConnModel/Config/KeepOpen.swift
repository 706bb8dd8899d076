/// Which share of a run spread over several processes this one makes: process `part` of
/// `parts` takes the schedule's places `part`, `part + parts`, … (worker by worker inside
/// it), so the processes together keep one schedule. The config's rate is this
/// process's share of the run's (the run's over `parts`), so merged reports add up.
package struct RunShare: Sendable, Codable, Equatable {
    package var part: Int
    package var parts: Int

    package init(part: Int, parts: Int) {
        self.part = part
        self.parts = parts
    }

    /// The schedule's place of worker `id` of `workers` in this process, and the places
    /// over all processes. Global attempt g of worker place w is the (g / places)th of w.
    package func place(worker id: Int, of workers: Int) -> (place: Int, places: Int) {
        (part * workers + id, parts * workers)
    }
}

/// `hold`: every connection is kept open once established, until the caller closes it,
/// so the run builds up `attempts` open connections instead of measuring a churn.
///
/// The run's figures are the build-up's; the kept descriptors, the latency per step of
/// open count and whether a limit stopped the build come back beside the report
/// (``KeptConnections``).
package struct KeepOpen: Sendable, Codable, Equatable {
    /// Attempts over every process and worker: global attempts 0 ..< attempts.
    package var attempts: Int
    /// Width, in global attempts, of a step of the latency-by-open-count table.
    package var stepAttempts: Int
    /// Failures in a row that end the build: a limit is hit and is not going away.
    package var failureStreakLimit: Int = 64

    package init(attempts: Int, stepAttempts: Int) {
        self.attempts = attempts
        self.stepAttempts = stepAttempts
    }

    /// Of the global attempts, those of schedule place `place` of `places`.
    package func attempts(place: Int, places: Int) -> Int {
        place < attempts ? (attempts - place + places - 1) / places : 0
    }

    package var stepCount: Int { (attempts + stepAttempts - 1) / Swift.max(1, stepAttempts) }
}
