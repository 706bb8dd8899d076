/// What a hold part tells its supervisor, one JSON object per line on their socket.
package enum HoldPartMessage: Codable, Sendable {
    /// Set up; running in the network namespace with this nsfs inode (the supervisor
    /// checks it is the run's own).
    case ready(namespaceInode: UInt64)
    /// A generator's build-up has ended with this many connections open.
    case built(open: UInt64)
    case generatorResult(HoldPartResult)
    /// A generator's build-up as the run it was (every figure of `connbench run`), sent
    /// just before its result.
    case generatorRun(RunReport)
    case listenerResult(HoldListenerResult)
    /// The part could not go on; the line says why.
    case error(String)
}

/// What the supervisor tells a hold part.
package enum HoldSupervisorMessage: Codable, Sendable, Equatable {
    /// Start building at this CLOCK_MONOTONIC time (ns), the same for every part.
    case go(atNs: UInt64)
    /// Close everything, report, and exit.
    case close
}

/// What a part of `run --processes` tells its supervisor.
package enum RunPartMessage: Codable, Sendable {
    /// Its workers wait at their start line.
    case ready
    /// Its workers have stopped, with this many connections established; the report follows.
    case ended(established: UInt64)
    case report(RunReport)
    /// The part could not go on; the line says why.
    case error(String)
}

/// What the supervisor of `run --processes` tells a part.
package enum RunSupervisorMessage: Codable, Sendable, Equatable {
    /// The part's share of the run (``RunShare``), first.
    case config(RunConfig)
    /// Start at this CLOCK_MONOTONIC time (ns), the same for every part.
    case go(atNs: UInt64)
    /// Ctrl-C or SIGTERM reached the supervisor: stop now, and still report.
    case stop
}
