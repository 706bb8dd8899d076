import ArgumentParser
import ConnEngine
import ConnStudies
import ConnReport
import ConnSys
import Foundation
import ConnModel

/// `connbench hold`: how many connections can be held open, and at what cost.
///
/// Builds up N established connections at a fixed rate, keeps them for a while, and
/// reports connect latency per step of open count, memory per connection, and the limit
/// that stopped the build-up first if one did. One process holds at most RLIMIT_NOFILE
/// descriptors, so N is split over as many generator processes (and as many listener
/// processes, since accepted ends cost descriptors too) as that needs, all in one fresh
/// anonymous namespace, and their results are merged into one report.
struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Build up N concurrent established connections at a rate, hold them, and report latency by open count and memory per connection."
    )

    @Option(help: "Established connections to build up (over all processes).", transform: { try ParseValue.positiveInt($0, max: 10_000_000) })
    var connections: Int = 10_000

    @Option(help: "Connects per second over all processes.", transform: ParseValue.rate)
    var rate: Rate = .fixed(perSecond: 20_000)

    @Option(help: "How long to hold the connections once all are built.", transform: ParseValue.positiveDuration)
    var hold: UInt64 = 30_000_000_000

    @Option(help: "Source addresses 127.0.0.2 upwards (default: enough for the 4-tuples, at least 4).", transform: { try ParseValue.positiveInt($0, max: 65_534) })
    var sources: Int?

    @Option(name: .customLong("listener-ports"), help: "Listener ports over all listener processes (default: 4 per process).", transform: { try ParseValue.positiveInt($0, max: 1000) })
    var listenerPorts: Int?

    @Option(help: "Generator processes (and as many listener processes). Default: as few as RLIMIT_NOFILE allows.", transform: { try ParseValue.positiveInt($0, max: 64) })
    var processes: Int?

    @Option(help: "Per-connect timeout.", transform: ParseValue.positiveDuration)
    var timeout: UInt64 = 3_000_000_000

    @Option(help: "Open-count step of the latency table.", transform: { try ParseValue.positiveInt($0, max: 10_000_000) })
    var step: Int = 10_000

    @Option(help: "epoll or io_uring (auto: io_uring where this kernel has what it needs).")
    var engine: EngineChoice = .epoll

    @Option(help: "Also write hold.txt, hold.csv (one row per step) and hold.json (the merged report with every part) into this folder.")
    var output: String?

    func validate() throws {
        guard rate.perSecond != nil else { throw ValidationError("--rate: hold needs a fixed rate, not 'max'") }
    }

    func makePlan() throws -> HoldPlan {
        var o = HoldOptions()
        o.connections = connections
        o.ratePerSecond = rate.perSecond ?? 20_000
        o.holdNs = hold
        o.sources = sources
        o.listenerPorts = listenerPorts
        o.processes = processes
        o.timeoutNs = timeout
        o.step = step
        o.engine = engine
        let limit = ResourceLimits.raiseOpenFiles()
        do { return try HoldPlan.make(o, descriptorLimit: limit.soft) } catch { throw CLIFailure(error.description, code: 64) }
    }

    func run() throws {
        let plan = try makePlan()
        if let output {
            do { try ReportWriter.prepare(directory: output) } catch { throw CLIFailure("--output: \(error.description)") }
        }
        let signals = StopSignals()
        signals.block()
        let outcome: Result<HoldReport, HoldSupervisor.Failure>
        do {
            outcome = try NamespaceRun.run(sysctls: []) { HoldSupervisor(plan: plan, signals: signals, status: Console.status).run() }
        } catch {
            throw CLIFailure("hold: \(error.description)")
        }
        let report: HoldReport
        switch outcome {
        case .success(let r): report = r
        case .failure(let f): throw CLIFailure("hold: \(f.message)")
        }
        Console.out(HoldReporter.render(report))
        if let output {
            // hold.json: the merged report with every part's result, histograms included,
            // so that results of several runs (or hosts) can be merged again exactly.
            let json = (try? JSONEncoder().encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            do { try ReportWriter.write(HoldReporter.files(report) + [("hold.json", json)], to: output) } catch {
                throw CLIFailure(error.description)
            }
            Console.status("wrote \(output)/hold.txt, hold.csv, hold.json")
        }
        guard report.balanced else { throw CLIFailure("hold: the parts' counts do not add up (attempts != established + failed + timed out + in flight)") }
    }
}
