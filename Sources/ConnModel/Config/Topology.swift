import ConnSys

/// Where the built-in listener runs relative to the generator.
///
/// `loopback`: both in one network stack (the host's, or one fresh namespace with
/// `--netns`). `veth`: the listener in a namespace of its own, joined to the generator's by
/// a veth pair, so each connect crosses a real interface into a separate TCP stack with its
/// own backlog, TIME_WAIT table, counters and tunables — a remote host on one machine.
package enum Topology: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case loopback
    case veth

    package var description: String { rawValue }
}

/// What `--topology veth` builds, beyond the generator's own namespace.
package struct VethOptions: Sendable, Codable, Equatable {
    /// 4 or 6: which of the lab's addresses the listener listens on and the generator
    /// connects to (the veth carries both).
    package var family = 4
    /// `--listener-sysctl`: set in the listener's namespace only.
    package var listenerSysctls: [SysctlSetting] = []
    /// `--delay`: added by netem to every packet the generator's end sends. 0: none.
    package var delayNs: UInt64 = 0

    package init(family: Int = 4, listenerSysctls: [SysctlSetting] = [], delayNs: UInt64 = 0) {
        self.family = family
        self.listenerSysctls = listenerSysctls
        self.delayNs = delayNs
    }

    /// The generator's end, in its namespace. Named with connbench's prefix, though only
    /// the lab's namespaces ever hold them.
    package static let generatorInterface = "cbr0"
    /// The listener's end, in the listener's namespace.
    package static let listenerInterface = "cbr1"

    /// Private addresses: they exist only inside the lab's two namespaces, so they cannot
    /// clash with anything the host routes.
    package static let generatorIPv4 = "10.203.0.1", listenerIPv4 = "10.203.0.2", ipv4Prefix = 24
    package static let generatorIPv6 = "fd00:cb::1", listenerIPv6 = "fd00:cb::2", ipv6Prefix = 64

    package var generatorIP: String { family == 6 ? Self.generatorIPv6 : Self.generatorIPv4 }
    package var listenerIP: String { family == 6 ? Self.listenerIPv6 : Self.listenerIPv4 }
}

/// The listener's namespace of a veth run, as the report shows it beside the generator's
/// kernel section: who holds TIME_WAIT and whose queue overflowed are read off these two.
package struct ListenerNamespaceReport: Sendable, Codable, Equatable {
    package var family: Int
    package var generatorInterface: String
    package var listenerInterface: String
    package var generatorAddress: String
    package var listenerAddress: String
    /// netem delay on the generator's end, when one was asked for.
    package var delayNs: UInt64?
    /// The listener namespace's tunables, counters over the run and identity.
    package var kernel: KernelContext
    /// The listener's own counts and listen-queue counters, in its namespace.
    package var side: ListenerSideReport

    package init(family: Int, generatorInterface: String, listenerInterface: String, generatorAddress: String,
                listenerAddress: String, delayNs: UInt64?, kernel: KernelContext, side: ListenerSideReport) {
        self.family = family
        self.generatorInterface = generatorInterface
        self.listenerInterface = listenerInterface
        self.generatorAddress = generatorAddress
        self.listenerAddress = listenerAddress
        self.delayNs = delayNs
        self.kernel = kernel
        self.side = side
    }

    /// Tunables whose value differs from the generator side's (what `--listener-sysctl`
    /// and `--sysctl` made different), in the listener's order.
    package func tunablesDiffering(from generator: KernelContext) -> [RunReport.Setting] {
        kernel.tunables.filter { generator.tunable($0.key) != $0.value }
    }
}
