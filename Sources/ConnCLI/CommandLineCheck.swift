import ArgumentParser
import ConnModel

/// Everything a command does with its arguments before it touches the system: parsing,
/// validation, and turning them into the run's values. The fuzz target for option values
/// runs this, so a value that parses but traps in a conversion afterwards is found too.
package enum CommandLineCheck {
    /// Nil when the arguments are accepted; the one-line error otherwise.
    @discardableResult
    package static func check(_ arguments: [String]) -> String? {
        do {
            let command = try Connbench.parseAsRoot(arguments)
            try values(of: command)
            return nil
        } catch let failure as CLIFailure {
            return failure.message
        } catch {
            return Connbench.oneLine(Connbench.message(for: error))
        }
    }

    /// The values `run()` would build first; names are not resolved (that is a lookup).
    static func values(of command: any ParsableCommand) throws {
        switch command {
        case let run as RunCommand:
            try config(run.options, label: run.label)
        case let sweep as SweepCommand:
            do { _ = try sweep.parse() } catch { throw CLIFailure(error.description, code: 64) }
            try config(sweep.base, label: nil)
        case let compare as CompareCommand where compare.saved.isEmpty:
            try config(compare.base, label: nil)
        case let hold as HoldCommand:
            _ = try hold.makePlan()
        default:
            break
        }
    }

    static func config(_ options: RunOptions, label: RunLabelOptions?) throws {
        var config = options.makeConfig()
        label?.apply(to: &config)
        do { _ = try config.validate(allowedCPUs: [0, 1]) } catch { throw CLIFailure(error.description, code: 64) }
    }
}
