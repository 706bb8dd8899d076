import ConnSys

/// A configuration mistake, phrased for one line on stderr, naming the flag.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RunConfig {
    /// Checks what parsing alone cannot: values against each other and against this host.
    /// Returns the CPUs the workers will use.
    public func validate(allowedCPUs: [Int]) throws(ConfigError) -> [Int] {
        if case .fixed(let r) = rate, !(r > 0 && r.isFinite) {
            throw ConfigError("--rate must be a positive number or 'max' (got \(r))")
        }
        if durationNs == 0 { throw ConfigError("--duration must be more than zero") }
        if durationNs > 24 * 3_600_000_000_000 { throw ConfigError("--duration must be at most 24h") }
        if warmupNs > 3_600_000_000_000 { throw ConfigError("--warmup must be at most 1h") }
        if timeoutNs == 0 { throw ConfigError("--timeout must be more than zero") }
        if intervalNs < 10_000_000 { throw ConfigError("--interval must be at least 10ms") }
        if (durationNs + warmupNs) / intervalNs > 100_000 {
            throw ConfigError("--interval is too short for --duration (more than 100000 intervals)")
        }
        if let concurrency, concurrency < 1 || concurrency > 1_000_000 { throw ConfigError("--concurrency must be 1 to 1000000") }
        let cpus: [Int]
        if let wanted = self.cpus {
            if wanted.count > allowedCPUs.count {
                throw ConfigError("--cpus lists \(wanted.count) CPUs but this process may run on only \(allowedCPUs.count) (\(Self.format(allowedCPUs)))")
            }
            if let bad = wanted.first(where: { !allowedCPUs.contains($0) }) {
                throw ConfigError("--cpus: CPU \(bad) is not one this process may run on (\(Self.format(allowedCPUs)))")
            }
            if Set(wanted).count != wanted.count { throw ConfigError("--cpus lists a CPU twice") }
            cpus = wanted
        } else {
            cpus = allowedCPUs
        }
        if let w = workers, w < 1 || w > 1024 { throw ConfigError("--workers must be 1 to 1024") }
        if let bad = listener.cpus?.first(where: { !allowedCPUs.contains($0) }) {
            throw ConfigError("--listener-cpus: CPU \(bad) is not one this process may run on (\(Self.format(allowedCPUs)))")
        }
        if let t = listener.threads, t < 1 || t > 1024 { throw ConfigError("--listener-threads must be 1 to 1024") }
        if let r = strategy.portRange, r.lowerBound == 0 {
            throw ConfigError("--port-range must lie within 1-65535 (got \(r.lowerBound)-\(r.upperBound))")
        }
        if !strategy.sources.isEmpty {
            let families = Set(strategy.sources.map(\.family))
            let targetFamilies = Set((targets.isEmpty ? [listener.address] : targets).map(\.family))
            if families != targetFamilies {
                throw ConfigError("--bind/--source addresses must be of the same family as the targets")
            }
        }
        if strategy.bindAddressNoPort && strategy.sources.isEmpty {
            throw ConfigError("--bind-no-port needs --bind ADDR or --source ADDR (it changes what bind does)")
        }
        return cpus
    }

    static func format(_ cpus: [Int]) -> String {
        cpus.isEmpty ? "none" : "allowed: " + cpus.map(String.init).joined(separator: ",")
    }
}
