import ConnAnalysis
import ConnModel
import ConnReport
import ConnStudies

/// Saved runs: what `report`, `merge` and `compare --saved` do with a report.json, and what
/// `HistogramLogReader` does with a latency.hlog.
enum ReportFuzzing {
    static func reportJSON(_ bytes: UnsafeRawBufferPointer) {
        guard let report = try? ReportJSON.parse(bytes.text) else { return }
        _ = RunFiles.files(for: report)
        let copies = (1...4).map { copy(report, number: $0) }
        if let merged = try? RunMerge.merge(Array(copies.prefix(2))) { _ = RunFiles.files(for: merged) }
        compare(copies)
    }

    /// The same run under another identity: merge and compare refuse one run twice.
    static func copy(_ report: RunReport, number: Int) -> RunReport {
        var r = report
        let id = String(repeating: String(number), count: 32)
        r.identity = RunIdentity(id: id, host: "fuzz-\(number)", bootID: "boot", pid: Int32(number), startEpochNs: report.identity?.startEpochNs ?? 0)
        return r
    }

    /// `compare --saved a=1,2 b=3,4`, printed and rendered.
    static func compare(_ runs: [RunReport]) {
        let sets = [SavedCompare.SavedSet(name: "a", runs: [("1", runs[0]), ("2", runs[1])]),
                    SavedCompare.SavedSet(name: "b", runs: [("3", runs[2]), ("4", runs[3])])]
        guard let found = try? SavedCompare.trials(sets) else { return }
        for figure in [CompareFigure.establishedPerSecond, .p99] {
            var report = CompareReport(figure: figure, labels: found.labels, trials: found.trials, plannedTrials: 2,
                                       warmupTrials: 0, interrupted: false, base: "connbench compare --saved",
                                       kernelRelease: runs[0].kernel.release, startedAtUTC: runs[0].startedAtUTC)
            report.savedRuns = true
            _ = CompareReporter.text(report)
            _ = CompareReporter.csv(report)
            _ = HTMLReporter.render(report)
        }
    }

    /// The log's text, and the same bytes as one V2 histogram, compressed or not (the
    /// base64 and zlib around it would keep a mutation from reaching the decoder).
    static func histogramLog(_ bytes: UnsafeRawBufferPointer) {
        if let log = try? HistogramLogReader.parse(bytes.text) {
            for tag in Set(log.entries.map(\.tag)) {
                guard let h = log.merged(tag: tag) else { continue }
                _ = LatencySummary(h)
            }
        }
        if let h = try? HdrHistogramEncoding.decode(Array(bytes)) {
            _ = LatencySummary(h)
            _ = HdrHistogramEncoding.encodeCompressed(h)
        }
    }
}
