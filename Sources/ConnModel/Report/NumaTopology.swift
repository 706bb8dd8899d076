import ConnSys

/// The machine's NUMA nodes and their CPUs, from sysfs (`/sys/devices/system/node`).
///
/// Remote traffic enters through a NIC that sits on one node; workers on another node pay
/// a cross-node hop on every packet, so placement is part of what a run measured. Parsed
/// from text so the multi-node logic is testable on this one-node machine.
package struct NumaTopology: Sendable, Codable, Equatable {
    package struct Node: Sendable, Codable, Equatable {
        package var id: Int
        package var cpus: [Int]
        package init(id: Int, cpus: [Int]) { self.id = id; self.cpus = cpus }
    }

    package var nodes: [Node]

    package init(nodes: [Node]) { self.nodes = nodes.sorted { $0.id < $1.id } }

    /// From each node's `cpulist` text ("0-3,8-11"); nodes without CPUs are kept (memory-only).
    package static func parse(cpuLists: [(node: Int, text: String)]) -> NumaTopology {
        NumaTopology(nodes: cpuLists.map { Node(id: $0.node, cpus: CPUListParser.parse($0.text.trimmingWhitespace()) ?? []) })
    }

    package func node(ofCPU cpu: Int) -> Int? { nodes.first { $0.cpus.contains(cpu) }?.id }
    package func cpus(ofNode id: Int) -> [Int]? { nodes.first { $0.id == id }?.cpus }
}

/// Where a run's workers and its remote targets' interfaces sit, node by node.
package struct NumaPlacement: Sendable, Codable, Equatable {
    package struct Route: Sendable, Codable, Equatable {
        package var target: String
        package var interface: String
        /// nil: a virtual device (veth, lo, bridge), which belongs to no node.
        package var node: Int?
        package init(target: String, interface: String, node: Int?) { self.target = target; self.interface = interface; self.node = node }
    }

    package var topology: NumaTopology
    /// Worker id → node of its CPU (nil when unpinned).
    package var workerNodes: [Int?]
    package var routes: [Route]

    package init(topology: NumaTopology, workerNodes: [Int?], routes: [Route]) {
        self.topology = topology
        self.workerNodes = workerNodes
        self.routes = routes
    }

    /// A worker on another node than the NIC its target's traffic crosses.
    package var warning: String? {
        let workers = Set(workerNodes.compactMap { $0 })
        for r in routes {
            guard let nic = r.node, !workers.isEmpty, workers != [nic] else { continue }
            let others = workers.subtracting([nic]).sorted().map(String.init).joined(separator: ",")
            return "workers run on node \(others) but \(r.target) is reached through \(r.interface) on node \(nic): every packet crosses nodes (--cpus node:\(nic))"
        }
        return nil
    }
}

/// CPU lists printed the way sysfs and `--cpus` write them: 0-3,8.
package enum CPUListText {
    package static func format(_ cpus: [Int]) -> String {
        let s = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var i = 0
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
