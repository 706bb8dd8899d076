import ConnSys

/// What `connbench hold` was asked for.
package struct HoldOptions: Sendable, Codable, Equatable {
    package var connections = 10_000
    /// Connects per second over all parts together.
    package var ratePerSecond = 20_000.0
    package var holdNs: UInt64 = 30_000_000_000
    /// Source addresses 127.0.0.2 upwards. Nil: enough for the 4-tuples (``HoldPlan``).
    package var sources: Int?
    /// Listener ports over all listener processes. Nil: four per listener process.
    package var listenerPorts: Int?
    /// Generator parts (and as many listener processes). Nil: as few as the descriptor
    /// limit allows.
    package var processes: Int?
    package var timeoutNs: UInt64 = 3_000_000_000
    /// Width of a latency bucket, in attempts (open count).
    package var step = 10_000
    /// The parts' engine; nil is epoll (and how a hold saved without one reads back).
    package var engine: EngineChoice?

    package init() {}
}

/// How a hold is split over processes, sources and ports: a pure function of the options
/// and the descriptor limit, so tests can check it without opening a socket.
///
/// One process may hold only RLIMIT_NOFILE descriptors (20,000 here, and the hard limit
/// cannot be raised without CAP_SYS_RESOURCE), and both ends of a connection cost one. So
/// the generator's ends are split over `processes` parts and the listener's ends over as
/// many listener processes; part k connects only to listener k's ports, so that each
/// listener process accepts exactly its part's connections and stays inside its own limit.
package struct HoldPlan: Sendable, Codable, Equatable {
    package var options: HoldOptions
    /// RLIMIT_NOFILE (soft, after raising it to the hard limit) of each process.
    package var descriptorLimit: UInt64
    /// Connections one process may hold: the limit less a reserve for listening sockets,
    /// epoll, /proc reads and the channel to the supervisor.
    package var perProcessBudget: Int
    package var processes: Int
    package var sourceAddresses: [String]
    package var listenerAddress = "127.0.0.1"
    /// Listener process k listens on `listenerPorts[k]`; generator part k connects to them.
    package var listenerPorts: [[UInt16]]
    /// The ephemeral range the parts' namespace has (a fresh namespace's default).
    package var ephemeralPorts: Int

    package static let descriptorReserve = 500
    package static let firstListenerPort: UInt16 = 10_000

    /// Attempts of part k: the global attempts k, k + P, k + 2P, … below `connections`.
    package func count(ofPart k: Int) -> Int {
        (options.connections - k + processes - 1) / processes
    }

    /// Whether some part must hold more than a process may: the run will then show
    /// EMFILE, on purpose (`--processes` forced too low).
    package var exceedsDescriptors: Bool { count(ofPart: 0) > perProcessBudget }

    /// Connects possible over all 4-tuples: sources × ports × the ephemeral range.
    package var tupleCapacity: Int { sourceAddresses.count * listenerPorts.joined().count * ephemeralPorts }

    /// The schedule's span plus room for a slow tail: a part gives up starting new
    /// attempts past it, so the build-up is bounded in time as well as in count.
    package var buildLimitNs: UInt64 {
        let span = UInt64(Double(options.connections) / options.ratePerSecond * 1e9)
        return 2 * span + options.timeoutNs + 10_000_000_000
    }

    /// Buckets of `step` attempts (the last may be shorter).
    package var bucketCount: Int { (options.connections + options.step - 1) / options.step }

    /// Per (source, destination) pair, an eighth of the ephemeral range: well inside the
    /// even half connect() prefers, where port selection stays cheap (kernel-facts.md).
    package static func pairBudget(ephemeralPorts: Int) -> Int { Swift.max(1, ephemeralPorts / 8) }

    package static func make(_ options: HoldOptions, descriptorLimit: UInt64, ephemeralPorts: Int = 28_232) throws(ConfigError) -> HoldPlan {
        let n = options.connections
        guard n >= 1, n <= 10_000_000 else { throw ConfigError("--connections: must be from 1 to 10000000 (got \(n))") }
        guard options.ratePerSecond > 0, options.ratePerSecond.isFinite else { throw ConfigError("--rate: must be a fixed rate above zero") }
        guard options.step >= 1 else { throw ConfigError("--step: must be at least 1") }
        guard options.timeoutNs > 0 else { throw ConfigError("--timeout: must be more than zero") }
        let budget = Int(descriptorLimit) - descriptorReserve
        guard budget >= 100 else {
            throw ConfigError("RLIMIT_NOFILE is \(descriptorLimit): too few descriptors for a hold (need at least \(descriptorReserve + 100))")
        }
        let needed = (n + budget - 1) / budget
        let processes = options.processes ?? needed
        guard processes >= 1, processes <= 64 else { throw ConfigError("--processes: must be from 1 to 64 (got \(processes))") }
        guard processes <= n else { throw ConfigError("--processes: \(processes) parts for \(n) connections leaves a part with none") }
        let portCount = options.listenerPorts ?? 4 * processes
        guard portCount >= processes, portCount <= 1000 else {
            throw ConfigError("--listener-ports: must be from the number of processes (\(processes)) to 1000 (got \(portCount))")
        }
        var ports = Array(repeating: [UInt16](), count: processes)
        for j in 0..<portCount { ports[j % processes].append(firstListenerPort + UInt16(j)) }
        let pairs = pairBudget(ephemeralPorts: ephemeralPorts)
        let sourceCount = options.sources ?? Swift.min(65_534, Swift.max(4, (n + portCount * pairs - 1) / (portCount * pairs)))
        guard sourceCount >= 1, sourceCount <= 65_534 else { throw ConfigError("--sources: must be from 1 to 65534 (got \(sourceCount))") }
        // 127.0.0.2 upwards; 127.0.0.1 is the listeners' address.
        let sources = (0..<sourceCount).map { i -> String in
            let v = UInt32(0x7F00_0002) + UInt32(i)
            return "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)"
        }
        var o = options
        o.processes = processes
        o.listenerPorts = portCount
        o.sources = sourceCount
        return HoldPlan(options: o, descriptorLimit: descriptorLimit, perProcessBudget: budget, processes: processes,
                        sourceAddresses: sources, listenerPorts: ports, ephemeralPorts: ephemeralPorts)
    }
}
