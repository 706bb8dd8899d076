import ConnSys

/// A configuration mistake, phrased for one line on stderr, naming the flag.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String
    package init(_ description: String) { self.description = description }
}

extension RunConfig {
    /// Checks what parsing alone cannot: values against each other and against this host.
    /// Returns the CPUs the workers will use.
    package func validate(allowedCPUs: [Int]) throws(ConfigError) -> [Int] {
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
        if engine == .epoll, let u = uringSocket, u != .auto {
            throw ConfigError("--uring-socket \(u) needs --engine io_uring or auto: epoll always makes its sockets by syscalls")
        }
        if let bad = listener.cpus?.first(where: { !allowedCPUs.contains($0) }) {
            throw ConfigError("--listener-cpus: CPU \(bad) is not one this process may run on (\(Self.format(allowedCPUs)))")
        }
        if let t = listener.threads, t < 1 || t > 1024 { throw ConfigError("--listener-threads must be 1 to 1024") }
        if let r = strategy.portRange, r.lowerBound == 0 {
            throw ConfigError("--port-range must lie within 1-65535 (got \(r.lowerBound)-\(r.upperBound))")
        }
        try validateTopology()
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

    /// The veth lab's options only mean something with `--topology veth`, and the lab has
    /// its own listener and addresses.
    func validateTopology() throws(ConfigError) {
        guard topology == .veth else {
            if veth.family != 4 { throw ConfigError("--family needs --topology veth (the loopback listener's family is --listener-address's)") }
            if !veth.listenerSysctls.isEmpty { throw ConfigError("--listener-sysctl needs --topology veth: only there does the listener have a namespace of its own") }
            if veth.delayNs > 0 { throw ConfigError("--delay needs --topology veth: the delay is added on the lab's veth, never on a host interface") }
            return
        }
        if !targets.isEmpty { throw ConfigError("--topology veth runs the built-in listener in its own namespace; it cannot be used with --target") }
        if veth.family != 4 && veth.family != 6 { throw ConfigError("--family must be 4 or 6 (got \(veth.family))") }
        if listener.address.family == .unix || listener.address.host != ListenerConfig().address.host {
            throw ConfigError("--listener-address cannot be used with --topology veth: the listener listens on the lab's address (--family 4|6)")
        }
        if !strategy.sources.isEmpty { throw ConfigError("--bind/--source cannot be used with --topology veth: the generator's namespace has only the lab's address") }
    }

    static func format(_ cpus: [Int]) -> String {
        cpus.isEmpty ? "none" : "allowed: " + cpus.map(String.init).joined(separator: ",")
    }
}
