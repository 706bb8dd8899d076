import ConnModel
import ConnStudies
import ConnSys

/// `compare --saved NAME=DIR[,DIR…]`: reading the sets (a DIR is a run folder or a folder
/// of run folders) and printing their compare; the statistics are ``SavedCompare``'s.
enum CompareSaved {
    /// `NAME=DIR[,DIR…]` into a name and its folders, or a one-line error.
    static func parse(_ text: String) throws -> (name: String, dirs: [String]) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw CLIFailure("--saved: expected NAME=DIR[,DIR…] (got '\(text)')", code: 64)
        }
        let name = String(text[..<eq])
        let dirs = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !dirs.isEmpty, !dirs.contains(where: \.isEmpty) else { throw CLIFailure("--saved \(name): an empty folder in '\(text)'", code: 64) }
        return (name, dirs)
    }

    /// The run folders a DIR stands for: itself when it holds a report.json, else its
    /// subfolders that do (in name order).
    static func runFolders(_ dir: String, set name: String) throws -> [String] {
        if ProcFiles.read(dir + "/report.json") != nil { return [dir] }
        let entries = (try? DirectoryCalls.list(dir)) ?? []
        let runs = entries.filter(\.isDirectory).map { dir + "/" + $0.name }.filter { ProcFiles.read($0 + "/report.json") != nil }.sorted()
        guard !runs.isEmpty else { throw CLIFailure("--saved \(name): \(dir) holds no report.json, nor run folders that do", code: 66) }
        return runs
    }

    static func sets(_ texts: [String]) throws -> [SavedCompare.SavedSet] {
        try texts.map { text in
            let (name, dirs) = try parse(text)
            let folders = try dirs.flatMap { try runFolders($0, set: name) }
            return SavedCompare.SavedSet(name: name, runs: try folders.map { ($0, try ReportCommand.load($0)) })
        }
    }

    /// The compare of the sets, printed and written like a live one's.
    static func run(_ texts: [String], figure: CompareFigure, output: String?) throws {
        let sets = try sets(texts)
        let found: (labels: [(label: String, description: String)], trials: [CompareTrial])
        do { found = try SavedCompare.trials(sets) } catch { throw CLIFailure(error.description, code: 65) }
        let reports = sets.flatMap { $0.runs.map(\.report) }
        let kernels = Array(Set(reports.map(\.kernel.release))).sorted().joined(separator: ", ")
        var report = CompareReport(figure: figure, labels: found.labels, trials: found.trials,
                                   plannedTrials: sets.map(\.runs.count).max() ?? 0, warmupTrials: 0, interrupted: false,
                                   base: CompareCommand.typedCommand(), kernelRelease: kernels,
                                   startedAtUTC: reports.map(\.startedAtUTC).min() ?? "")
        report.savedRuns = true
        let directory = output ?? "Results/" + WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds(), compact: true) + "-compare"
        try CompareCommand.printAndWrite(report, to: directory)
    }
}
