import ArgumentParser
import ConnEngine
import ConnReport
import ConnSys
import ConnModel

/// `connbench report DIR`: renders a saved run again (text, CSV, JSON, hlog, .hgrm, and
/// whatever else ``RunFiles`` lists) from its report.json, without re-running.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render a saved run folder's reports from its report.json, without re-running."
    )

    @Argument(help: "A run folder written by `connbench run` or `connbench merge` (it holds report.json).")
    var folder: String

    @Option(help: "Folder to write the reports into (default: FOLDER itself, rewritten whole).")
    var output: String?

    @Flag(help: "Print summary.txt to stdout as well.")
    var print = false

    func run() throws {
        let report = try Self.load(folder)
        let directory = output ?? folder
        let files = RunFiles.files(for: report)
        do { try ReportWriter.write(files, to: directory) } catch { throw CLIFailure(error.description) }
        if print { Console.out(TextReporter.render(report)) }
        Console.status("wrote \(directory)/" + files.map(\.name).joined(separator: ", "))
    }

    /// A run folder's report, or one line saying why not (exit 65: bad input data).
    static func load(_ folder: String) throws -> RunReport {
        let path = folder + "/report.json"
        guard let text = ProcFiles.read(path) else { throw CLIFailure("cannot read \(path)", code: 66) }
        do { return try ReportJSON.parse(text) } catch { throw CLIFailure("\(path): \(error.description)", code: 65) }
    }
}
