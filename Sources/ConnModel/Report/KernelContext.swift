import ConnSys

/// The kernel a run ran under: release, the per-namespace tunables that shape connect(),
/// and what the kernel's own counters say happened during the run. Two runs are only
/// comparable when these are.
package struct KernelContext: Sendable, Codable, Equatable {
    package var release: String
    /// How the report names the run's namespace: `fresh` / `host` (older reports), or
    /// ``describeNamespace(identity:createdForRun:)``'s text.
    package var namespace: String
    /// The namespace's nsfs inode (`net:[INODE]`), when it was read.
    package var namespaceInode: UInt64? = nil
    /// Its `ip netns` name, when it has one.
    package var namespaceName: String? = nil
    /// Whether it is PID 1's namespace; nil in reports made before this was recorded.
    package var namespaceIsInitial: Bool? = nil
    package var sysctlsApplied: [SysctlSetting]
    /// Tunable key → value as read inside the run's namespace at its start.
    package var tunables: [RunReport.Setting]
    package var counters: [CounterDelta]
    /// TIME_WAIT sockets at the end of the run by the side that holds them, when the run
    /// had a built-in listener whose ports tell the sides apart.
    package var timeWaitSides: TimeWaitSides? = nil

    /// The runner fills the namespace fields with ``setNamespace(_:createdForRun:)``.
    package init(release: String, namespace: String, sysctlsApplied: [SysctlSetting] = [],
                tunables: [RunReport.Setting] = [], counters: [CounterDelta] = []) {
        self.release = release
        self.namespace = namespace
        self.sysctlsApplied = sysctlsApplied
        self.tunables = tunables
        self.counters = counters
    }

    /// Saved under `name`, its `/proc` name, as reports always held it.
    package struct CounterDelta: Sendable, Codable, Equatable {
        package var counter: KernelCounter
        package var before: Int64
        package var after: Int64
        /// Modular, as the kernel's counters are: a reading from elsewhere (a listener's
        /// stats port, a saved file) can be anything, and a difference never traps.
        package var delta: Int64 { after &- before }
        package var name: String { counter.rawValue }

        package init(_ counter: KernelCounter, before: Int64, after: Int64) {
            self.counter = counter
            self.before = before
            self.after = after
        }

        enum CodingKeys: String, CodingKey { case counter = "name", before, after }
    }

    /// Says which namespace the run was in, so that a run under `ip netns exec` is not
    /// reported as `host`: `host (net:[4026531840])`, `fresh, created for this run
    /// (net:[…])`, `netns lab1 (net:[…])` or `another namespace (net:[…])`.
    package static func describeNamespace(identity: NamespaceIdentity?, createdForRun: Bool) -> String {
        let link = identity.map { " (\($0.link))" } ?? ""
        if createdForRun { return "fresh, created for this run" + link }
        guard let identity else { return "unknown namespace" }
        if identity.isInitial { return "host" + link }
        if let name = identity.name { return "netns \(name)" + link }
        return "another namespace" + link
    }

    /// Fills the four namespace fields from one identity.
    package mutating func setNamespace(_ identity: NamespaceIdentity?, createdForRun: Bool) {
        namespace = Self.describeNamespace(identity: identity, createdForRun: createdForRun)
        namespaceInode = identity?.inode
        namespaceName = identity?.name
        namespaceIsInitial = createdForRun ? false : identity?.isInitial
    }

    /// True when the run was not in PID 1's namespace (the CSV `netns` column). Reports
    /// without the identity fall back to the old `fresh` / `host` text.
    package var ranInNonInitialNamespace: Bool {
        if let namespaceIsInitial { return !namespaceIsInitial }
        return namespace != "host"
    }

    /// The tunables kernel-facts names as shaping connect(), port choice and TIME_WAIT.
    package static let tunableKeys = [
        "net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_tw_reuse_delay", "net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog",
        "net.ipv4.tcp_syncookies", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_syn_retries",
    ]

    /// Counters whose movement explains a result: listen-queue overflows (dropped SYNs),
    /// TIME_WAIT created, recycled and overflowed, opens and failed opens, resets, segments
    /// retransmitted (all of them, and the SYNs and SYN-ACKs among them).
    package static let runCounters: [KernelCounter] = [
        .listenOverflows, .listenDrops, .timeWaitOverflow, .timeWaitEnded, .timeWaitRecycled, .timeWaitKilled,
        .requestQueueFullDrop, .requestQueueFullCookies, .syncookiesSent, .abortOnClose, .activeOpens, .passiveOpens,
        .attemptFails, .establishedResets, .retransmittedSegments, .synRetransmits, .resetsSent,
        .tcpInUse, .tcpTimeWait, .tcpOrphans,
    ]

    package static func deltas(before: [String: Int64], after: [String: Int64],
                               counters: [KernelCounter] = runCounters) -> [CounterDelta] {
        counters.compactMap { c in
            guard let b = before[counter: c], let a = after[counter: c] else { return nil }
            return CounterDelta(c, before: b, after: a)
        }
    }

    package func tunable(_ key: String) -> String? { tunables.first { $0.key == key }?.value }
    package func counter(_ c: KernelCounter) -> CounterDelta? { counters.first { $0.counter == c } }
}

/// sockstat samples taken by the runner thread while the workers run (never by a worker).
package struct PortSamples: Sendable, Codable, Equatable {
    package struct Sample: Sendable, Codable, Equatable {
        /// Nanoseconds since the run started.
        package var atNs: UInt64
        package var timeWait: Int64
        package var inUse: Int64

        package init(atNs: UInt64, timeWait: Int64, inUse: Int64) {
            self.atNs = atNs
            self.timeWait = timeWait
            self.inUse = inUse
        }
    }

    /// Taken just before the workers start: the listener's and any other sockets, which
    /// `portsInUse` subtracts.
    package var baseline: Sample?
    package var samples: [Sample] = []
    /// Mean cost of one sample, to show the tracking is cheap.
    package var meanSampleNs: Double = 0

    /// TCP sockets holding a port in the namespace beyond the baseline — TIME_WAIT plus
    /// in use, from sockstat — at the sample nearest `atNs`. In a fresh namespace that is
    /// this run's sockets; on the host it includes other processes' churn.
    package func portsInUse(atNs t: UInt64) -> Int64? {
        guard let s = nearest(atNs: t) else { return nil }
        let b = baseline ?? Sample(atNs: 0, timeWait: 0, inUse: 0)
        return Swift.max(0, (s.timeWait + s.inUse) - (b.timeWait + b.inUse))
    }

    /// The most sockets holding a port at once in any sample, beyond the baseline.
    package var peakPortsInUse: Int64? {
        guard let top = samples.map({ $0.timeWait + $0.inUse }).max() else { return nil }
        let b = baseline.map { $0.timeWait + $0.inUse } ?? 0
        return Swift.max(0, top - b)
    }

    package func nearest(atNs t: UInt64) -> Sample? {
        guard !samples.isEmpty else { return nil }
        var lo = 0, hi = samples.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if samples[mid].atNs < t { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0, t - samples[lo - 1].atNs < (samples[lo].atNs > t ? samples[lo].atNs - t : 0) { return samples[lo - 1] }
        return samples[lo]
    }

    package init(baseline: Sample? = nil, samples: [Sample] = [], meanSampleNs: Double = 0) {
        self.baseline = baseline
        self.samples = samples
        self.meanSampleNs = meanSampleNs
    }
}
