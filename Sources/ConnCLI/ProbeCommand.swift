import ArgumentParser
import ConnProbe
import ConnReport
import ConnSys
import ConnModel

/// `connbench probe`: provoke each error of the connect() error table of the AIX reference page and classify it.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Provoke every error of the connect() error table of the AIX reference page, each in its own namespace or temporary directory, and say what Linux returned."
    )

    @Option(help: "Folder for probe.csv and probe.json (nothing is written without it).")
    var output: String?

    func run() throws {
        if let output {
            do { try ReportWriter.prepare(directory: output) } catch { throw CLIFailure("--output: \(error.description)") }
        }
        let report = ProbeRunner.run()
        Console.out(ProbeRender.text(report))
        if let output {
            let files = [("probe.csv", ProbeRender.csv(report)), ("probe.json", ProbeRender.json(report))]
            do { try ReportWriter.write(files, to: output) } catch { throw CLIFailure(error.description) }
            Console.status("wrote \(output)/probe.csv, probe.json")
        }
    }
}
