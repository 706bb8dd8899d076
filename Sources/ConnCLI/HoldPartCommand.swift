import ArgumentParser
import ConnSys
import ConnModel
import ConnStudies

/// `connbench hold-part`: one process of a hold (``HoldPart``), started by `connbench
/// hold` (never by hand, hence hidden). Parsing only.
struct HoldPartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-part",
        abstract: "One process of `connbench hold` (internal).",
        shouldDisplay: false
    )

    enum Role: String, ExpressibleByArgument { case generator, listener }

    @Argument var role: Role
    @Option var part: Int
    @Option var parts: Int = 1
    @Option var connections: Int = 0
    @Option var rate: Double = 1000
    @Option var step: Int = 10_000
    @Option(help: "Source addresses, comma-separated.") var sources: String = ""
    @Option(help: "Listener ports, comma-separated.") var ports: String
    @Option var address: String = "127.0.0.1"
    @Option(name: .customLong("timeout-ns")) var timeoutNs: UInt64 = 3_000_000_000
    @Option(name: .customLong("build-limit-ns")) var buildLimitNs: UInt64 = 60_000_000_000
    /// The longest the part waits for the supervisor's next line, whatever happens.
    @Option(name: .customLong("life-limit-ns")) var lifeLimitNs: UInt64 = 600_000_000_000
    @Option(name: .customLong("hold-limit")) var holdLimit: Int = 20_000
    @Option var engine: EngineChoice = .epoll

    func run() throws {
        let process = HoldPart(lifeLimitNs: lifeLimitNs)
        let portList = ports.split(separator: ",").compactMap { UInt16($0) }
        do throws(HoldPart.Failure) {
            switch role {
            case .listener:
                try process.listener(part: part, address: address, ports: portList, holdLimit: holdLimit)
            case .generator:
                let targets = portList.compactMap { SocketAddress(ip: address, port: $0) }
                let sourceList = sources.split(separator: ",").compactMap { SocketAddress(ip: String($0), port: 0) }
                guard !targets.isEmpty, !sourceList.isEmpty else { throw process.fail("no targets or no sources") }
                var config = HoldPartConfig(part: part, parts: parts, connections: connections, ratePerSecond: rate, step: step,
                                            sources: sourceList, targets: targets, timeoutNs: timeoutNs, buildLimitNs: buildLimitNs)
                config.engine = engine
                // The parts spread over the allowed CPUs, one worker each.
                if let allowed = try? CPUAffinity.allowedCPUs(), !allowed.isEmpty { config.cpu = allowed[part % allowed.count] }
                try process.generator(config)
            }
        } catch {
            throw CLIFailure("hold part \(part): \(error.message)")
        }
    }
}
