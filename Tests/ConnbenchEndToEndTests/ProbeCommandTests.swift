import ConnProbe
import ConnReport
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// `connbench probe` as a user runs it.
    @Suite(.serialized)
    struct ProbeCommandTests {
        @Test(.needsRoot) func theWholeProbeReportsEveryTableErrorInUnderThirtySecondsAndLeavesNothingBehind() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let hostRange = ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range")

            let started = Date()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TestSupport.binary)
            p.arguments = ["probe", "--output", dir]
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let pid = p.processIdentifier
            let stdout = OutputCollector(out.fileHandleForReading)
            let stderr = OutputCollector(err.fileHandleForReading)
            while p.isRunning {
                if Date().timeIntervalSince(started) > 60 { p.terminate(); break }
                usleep(20_000)
            }
            let elapsed = Date().timeIntervalSince(started)
            let text = stdout.text()
            #expect(p.terminationStatus == 0, "\(stderr.text())")
            #expect(elapsed < 30, "probe took \(elapsed) s")

            // Every errno of the reference page's table has its row in the text, with a verdict.
            let verdicts = ProbeVerdict.allCases.map(\.rawValue)
            for entry in ReferenceErrorTable.entries {
                let line = text.split(separator: "\n").first { $0.hasPrefix(entry.errnoName + " ") }
                #expect(line != nil, "no row for \(entry.errnoName)")
                if let line { #expect(verdicts.contains { line.contains(" \($0) ") }, "\(line)") }
            }
            #expect(text.contains("auto-bind: holds"))
            #expect(text.contains("self-connect: holds"))

            // probe.csv: the exact header, one row per table errno, in the table's order.
            let csvText = try String(contentsOfFile: dir + "/probe.csv", encoding: .utf8)
            let rows = CSV.parse(csvText)
            #expect(rows.first == ["errno", "verdict", "observed", "call", "scenario"])
            let body = Array(rows.dropFirst())
            #expect(body.map { $0.first ?? "" } == ReferenceErrorTable.entries.map(\.errnoName))
            for r in body {
                #expect(r.count == 5, "\(r)")
                #expect(verdicts.contains(r.count > 1 ? r[1] : ""), "\(r)")
            }

            // probe.json parses and holds every scenario and both behaviours.
            let jsonData = try Data(contentsOf: URL(fileURLWithPath: dir + "/probe.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: jsonData) as? [String: Any])
            let jsonRows = try #require(json["rows"] as? [[String: Any]])
            #expect(jsonRows.count == ProbeCatalog.all.count)
            #expect((json["behaviours"] as? [[String: Any]])?.count == 2)

            // Nothing left: no temporary directories of that process, no temp files in the
            // output folder, and the host's sysctls untouched (they were set in namespaces).
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/tmp")
                .filter { ("/tmp/" + $0).hasPrefix(ProbeTempDir.prefix(pid: pid)) }
            #expect(leftovers.isEmpty, "left behind: \(leftovers)")
            let hidden = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
            #expect(hidden.isEmpty, "temporary files left: \(hidden)")
            #expect(ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range") == hostRange)
        }

        @Test func anUnwritableOutputFolderIsAOneLineErrorNamingTheFlag() throws {
            let o = try TestSupport.run(["probe", "--output", "/proc/connbench-cannot-write"], timeLimit: 30)
            #expect(o.status != 0)
            #expect(o.stderr.split(separator: "\n").count == 1, "\(o.stderr)")
            #expect(o.stderr.contains("--output"))
            #expect(o.stdout.isEmpty)
        }
    }
}
