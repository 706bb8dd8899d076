import ConnModel

/// `compare --saved NAME=DIR…`: the statistics of `compare` over runs already made — on
/// two kernels, two boots, two hosts, anything connbench cannot switch inside one run. Each
/// set's runs are its trials; the first set is the baseline.
package enum SavedCompare {
    package struct Failure: Error, CustomStringConvertible { package let description: String }

    /// One named set of saved runs, each with the folder it was read from.
    package struct SavedSet: Sendable {
        package var name: String
        package var runs: [(folder: String, report: RunReport)]
        package init(name: String, runs: [(folder: String, report: RunReport)]) { self.name = name; self.runs = runs }
    }

    /// What must be equal between two runs for their figures to be trials of one setting;
    /// between sets only the loop kind and the duration must be.
    static func alike(_ r: RunReport) -> [(what: String, value: String)] {
        let c = r.setup.config
        return [("loop", c.rate.perSecond == nil ? "closed (--rate max)" : "open"), ("rate", c.rate.description),
                ("close", c.close.rawValue), ("duration", DurationParser.format(c.durationNs)), ("engine", c.engine.rawValue)]
    }

    /// The sets' labels (their names, and the settings they differ in) and their trials.
    package static func trials(_ sets: [SavedSet]) throws(Failure) -> (labels: [(label: String, description: String)], trials: [CompareTrial]) {
        guard sets.count >= 2 else { throw Failure(description: "--saved: give at least two sets, NAME=DIR[,DIR…] each") }
        var names = Set<String>(), ids: [String: String] = [:]
        for s in sets {
            guard names.insert(s.name).inserted else { throw Failure(description: "--saved: the set name \(s.name) is given twice") }
            guard s.runs.count >= 2 else { throw Failure(description: "--saved \(s.name): \(s.runs.count) run(s); a set needs at least two to have a spread") }
            let first = alike(s.runs[0].report)
            for run in s.runs {
                for (a, b) in zip(first, alike(run.report)) where a.value != b.value {
                    throw Failure(description: "--saved \(s.name): \(run.folder) has \(a.what) \(b.value), \(s.runs[0].folder) has \(a.value): the runs of one set must be alike")
                }
                for id in run.report.identity?.runs.map(\.id) ?? [] {
                    if let other = ids[id] { throw Failure(description: "--saved: \(run.folder) and \(other) are the same run (id \(id.prefix(12)))") }
                    ids[id] = run.folder
                }
            }
        }
        let base = alike(sets[0].runs[0].report)
        for s in sets.dropFirst() {
            for (a, b) in zip(base, alike(s.runs[0].report)) where (a.what == "loop" || a.what == "duration") && a.value != b.value {
                throw Failure(description: "--saved \(s.name) has \(a.what) \(b.value), \(sets[0].name) has \(a.value): only runs of one kind and length compare")
            }
        }
        let labels = sets.map { s in (label: s.name, description: differences(s, among: sets)) }
        let trials = sets.enumerated().flatMap { i, s in
            s.runs.enumerated().map { j, run in CompareTrial(setting: i, round: j, report: run.report, stealShare: nil, otherShare: nil) }
        }
        return (labels, trials)
    }

    /// The settings in which this set's first run differs from another set's first run
    /// (`close=fin engine=io_uring`), else where its runs came from.
    static func differences(_ s: SavedSet, among sets: [SavedSet]) -> String {
        let mine = s.runs[0].report.settings.filter { $0.key != "tag" }
        let others = sets.filter { $0.name != s.name }.map { Dictionary($0.runs[0].report.settings.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        let differing = mine.filter { setting in others.contains { $0[setting.key] != setting.value } }
        let kernel = s.runs[0].report.kernel.release
        let kernelDiffers = sets.contains { $0.runs[0].report.kernel.release != kernel }
        var parts = differing.map { "\($0.key)=\($0.value)" }
        if kernelDiffers { parts.append("kernel=\(kernel)") }
        return parts.isEmpty ? "saved, \(s.runs.count) runs" : parts.joined(separator: " ")
    }
}
