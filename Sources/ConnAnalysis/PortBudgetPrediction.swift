import ConnModel
import ConnSys

extension PortBudget {
    /// When the run's onset detector can first see a cost rise: after its settle and
    /// baseline windows.
    package static let defaultDetectableAfterSeconds =
        Double(OnsetDetector.Parameters().settleNs + OnsetDetector.Parameters().baselineNs) / 1e9

    /// The prediction for `inputs` at `rate` connects per second over all workers.
    /// `lifetimeSeconds` is how long a connection holds its port while open (the mean
    /// service time will do): with nothing in TIME_WAIT, only that window can run out.
    package static func predict(_ inputs: Inputs, rate: Double?, rateMeasured: Bool = false,
                               detectableAfterSeconds: Double = defaultDetectableAfterSeconds,
                               lifetimeSeconds: Double? = nil) -> PortBudget {
        let pairs = inputs.sources * (inputs.bindTakesPort ? 1 : Swift.max(1, inputs.destinations))
        let capacity = Swift.max(0, inputs.ports) * pairs
        let hold: Double
        var caveat: String?
        switch inputs.timeWaitHolder {
        case .nobody, .peer, .peerEnded: hold = 0
        case .generator, .unknown:
            hold = inputs.bindTakesPort ? timeWaitSeconds : (inputs.reuseDelaySeconds ?? timeWaitSeconds)
        }
        if inputs.timeWaitHolder == .unknown {
            caveat = "both ends may close first (a listener that closes at once), so who holds TIME_WAIT varies; predicted as if this side always did"
        }
        if inputs.bindWithReuseAddress {
            caveat = "SO_REUSEADDR with bind() lets bind take ports whose 4-tuple is in TIME_WAIT and leaves the choice to connect(); predicted as a plain bind"
        }
        var b = PortBudget(inputs: inputs, capacity: capacity, holdSeconds: hold,
                           sustainableRate: hold > 0 ? Double(capacity) / hold : nil,
                           rate: rate, rateMeasured: rateMeasured, caveat: caveat)
        if hold > 0 && capacity >= 2 { b.cheapRate = Double(capacity / 2) / hold }
        guard let rate, rate > 0, capacity > 0 else { return b }
        guard hold > 0 else {
            b.predictInFlight(rate: rate, lifetimeSeconds: lifetimeSeconds)
            return b
        }
        // Ports in use grow by `rate` per second until the first ones come free after
        // `hold`; they run out if the range fills before that.
        let half = capacity / 2
        if Double(half) < rate * hold {
            b.costRiseAttempt = half + 1
            b.costRiseSeconds = Double(half) / rate
        }
        if Double(capacity) < rate * hold {
            b.exhaustedAttempt = capacity + 1
            b.exhaustedSeconds = Double(capacity) / rate
        }
        if let cs = b.costRiseSeconds, inputs.ports / 2 >= visibleHalfPorts {
            let seen = Swift.max(cs, detectableAfterSeconds)
            if b.exhaustedSeconds.map({ seen < $0 }) ?? true {
                b.onsetSeconds = seen
                b.onsetAttempt = seen > cs ? Int(saturating: (seen * rate).rounded()) &+ 1 : b.costRiseAttempt
                b.onsetKind = .costRise
                return b
            }
        }
        if let e = b.exhaustedAttempt {
            b.onsetAttempt = e
            b.onsetSeconds = b.exhaustedSeconds
            b.onsetKind = .exhausted
        }
        return b
    }
}

extension PortBudget {
    /// Nothing holds a port after close: ports run out only if the connections open at
    /// once outnumber the range, and then at once, when the window first fills.
    package mutating func predictInFlight(rate: Double, lifetimeSeconds: Double?) {
        guard let lifetimeSeconds, lifetimeSeconds > 0 else { return }
        let window = rate * lifetimeSeconds
        inFlightPorts = window
        guard window >= Double(capacity) else { return }
        exhaustedAttempt = capacity + 1
        exhaustedSeconds = Double(capacity) / rate
        onsetAttempt = exhaustedAttempt
        onsetSeconds = exhaustedSeconds
        onsetKind = .exhausted
    }
}

extension PortBudget.Inputs {
    /// The inputs of a run: its namespace's tunables as read at the start, its strategy,
    /// targets, close mode and listener.
    /// `observed`, when given, corrects who holds TIME_WAIT (see ``TimeWaitObservation``).
    package static func of(config: RunConfig, targets: [SocketAddress], tunables: [RunReport.Setting],
                          listenerMode: ListenerMode?, observed: TimeWaitObservation? = nil) -> PortBudget.Inputs? {
        let tcpTargets = targets.filter { $0.family != .unix }
        guard !tcpTargets.isEmpty else { return nil }
        func value(_ key: String) -> String? { tunables.first { $0.key == key }?.value }
        guard let range = EphemeralPorts.parse(value("net.ipv4.ip_local_port_range") ?? "") else { return nil }
        var low = Int(range.low), high = Int(range.high)
        if let r = config.strategy.portRange {
            low = Swift.max(low, Int(r.lowerBound))
            high = Swift.min(high, Int(r.upperBound))
        }
        var ports = Swift.max(0, high - low + 1)
        // connect() walks an even count (the kernel rounds `remaining` down to even).
        if ports > 1 { ports &= ~1 }
        let reserved = ReservedPorts.parse(value("net.ipv4.ip_local_reserved_ports") ?? "")
        ports -= reserved.count(in: low...Swift.max(low, high))
        let sources = Swift.max(1, config.strategy.sources.count)
        let binds = !config.strategy.sources.isEmpty
        var holder: PortBudget.TimeWaitHolder
        if config.close == .rst {
            holder = .nobody
        } else if config.targets.isEmpty {
            holder = listenerMode == .acceptClose ? .unknown : .generator
        } else {
            holder = .generator  // an external listener is assumed to wait for the client's close
        }
        var seen: TimeWaitObservation?
        if let observed, let h = observed.holder(assumed: holder) {
            holder = h
            seen = observed
        }
        let twReuse = Int(value("net.ipv4.tcp_tw_reuse") ?? "") ?? 2
        let timestamps = (Int(value("net.ipv4.tcp_timestamps") ?? "") ?? 1) != 0
        let loopback = tcpTargets.allSatisfy(\.isLoopback)
        let reuse = timestamps && (twReuse == 1 || (twReuse == 2 && loopback))
        let delayMs = Double(value("net.ipv4.tcp_tw_reuse_delay") ?? "") ?? 1000
        let destinations = Set(tcpTargets.map(\.description)).count
        var inputs = PortBudget.Inputs(ports: Swift.max(0, ports), destinations: destinations, sources: sources,
                                       bindTakesPort: binds && !config.strategy.bindAddressNoPort,
                                       timeWaitHolder: holder, reuseDelaySeconds: reuse ? delayMs / 1000 : nil,
                                       bindWithReuseAddress: binds && config.strategy.reuseAddress && !config.strategy.bindAddressNoPort)
        inputs.observed = seen
        return inputs
    }
}

