import ArgumentParser
import ConnStudies

/// `connbench run-part`: one process of `run --processes` (``RunPart``), started by it
/// (never by hand, hence hidden); its share of the run comes over its channel.
struct RunPartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-part",
        abstract: "One process of `connbench run --processes` (internal).",
        shouldDisplay: false
    )

    /// The longest the part waits for the supervisor's next line, whatever happens.
    @Option(name: .customLong("life-limit-ns")) var lifeLimitNs: UInt64 = 86_400_000_000_000

    func run() throws {
        do throws(RunPart.Failure) { try RunPart(lifeLimitNs: lifeLimitNs).run() } catch {
            throw CLIFailure("run part: \(error.message)")
        }
    }
}
