import Foundation
import Testing

extension HeavySuites {
    /// A hand-edited or half-written report.json never kills `connbench report`: it
    /// renders or says why in one line, and the exit is never by a signal.
    @Suite(.serialized)
    struct HostileReportTests {
        /// The trap of issue 33: an interval starting at 1e+308 s reached an Int64
        /// conversion while latency.hlog was written (SIGILL).
        @Test func anIntervalStartOf1e308RendersInsteadOfTrapping() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let r = try TestSupport.run(["run", "--rate", "500", "--duration", "2500ms", "--workers", "1", "--quiet", "--output", dir + "/run"])
            try #require(r.status == 0, "\(r.stderr)")
            let path = dir + "/run/report.json"
            var doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            var run = try #require(doc["run"] as? [String: Any])
            var log = try #require(run["intervalHistograms"] as? [String: Any])
            var rows = try #require(log["rows"] as? [[String: Any]])
            try #require(rows.count >= 2)
            rows[1]["startSeconds"] = 1e308
            log["rows"] = rows
            run["intervalHistograms"] = log
            doc["run"] = run
            try JSONSerialization.data(withJSONObject: doc).write(to: URL(fileURLWithPath: path))
            let o = try TestSupport.run(["report", dir + "/run", "--output", dir + "/out"])
            #expect(o.status == 0 || o.status == 65, "status \(o.status): \(o.stderr)")
            if o.status == 0 {
                let hlog = try String(contentsOfFile: dir + "/out/latency.hlog", encoding: .utf8)
                #expect(hlog.contains("1e+308"), "the edited start is written as it was read")
            } else {
                #expect(o.stderr.split(separator: "\n").count == 1, "\(o.stderr)")
            }
        }
    }
}
