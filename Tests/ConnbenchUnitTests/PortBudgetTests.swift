import ConnEngine
import ConnModel
import ConnSys
import Testing

/// The port-budget model on its own: what each tunable and strategy does to the number
/// of connects before ports run out. The runs that check it against the kernel are in
/// ExhaustionTests.
struct PortBudgetTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var inputs: PortBudget.Inputs
        var rate: Double
        var capacity: Int
        var sustainable: Double?
        var onset: Int?
        var kind: PortBudget.OnsetKind?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "default range, tw_reuse 0, 10k/s: cost rises at the even half (14117), 470.5/s sustainable",
             inputs: .init(ports: 28232), rate: 10000, capacity: 28232, sustainable: 28232.0 / 60, onset: 14117, kind: .costRise),
        Case(name: "1000 ports: the walk is too cheap to see, the errno comes at 1001",
             inputs: .init(ports: 1000), rate: 15000, capacity: 1000, sustainable: 1000.0 / 60, onset: 1001, kind: .exhausted),
        Case(name: "4 destinations multiply a plain connect's ports",
             inputs: .init(ports: 1000, destinations: 4), rate: 15000, capacity: 4000, sustainable: 4000.0 / 60, onset: 4001, kind: .exhausted),
        Case(name: "bind() takes the port whatever the destination",
             inputs: .init(ports: 1000, destinations: 4, bindTakesPort: true), rate: 15000, capacity: 1000, sustainable: 1000.0 / 60, onset: 1001, kind: .exhausted),
        Case(name: "two sources double it",
             inputs: .init(ports: 1000, sources: 2), rate: 15000, capacity: 2000, sustainable: 2000.0 / 60, onset: 2001, kind: .exhausted),
        Case(name: "RST close leaves no TIME_WAIT: no onset",
             inputs: .init(ports: 1000, timeWaitHolder: .nobody), rate: 50000, capacity: 1000, sustainable: nil, onset: nil, kind: nil),
        Case(name: "tw_reuse after 1 s: 500/s fits 1000 ports",
             inputs: .init(ports: 1000, reuseDelaySeconds: 1), rate: 500, capacity: 1000, sustainable: 1000, onset: nil, kind: nil),
        Case(name: "tw_reuse after 1 s: 2000/s does not",
             inputs: .init(ports: 1000, reuseDelaySeconds: 1), rate: 2000, capacity: 1000, sustainable: 1000, onset: 1001, kind: .exhausted),
        Case(name: "under the sustainable rate ports never run out, but past half the range connect() walks",
             inputs: .init(ports: 28232), rate: 400, capacity: 28232, sustainable: 28232.0 / 60, onset: 14117, kind: .costRise),
        Case(name: "under half the sustainable rate nothing shows",
             inputs: .init(ports: 28232), rate: 200, capacity: 28232, sustainable: 28232.0 / 60, onset: nil, kind: nil),
        Case(name: "cost rise before the detector has its baseline is seen when it has one",
             inputs: .init(ports: 28232), rate: 80000, capacity: 28232, sustainable: 28232.0 / 60, onset: 20001, kind: .costRise),
    ]

    @Test(arguments: cases)
    func thePredictionFollowsTheKernelsRules(_ c: Case) {
        let b = PortBudget.predict(c.inputs, rate: c.rate)
        #expect(b.capacity == c.capacity)
        #expect(b.sustainableRate.map { Swift.abs($0 - (c.sustainable ?? -1)) < 1e-9 } ?? (c.sustainable == nil), "\(String(describing: b.sustainableRate))")
        #expect(b.onsetAttempt == c.onset)
        // One parity of the range is searched first: half the sustainable rate is cheap.
        if let full = b.sustainableRate { #expect(b.cheapRate == Double(b.capacity / 2) / b.holdSeconds && (b.cheapRate ?? 0) <= full) }
        #expect(b.onsetKind == c.kind)
        if let a = b.onsetAttempt, let t = b.onsetSeconds {
            // Open loop: the attempt and the time say the same thing at the asked rate.
            #expect(Swift.abs(Double(a - 1) / c.rate - t) < 1e-3, "attempt \(a) at \(t) s")
        }
    }

    /// The tunables come from the run's own namespace: the range less reserved ports,
    /// tw_reuse 2 reusing only towards loopback, timestamps needed for any reuse.
    @Test(arguments: [
        ("40000 40999", "", "2", "1", "127.0.0.1", 1000, true),
        ("40000 40999", "40000-40099,40500", "0", "1", "127.0.0.1", 899, false),
        ("40000 40999", "", "2", "1", "10.1.2.3", 1000, false),
        ("40000 40999", "", "1", "1", "10.1.2.3", 1000, true),
        ("40000 40999", "", "1", "0", "127.0.0.1", 1000, false),
        ("32768 60999", "", "0", "1", "127.0.0.1", 28232, false),
        ("40000 40998", "", "0", "1", "127.0.0.1", 998, false),
    ])
    func inputsAreReadFromTheRunsTunables(range: String, reserved: String, twReuse: String, timestamps: String,
                                          target: String, ports: Int, reuses: Bool) throws {
        var config = RunConfig()
        config.targets = [try #require(SocketAddress(ip: target, port: 5000))]
        let tunables = [
            RunReport.Setting("net.ipv4.ip_local_port_range", range),
            RunReport.Setting("net.ipv4.ip_local_reserved_ports", reserved),
            RunReport.Setting("net.ipv4.tcp_tw_reuse", twReuse),
            RunReport.Setting("net.ipv4.tcp_timestamps", timestamps),
            RunReport.Setting("net.ipv4.tcp_tw_reuse_delay", "1000"),
        ]
        let inputs = try #require(PortBudget.Inputs.of(config: config, targets: config.targets, tunables: tunables, listenerMode: nil))
        #expect(inputs.ports == ports)
        #expect((inputs.reuseDelaySeconds != nil) == reuses)
        #expect(inputs.timeWaitHolder == .generator)
    }

    @Test func theStrategyDecidesWhetherBindTakesThePortAndWhoHoldsTimeWait() throws {
        let tunables = [RunReport.Setting("net.ipv4.ip_local_port_range", "40000 40999")]
        var config = RunConfig()
        let lo = try #require(SocketAddress(ip: "127.0.0.1", port: 0))
        let targets = [try #require(SocketAddress(ip: "127.0.0.1", port: 30000)), try #require(SocketAddress(ip: "127.0.0.1", port: 30001))]
        config.strategy = SocketStrategy(sources: [lo])
        var inputs = try #require(PortBudget.Inputs.of(config: config, targets: targets, tunables: tunables, listenerMode: .waitFin))
        #expect(inputs.bindTakesPort && inputs.destinations == 2 && inputs.timeWaitHolder == .generator)
        config.strategy = SocketStrategy(sources: [lo], bindAddressNoPort: true)
        inputs = try #require(PortBudget.Inputs.of(config: config, targets: targets, tunables: tunables, listenerMode: .waitFin))
        #expect(!inputs.bindTakesPort)
        #expect(PortBudget.predict(inputs, rate: 10000).capacity == 2000)
        config.strategy = SocketStrategy()
        config.close = .rst
        inputs = try #require(PortBudget.Inputs.of(config: config, targets: targets, tunables: tunables, listenerMode: .waitFin))
        #expect(inputs.timeWaitHolder == .nobody)
        config.close = .fin
        config.targets = targets
        inputs = try #require(PortBudget.Inputs.of(config: config, targets: targets, tunables: tunables, listenerMode: .acceptClose))
        #expect(inputs.timeWaitHolder == .generator, "explicit targets: the client is assumed to close first")
        inputs = try #require(PortBudget.Inputs.of(config: RunConfig(), targets: targets, tunables: tunables, listenerMode: .acceptClose))
        #expect(inputs.timeWaitHolder == .unknown)
        #expect(PortBudget.predict(inputs, rate: 1000).caveat != nil)
    }

    @Test func aUnixTargetHasNoPortBudget() throws {
        let u = try #require(SocketAddress(unixPath: "/tmp/x.sock"))
        #expect(PortBudget.Inputs.of(config: RunConfig(), targets: [u], tunables: [], listenerMode: nil) == nil)
    }
}
