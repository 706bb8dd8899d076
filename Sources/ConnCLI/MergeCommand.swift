import ArgumentParser
import ConnEngine
import ConnReport
import ConnModel
import ConnStudies
import ConnAnalysis

/// `connbench merge DIR…`: one report from runs made at once on several generators.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge run folders from several generators into one report: histograms added exactly, counters summed, intervals aligned by wall-clock time."
    )

    @Argument(help: "Run folders (each with report.json) to merge.")
    var folders: [String]

    @Option(help: "Folder for the merged report (default: merged).")
    var output: String = "merged"

    func validate() throws {
        guard folders.count >= 2 else { throw ValidationError("merge needs at least two run folders") }
    }

    func run() throws {
        let reports = try folders.map(ReportCommand.load)
        let merged: RunReport
        do { merged = try RunMerge.merge(reports) } catch { throw CLIFailure("merge: \(error.description)", code: 65) }
        Console.out(TextReporter.render(merged))
        let files = RunFiles.files(for: merged)
        do { try ReportWriter.write(files, to: output) } catch { throw CLIFailure(error.description) }
        Console.status("merged \(merged.mergedFrom.joined(separator: ", ")); wrote \(output)/" + files.map(\.name).joined(separator: ", "))
    }
}
