@preconcurrency import Glibc
import ArgumentParser
import ConnModel
import ConnSys

/// The root command. `connbench --rate 50000` is `connbench run --rate 50000`.
package struct Connbench: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "connbench",
        abstract: "Load and latency benchmark for the connect() system call.",
        version: ConnbenchVersion.text,
        subcommands: [RunCommand.self, ListenCommand.self, ExhaustCommand.self, ProbeCommand.self, SweepCommand.self,
                      CompareCommand.self, HoldCommand.self, HoldPartCommand.self, RunPartCommand.self, ReportCommand.self,
                      MergeCommand.self],
        defaultSubcommand: RunCommand.self
    )

    package init() {}

    /// Parses and runs; every failure ends as one line on stderr and a non-zero exit,
    /// never a trap or a usage dump. Returns the process exit code.
    package static func execute(_ arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let failure as CLIFailure {
            Console.error(failure.message)
            return failure.code
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Console.out(fullMessage(for: error) + "\n")  // --help, --version
                return 0
            }
            Console.error(oneLine(message(for: error)))
            return code.rawValue == 0 ? 1 : code.rawValue
        }
    }

    /// `message(for:)` is the parser's brief message: no "Error: " prefix, usage or help
    /// lines (those are `fullMessage(for:)`'s). A message of several lines becomes one.
    static func oneLine(_ text: String) -> String {
        let line = text.split(separator: "\n").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            .joined(separator: "; ")
        return line.isEmpty ? "invalid arguments" : line
    }
}

/// A failure after parsing (a listener that cannot bind, an unwritable folder).
struct CLIFailure: Error {
    let message: String
    let code: Int32
    init(_ message: String, code: Int32 = 1) { self.message = message; self.code = code }
}

/// All terminal output goes through here: the report on stdout, status and errors on
/// stderr, so `connbench … > report.txt` captures exactly the report.
enum Console {
    static func out(_ text: String) {
        fputs(text, stdout)
        fflush(stdout)
    }

    static func status(_ text: String) {
        fputs("connbench: \(text)\n", stderr)
    }

    static func error(_ text: String) {
        fputs("connbench: error: \(text)\n", stderr)
    }
}
