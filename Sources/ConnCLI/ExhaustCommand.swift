import ArgumentParser
import ConnEngine
import ConnReport
import ConnSys
import ConnModel
import ConnStudies
import ConnAnalysis

/// `connbench exhaust`: the strategy matrix, one fresh namespace per row.
struct ExhaustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exhaust",
        abstract: "Run each socket strategy to ephemeral-port exhaustion, each in its own fresh network namespace, and print one table. Needs root."
    )

    @Option(name: .customLong("port-range"), help: "Ephemeral range set in every case's namespace.", transform: ParseValue.portRange)
    var portRange: ClosedRange<UInt16> = 40000...40999

    @Option(name: .customLong("max-duration"), help: "Upper bound per case (a case that never exhausts runs this long).", transform: ParseValue.positiveDuration)
    var maxDuration: UInt64 = 2_000_000_000

    @Option(help: "How long each case keeps measuring after onset.", transform: ParseValue.duration)
    var tail: UInt64 = 300_000_000

    @Option(help: "Worker threads per case (default: one per allowed CPU).", transform: { try ParseValue.positiveInt($0, max: 1024) })
    var workers: Int?

    @Option(help: "epoll, io_uring or auto: the engine every case runs on.")
    var engine: EngineChoice = .epoll

    @Option(help: "Folder for exhaust.txt and exhaust.csv (default: Results/<UTC time>-exhaust).")
    var output: String?

    func validate() throws {
        if portRange.lowerBound <= ExhaustMatrix.firstListenerPort + 8 {
            throw ValidationError("--port-range must start above \(ExhaustMatrix.firstListenerPort + 8): the cases' listeners sit below it")
        }
        if portRange.count < 16 { throw ValidationError("--port-range needs at least 16 ports") }
    }

    func run() throws {
        let directory = output ?? "Results/" + WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds(), compact: true) + "-exhaust"
        do { try ReportWriter.prepare(directory: directory) } catch { throw CLIFailure("--output: \(error.description)") }
        var settings = ExhaustMatrix.Settings()
        settings.portRange = portRange
        settings.maxDurationNs = maxDuration
        settings.tailNs = tail
        settings.workers = workers
        settings.engine = engine
        let signals = StopSignals()
        signals.block()
        var interrupted = false
        let cases = ExhaustMatrix.defaultCases(portRange: portRange)
        var reports: [RunReport] = []
        for (i, c) in cases.enumerated() {
            Console.status("case \(i + 1)/\(cases.count): \(c.label), close \(c.close.rawValue), tcp_tw_reuse=\(c.twReuse)")
            do {
                // A fresh stop flag per case: a case that ends at onset sets its own.
                let report = try ExhaustMatrix.run(c, settings: settings, stop: StopFlag(), signals: signals)
                reports.append(report)
                if report.interrupted { interrupted = true; break }
            } catch {
                throw CLIFailure(error.description)
            }
        }
        let text = ExhaustReporter.text(reports, portRange: portRange, kernel: KernelInfo.release())
            + (interrupted ? "\ninterrupted: \(reports.count) of \(cases.count) cases ran\n" : "")
        Console.out(text)
        do {
            try ReportWriter.write([("exhaust.txt", text), ("exhaust.csv", ExhaustReporter.csv(reports))], to: directory)
        } catch {
            throw CLIFailure(error.description)
        }
        Console.status("wrote \(directory)/exhaust.txt, exhaust.csv")
    }
}
