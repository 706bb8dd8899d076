import Foundation
import Testing

extension HeavySuites {
    /// `compare --saved`: runs made before, compared with a live compare's statistics and
    /// files; sets that are not alike, or one run twice, are refused with one line.
    @Suite(.serialized)
    struct SavedCompareTests {
        @Test func fiveRSTRunsAgainstFiveFINRunsCompareLikeALiveCompare() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            for i in 1...5 {
                for close in ["rst", "fin"] {
                    let r = try TestSupport.run(["run", "--rate", "max", "--close", close, "--duration", "300ms", "--workers", "1",
                                                 "--quiet", "--output", "\(dir)/\(close)/r\(i)"])
                    try #require(r.status == 0, "\(r.stderr)")
                }
            }
            let o = try TestSupport.run(["compare", "--saved", "rst=\(dir)/rst", "--saved", "fin=\(dir)/fin", "--output", dir + "/out"])
            try #require(o.status == 0, "\(o.stderr)")
            let text = try String(contentsOfFile: dir + "/out/compare.txt", encoding: .utf8)
            #expect(text.contains("2 sets of saved runs (rst 5, fin 5 runs)"), "\(text)")
            #expect(text.contains("  rst: close=rst") && text.contains("  fin: close=fin"))
            let verdict = try #require(text.split(separator: "\n").first { $0.hasPrefix("fin ") && $0.contains("×") })
            #expect(["faster", "slower", "no significant difference"].contains { verdict.contains($0) }, "\(verdict)")
            for f in ["compare.csv", "compare.html"] { #expect(FileManager.default.fileExists(atPath: dir + "/out/" + f)) }
            // Refused, one line each: a set whose runs differ, one run twice, a set of one run, no runs.
            let refusals: [([String], String)] = [
                (["rst=\(dir)/rst/r1,\(dir)/fin/r1", "fin=\(dir)/fin"], "close"),
                (["rst=\(dir)/rst/r1,\(dir)/rst/r2", "again=\(dir)/rst/r2,\(dir)/rst/r3"], "same run"),
                (["rst=\(dir)/rst/r1", "fin=\(dir)/fin"], "at least two"),
                (["rst=\(dir)/nothing", "fin=\(dir)/fin"], "no report.json"),
                (["rst=\(dir)/rst"], "at least two sets"),
            ]
            for (sets, needle) in refusals {
                let r = try TestSupport.run(["compare"] + sets.flatMap { ["--saved", $0] } + ["--output", dir + "/refused"])
                #expect(r.status != 0 && r.stderr.contains(needle), "\(sets): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
        }
    }
}
