import ConnModel
import ConnSys
import ConnEngine

extension ExhaustMatrix {
    /// Runs one case in a fresh namespace and returns its report.
    package static func run(_ c: Case, settings: Settings, stop: StopFlag = StopFlag(), signals: StopSignals? = nil) throws(BenchmarkRunner.Failure) -> RunReport {
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
