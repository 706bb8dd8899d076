import ConnSys

/// How many connects the ephemeral ports allow, from the run's own tunables and socket
/// strategy, before the run shows it: the sustainable rate, and at a given rate the
/// attempt and time where connect() starts to pay (even half used) and where ports run
/// out. A planner needs the number before production finds it; the run's observed onset
/// then says whether the model holds on this host.
///
/// The model is the kernel's, simplified where it says so:
/// - a port is held for as long as its 4-tuple is in TIME_WAIT on this side: 60 s
///   (TCP_TIMEWAIT_LEN, not a tunable), or `tcp_tw_reuse_delay` when connect() may reuse
///   a TIME_WAIT socket (`tcp_tw_reuse` 1, or 2 with a loopback peer, and timestamps on);
///   0 when the run closes with RST or the peer holds TIME_WAIT;
/// - connect() picks ports per destination (a plain connect, or bind with
///   IP_BIND_ADDRESS_NO_PORT), so each (source address, destination) pair has the whole
///   range; a bind() to port 0 takes the port for its source address whatever the
///   destination, so destinations do not multiply it, and bind() never reuses TIME_WAIT;
/// - connect() walks the ports of one parity first (since Linux 4.2; even ones when the
///   range starts even), so the first half goes cheaply and each connect after it
///   searches the used half first: the cost rises at half the budget, the errno comes at
///   the whole.
package struct PortBudget: Sendable, Codable, Equatable {
    package struct Inputs: Sendable, Codable, Equatable {
        /// Ports a connect may get: the range (per socket with IP_LOCAL_PORT_RANGE,
        /// intersected with the namespace's), less ip_local_reserved_ports inside it.
        package var ports: Int
        package var destinations: Int
        /// Source addresses bound round-robin (1 without --bind/--source).
        package var sources: Int
        /// bind() to port 0 before connect, without IP_BIND_ADDRESS_NO_PORT.
        package var bindTakesPort: Bool
        /// Who holds TIME_WAIT: this side, the peer, or nobody (RST). Assumed from the
        /// configuration, then corrected by what the run saw (``observed``).
        package var timeWaitHolder: TimeWaitHolder
        /// What the run saw at its end, when it decided ``timeWaitHolder`` against the
        /// configuration's assumption; nil when the assumption stood.
        package var observed: TimeWaitObservation? = nil
        /// Whether connect() may reuse this side's TIME_WAIT sockets, and after how long.
        package var reuseDelaySeconds: Double?
        /// SO_REUSEADDR with a bind: bind() may then take a port whose 4-tuple is in
        /// TIME_WAIT, and connect() decides. The model does not follow that path.
        package var bindWithReuseAddress: Bool

        package init(ports: Int, destinations: Int = 1, sources: Int = 1, bindTakesPort: Bool = false,
                    timeWaitHolder: TimeWaitHolder = .generator, reuseDelaySeconds: Double? = nil,
                    bindWithReuseAddress: Bool = false) {
            self.ports = ports
            self.destinations = destinations
            self.sources = sources
            self.bindTakesPort = bindTakesPort
            self.timeWaitHolder = timeWaitHolder
            self.reuseDelaySeconds = reuseDelaySeconds
            self.bindWithReuseAddress = bindWithReuseAddress
        }
    }

    package enum TimeWaitHolder: String, Sendable, Codable, Equatable {
        case generator, peer, nobody, unknown
        /// The peer ended the connections itself — a reset (HAProxy answers a FIN with
        /// RST; a listener closing with SO_LINGER 0), or a close before this side's — and
        /// this side was left holding no TIME_WAIT.
        case peerEnded = "peer-ended"
    }

    /// Ports in use at once when nothing holds a port after close: every connection's
    /// port comes back when it ends, so what can run out is the window of connections
    /// open together (Little's law: rate × how long each lasts), not TIME_WAIT.
    package var inFlightPorts: Double? = nil
    /// The most TCP sockets the run's sockstat samples saw holding a port at once (beyond
    /// its baseline): the same window, measured.
    package var inFlightPeak: Int64? = nil

    /// The TIME_WAIT length Linux uses on every connection (TCP_TIMEWAIT_LEN).
    package static let timeWaitSeconds = 60.0

    package var inputs: Inputs
    /// Ports usable at once over every (source, destination) pair.
    package var capacity: Int
    /// How long each connect keeps its port: 60 s, the reuse delay, or 0.
    package var holdSeconds: Double
    /// capacity / hold: the highest rate the ports sustain forever; nil when nothing
    /// holds a port after close (RST, or the peer's TIME_WAIT).
    package var sustainableRate: Double?
    /// The highest rate at which connect() stays on the cheap half: each port is taken
    /// again after `hold`, and one parity of the range is searched first, so past half
    /// the sustainable rate every connect walks used ports before it finds one (with
    /// tcp_tw_reuse on loopback: ~14.1k/s in the default range, what compare measured).
    package var cheapRate: Double? = nil
    /// The rate the prediction is for, and whether it was asked for or measured.
    package var rate: Double?
    package var rateMeasured: Bool
    /// Open loop that could not keep its schedule: the rate asked for, when the
    /// prediction is at the (lower) rate the run kept before the onset.
    package var askedRate: Double? = nil
    /// Attempt and second at which the cheap half is used up; nil when never at `rate`.
    package var costRiseAttempt: Int?
    package var costRiseSeconds: Double?
    /// Attempt and second of the first failure for want of a port; nil when never.
    package var exhaustedAttempt: Int?
    package var exhaustedSeconds: Double?
    /// What the run's onset detector should report: the cost rise, if it comes after the
    /// detector has its baseline (it cannot see a rise from before it knew the normal
    /// cost: then it fires as soon as it has one) and before ports run out; else running
    /// out. Nil when neither happens at `rate`.
    package var onsetAttempt: Int?
    package var onsetSeconds: Double?
    package var onsetKind: OnsetKind?
    /// What the model left out for this run, in words; nil when it applies as stated.
    package var caveat: String?

    package enum OnsetKind: String, Sendable, Codable, Equatable {
        /// connect() becomes dearer (and the rate falls): no errno yet.
        case costRise = "cost rise"
        /// connect() or bind() fails for want of a port.
        case exhausted = "ports run out"
    }

    /// The smallest used half whose walk shows as an onset. Each connect after the cheap
    /// half walks the used ports (~0.25 µs each here: 3–4 ms over the 14k of the default
    /// range, kernel-facts); a connect costs ~25 µs on this machine, and the detector wants
    /// ~10× that without parity evidence to spare. From 1000 used ports the walk costs that;
    /// in smaller ranges connect() stays cheap enough that ports run out first (1000-port
    /// range: errno at ~1001 every run; 4 destinations × 1000: errno at ~4000, or a rate
    /// drop a few % before it).
    package static let visibleHalfPorts = 1000

    package init(inFlightPorts: Double? = nil, inFlightPeak: Int64? = nil, inputs: Inputs, capacity: Int, holdSeconds: Double, sustainableRate: Double? = nil, cheapRate: Double? = nil, rate: Double? = nil, rateMeasured: Bool, askedRate: Double? = nil, costRiseAttempt: Int? = nil, costRiseSeconds: Double? = nil, exhaustedAttempt: Int? = nil, exhaustedSeconds: Double? = nil, onsetAttempt: Int? = nil, onsetSeconds: Double? = nil, onsetKind: OnsetKind? = nil, caveat: String? = nil) {
        self.inFlightPorts = inFlightPorts
        self.inFlightPeak = inFlightPeak
        self.inputs = inputs
        self.capacity = capacity
        self.holdSeconds = holdSeconds
        self.sustainableRate = sustainableRate
        self.cheapRate = cheapRate
        self.rate = rate
        self.rateMeasured = rateMeasured
        self.askedRate = askedRate
        self.costRiseAttempt = costRiseAttempt
        self.costRiseSeconds = costRiseSeconds
        self.exhaustedAttempt = exhaustedAttempt
        self.exhaustedSeconds = exhaustedSeconds
        self.onsetAttempt = onsetAttempt
        self.onsetSeconds = onsetSeconds
        self.onsetKind = onsetKind
        self.caveat = caveat
    }
}

/// `net.ipv4.ip_local_reserved_ports`: `8080,9000-9010`.
package struct ReservedPorts: Equatable {
    var ranges: [ClosedRange<Int>]

    package static func parse(_ text: String) -> ReservedPorts {
        var ranges: [ClosedRange<Int>] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }) {
            let ends = item.split(separator: "-").compactMap { Int($0) }
            if ends.count == 1 { ranges.append(ends[0]...ends[0]) }
            if ends.count == 2, ends[0] <= ends[1] { ranges.append(ends[0]...ends[1]) }
        }
        return ReservedPorts(ranges: ranges)
    }

    /// Reserved ports inside `range`, each counted once.
    package func count(in range: ClosedRange<Int>) -> Int {
        var seen = Set<Int>()
        for r in ranges {
            let lo = Swift.max(r.lowerBound, range.lowerBound), hi = Swift.min(r.upperBound, range.upperBound)
            if lo <= hi { for p in lo...hi { seen.insert(p) } }
        }
        return seen.count
    }
}

/// What a run saw of who held TIME_WAIT, read once at its end: the premise of the port
/// budget is checked against it rather than assumed from the configuration.
package struct TimeWaitObservation: Sendable, Codable, Equatable {
    /// Connects established over the run (warm-up included: their TIME_WAIT is there too).
    package var established: UInt64
    /// TIME_WAIT sockets held by this side at the end (their remote port a target's).
    package var clientTimeWait: Int
    /// TIME_WAIT sockets held by the listener at the end, where it can be seen.
    package var listenerTimeWait: Int
    /// `Tcp.EstabResets` over the run: connections that went from established (or
    /// CLOSE_WAIT) straight to closed, as a reset makes them.
    package var resets: Int64

    package init(established: UInt64, clientTimeWait: Int, listenerTimeWait: Int = 0, resets: Int64 = 0) {
        self.established = established
        self.clientTimeWait = clientTimeWait
        self.listenerTimeWait = listenerTimeWait
        self.resets = resets
    }

    /// Below this many connects the end-of-run count says too little to overrule the
    /// configuration.
    package static let minimumEstablished: UInt64 = 100

    /// Who held TIME_WAIT, when what was seen contradicts `assumed` (this side holding
    /// it); nil when it does not. A connection this side closed first sits in TIME_WAIT
    /// for 60 s, longer than any run's memory of it, so after hundreds of established
    /// connects under 1% left in TIME_WAIT means this side did not hold it.
    package func holder(assumed: PortBudget.TimeWaitHolder) -> PortBudget.TimeWaitHolder? {
        guard assumed == .generator || assumed == .unknown, established >= Self.minimumEstablished,
              UInt64(Swift.max(0, clientTimeWait)) * 100 < established else { return nil }
        return listenerTimeWait > 0 && UInt64(listenerTimeWait) * 2 >= established ? .peer : .peerEnded
    }

    /// The evidence in words, for the report.
    package var text: String {
        var s = "\(clientTimeWait) TIME_WAIT held by this side at the end, after \(established) established connects"
        if resets > 0 { s += "; Tcp.EstabResets +\(resets)" }
        if listenerTimeWait > 0 { s += "; \(listenerTimeWait) TIME_WAIT held by the listener" }
        return s
    }
}
