import ConnEngine
import ConnModel
import Testing

/// NUMA placement over parsed topologies: this machine has one node, so the multi-node
/// cases are read from text the way sysfs writes it.
struct NumaPlacementTests {
    static let twoNodes = NumaTopology.parse(cpuLists: [(node: 1, text: "4-7\n"), (node: 0, text: "0-3\n")])

    @Test func aTopologyParsesFromSysfsCPUListsAndAnswersBothWays() {
        #expect(Self.twoNodes.nodes.map(\.id) == [0, 1])
        #expect(Self.twoNodes.cpus(ofNode: 1) == [4, 5, 6, 7])
        #expect(Self.twoNodes.node(ofCPU: 2) == 0)
        #expect(Self.twoNodes.node(ofCPU: 9) == nil)
        #expect(CPUListText.format([7, 0, 1, 2, 5, 6]) == "0-2,5-7")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var workers: [Int?]
        var nic: Int?
        var warns: Bool
        var testDescription: String { "workers \(workers), NIC node \(nic.map(String.init) ?? "virtual") → warns \(warns)" }
    }

    @Test(arguments: [
        Case(workers: [1, 1], nic: 0, warns: true),
        Case(workers: [0, 1], nic: 0, warns: true),
        Case(workers: [0, 0], nic: 0, warns: false),
        Case(workers: [1], nic: nil, warns: false),
        Case(workers: [nil], nic: 0, warns: false),
    ])
    func workersOnAnotherNodeThanTheTargetsNICAreWarnedAbout(_ c: Case) {
        let p = NumaPlacement(topology: Self.twoNodes, workerNodes: c.workers,
                              routes: [.init(target: "10.0.0.2:80", interface: "eth0", node: c.nic)])
        #expect((p.warning != nil) == c.warns, "\(p.warning ?? "no warning")")
        if c.warns { #expect(p.warning?.contains("--cpus node:0") == true) }
    }

    @Test func thisMachinesTopologyCoversTheCPUsTheProcessMayUse() throws {
        let topology = try #require(NumaTopology.read())
        let all = Set(topology.nodes.flatMap(\.cpus))
        #expect(!all.isEmpty)
    }
}
