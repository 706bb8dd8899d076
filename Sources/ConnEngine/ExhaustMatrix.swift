import ConnSys

/// `connbench exhaust`: the socket strategies side by side, each run in its own fresh
/// namespace with the same small port range, to the onset of exhaustion.
///
/// Every case gets a new namespace because TIME_WAIT entries stay with the namespace that
/// made them: a case run after another would start with the other's ports taken.
public enum ExhaustMatrix {
    /// One row of the matrix.
    public struct Case: Sendable, Equatable, Codable {
        public var strategy: SocketStrategy
        public var close: CloseMode
        public var twReuse: Int
        /// Listeners on this many ports: a plain connect shares source ports across them.
        public var destinations: Int

        public init(strategy: SocketStrategy = SocketStrategy(), close: CloseMode = .fin, twReuse: Int = 0, destinations: Int = 1) {
            self.strategy = strategy
            self.close = close
            self.twReuse = twReuse
            self.destinations = destinations
        }

        public var label: String { strategy.name + (destinations > 1 ? " ×\(destinations) dst" : "") }
    }

    public struct Settings: Sendable, Equatable {
        /// The namespace's ephemeral range for every case (1000 ports: each case ends in
        /// well under a second at loopback rates).
        public var portRange: ClosedRange<UInt16> = 40000...40999
        /// Upper bound per case; a case that never exhausts runs this long.
        public var maxDurationNs: UInt64 = 2_000_000_000
        public var tailNs: UInt64 = 300_000_000
        public var workers: Int?
        public var concurrency: Int?
        /// epoll or io_uring: the same matrix on either engine.
        public var engine: EngineChoice = .epoll
        public init() {}
    }

    /// Listeners sit below the ephemeral range so they never take one of its ports.
    public static let firstListenerPort: UInt16 = 30000

    /// The default matrix: the strategies of kernel-facts' table with FIN close and no
    /// TIME_WAIT reuse, then the variables that move the onset (more destinations,
    /// tcp_tw_reuse, RST close).
    public static func defaultCases(portRange: ClosedRange<UInt16>) -> [Case] {
        let lo = SocketAddress(ip: "127.0.0.1", port: 0)!
        let half = portRange.lowerBound...(portRange.lowerBound + UInt16((Int(portRange.count) / 2) - 1))
        return [
            Case(),
            Case(strategy: SocketStrategy(sources: [lo])),
            Case(strategy: SocketStrategy(sources: [lo], reuseAddress: true)),
            Case(strategy: SocketStrategy(reuseAddress: true)),
            Case(strategy: SocketStrategy(sources: [lo], bindAddressNoPort: true)),
            Case(strategy: SocketStrategy(portRange: half)),
            Case(destinations: 4),
            Case(strategy: SocketStrategy(sources: [lo]), destinations: 4),
            Case(twReuse: 1),
            Case(close: .rst),
        ]
    }

    /// Runs one case in a fresh namespace and returns its report.
    public static func run(_ c: Case, settings: Settings, stop: StopFlag = StopFlag(), signals: StopSignals? = nil) throws(BenchmarkRunner.Failure) -> RunReport {
        let range = settings.portRange
        let sysctls = [
            SysctlSetting(key: "net.ipv4.ip_local_port_range", value: "\(range.lowerBound) \(range.upperBound)"),
            SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: String(c.twReuse)),
        ]
        var config = RunConfig()
        config.rate = .max
        config.durationNs = settings.maxDurationNs
        config.workers = settings.workers
        config.concurrency = settings.concurrency
        config.close = c.close
        config.engine = settings.engine
        config.strategy = c.strategy
        config.untilExhausted = true
        config.tailNs = settings.tailNs
        config.intervalNs = 100_000_000
        config.isolation = Isolation(netns: true, sysctls: sysctls)
        let outcome: Result<RunReport, BenchmarkRunner.Failure>
        do throws(NamespaceRun.Failure) {
            outcome = try NamespaceRun.run(sysctls: sysctls) { [config] in
                // The listeners wait for the client's FIN, so the client closes first and
                // holds TIME_WAIT, as a client of a keep-alive server does.
                var listeners: [Listener] = []
                defer { listeners.forEach { $0.stop() } }
                var config = config
                for i in 0..<Swift.max(1, c.destinations) {
                    var lc = ListenerConfig()
                    lc.address = SocketAddress(ip: "127.0.0.1", port: firstListenerPort + UInt16(i))!
                    lc.close = .peer
                    lc.threads = 1
                    do throws(Listener.Failure) {
                        listeners.append(try Listener(config: lc))
                    } catch {
                        return .failure(.listener(error))
                    }
                }
                config.targets = listeners.map(\.address)
                do throws(BenchmarkRunner.Failure) {
                    var report = try BenchmarkRunner.runHere(config, stop: stop, signals: signals)
                    report.matrixCase = c
                    return .success(report)
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .namespace(error)
        }
        return try outcome.get()
    }
}
