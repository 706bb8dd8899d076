import ConnEngine
import ConnModel
import ConnReport
import ConnStudies
import Foundation
import Histogram
import Testing

extension HeavySuites {
    /// report.json, `connbench report` and `connbench merge` through the real binary.
    @Suite(.serialized)
    struct ReportMergeTests {
        static let repoRoot = HistogramLogPythonTests.repoRoot
        static let files = ["summary.txt", "summary.csv", "timeseries.csv", "errors.csv", "report.json", "report.html", "latency.hlog",
                            "latency-corrected.hgrm", "latency-service.hgrm", "latency-call.hgrm"]

        static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

        static func report(_ dir: String) throws -> RunReport { try ReportJSON.parse(try read(dir + "/report.json")) }

        /// Acceptance: `connbench report` on a saved folder reproduces summary.txt byte for
        /// byte (and every other file).
        @Test func reportReRendersASavedRunByteForByte() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
            let run = try TestSupport.run(["run", "--rate", "2000", "--duration", "1s", "--warmup", "200ms", "--workers", "1",
                                           "--tag", "saved", "--output", dir + "/run"])
            #expect(run.status == 0, "\(run.stderr)")
            let again = try TestSupport.run(["report", dir + "/run", "--output", dir + "/again"])
            #expect(again.status == 0, "\(again.stderr)")
            for f in Self.files {
                let a = try Self.read(dir + "/run/" + f), b = try Self.read(dir + "/again/" + f)
                #expect(a == b, "\(f) differs after connbench report")
            }
            #expect(try Self.read(dir + "/run/summary.txt").contains("\ntag=saved\n"))
            // In place, too: the folder is rewritten whole with the same bytes.
            let before = try Self.read(dir + "/run/summary.txt")
            #expect(try TestSupport.run(["report", dir + "/run"]).status == 0)
            #expect(try Self.read(dir + "/run/summary.txt") == before)
        }

        /// A real run's report.json against docs/report.schema.json (Python `jsonschema`,
        /// installed from PyPI when missing; a failed install is an issue, never a skip).
        @Test func reportJSONMatchesItsSchema() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
            let run = try TestSupport.run(["run", "--rate", "1000", "--duration", "500ms", "--workers", "1", "--output", dir])
            #expect(run.status == 0, "\(run.stderr)")
            typealias P = HistogramLogPythonTests
            guard try TestSupport.ensurePython("jsonschema", package: "jsonschema") else { return }
            let check = try P.bash("""
                python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); \
                jsonschema.Draft202012Validator.check_schema(s); jsonschema.validate(json.load(open(sys.argv[2])), s); print("valid")' \
                '\(Self.repoRoot)/docs/report.schema.json' '\(dir)/report.json'
                """, limitSeconds: 60)
            #expect(check.status == 0 && check.output.contains("valid"), "\(check.output)")
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as! [String: Any]
            let s = summary["summary"] as! [String: Any]
            let r = try Self.report(dir)
            #expect((s["established_per_s"] as! Double) == r.establishedPerSecond)
            #expect(((s["latency_corrected_us"] as! [String: Any])["p99"] as! Double) == Double(r.latency.p99) / 1000)
        }

        /// Runs of different kinds are refused with one line and exit 65.
        /// Every field of a run report and of an interval row says how it merges: one added
        /// without a rule would keep the first part's value in every merged report.
        @Test func everyReportFieldHasAMergeRule() throws {
            let r = try BenchmarkRunner.run(TestSupport.config(rate: .fixed(perSecond: 500), duration: "300ms"))
            let row = try #require(r.intervals.first)
            for (value, rules, type) in [(r as Any, RunMerge.reportRules, "RunReport"), (row as Any, RunMerge.intervalRules, "IntervalRow")] {
                let fields = Set(Mirror(reflecting: value).children.compactMap(\.label))
                let ruled = Set(rules.keys)
                #expect(fields.subtracting(ruled).isEmpty, "\(type) fields without a merge rule: \(fields.subtracting(ruled).sorted())")
                #expect(ruled.subtracting(fields).isEmpty, "merge rules for no \(type) field: \(ruled.subtracting(fields).sorted())")
            }
        }

        @Test func mergeRefusesRunsOfDifferentKinds() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
            for (tag, duration) in [("x", "300ms"), ("y", "400ms")] {
                let r = try TestSupport.run(["run", "--rate", "500", "--duration", duration, "--workers", "1", "--tag", tag, "--output", dir + "/" + tag])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let m = try TestSupport.run(["merge", dir + "/x", dir + "/y", "--output", dir + "/m"])
            #expect(m.status == 65)
            #expect(m.stderr.split(separator: "\n").count == 1 && m.stderr.contains("duration"), "\(m.stderr)")
            let missing = try TestSupport.run(["merge", dir + "/x", dir + "/nothing", "--output", dir + "/m"])
            #expect(missing.status != 0 && missing.stderr.contains("nothing/report.json"), "\(missing.stderr)")
        }

        /// A run is known by its id, not its tag: two untagged runs of one host (both named
        /// after it) merge, with their names made unique and their start skew stated; one
        /// run twice, a copy of its folder, or a merge with one of its own parts is refused
        /// with one line.
        @Test func runsMergeByIdentityNotByTag() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
            for name in ["a", "b"] {
                let r = try TestSupport.run(["run", "--rate", "500", "--duration", "300ms", "--workers", "1", "--output", dir + "/" + name])
                #expect(r.status == 0, "\(r.stderr)")
            }
            let a = try Self.report(dir + "/a"), b = try Self.report(dir + "/b")
            let ida = try #require(a.identity), idb = try #require(b.identity)
            #expect(ida.id != idb.id && ida.id.count == 32 && ida.pid != idb.pid && ida.host == idb.host && !ida.bootID.isEmpty)
            #expect(a.setup.config.tag == b.setup.config.tag)
            let m = try TestSupport.run(["merge", dir + "/a", dir + "/b", "--output", dir + "/m"])
            try #require(m.status == 0, "\(m.stderr)")
            let merged = try Self.report(dir + "/m")
            let tag = a.setup.config.tag
            #expect(merged.mergedFrom == [tag, tag + "-2"])
            #expect(merged.identity?.parts?.map(\.id) == [ida.id, idb.id])
            #expect(merged.notes.contains { $0.hasPrefix("start skew against the earliest start") && $0.contains(tag + "-2 +") }, "\(merged.notes)")
            _ = try TestSupport.shell("cp -r '\(dir)/a' '\(dir)/copy'")
            for pair in [["a", "a"], ["a", "copy"], ["m", "b"]] {
                let refused = try TestSupport.run(["merge", dir + "/" + pair[0], dir + "/" + pair[1], "--output", dir + "/r"])
                #expect(refused.status == 65 && refused.stderr.contains("same run"), "\(pair): \(refused.stderr)")
                #expect(refused.stderr.split(separator: "\n").count == 1)
            }
        }

        /// Acceptance: three generators in three namespaces against one listener namespace,
        /// started together with --start-at; the merge's counts are the sums and its p99 is
        /// the p99 of the union of the raw histograms.
        @Test(.needsRoot) func threeGeneratorsMergeToTheSumsAndTheUnionsP99() throws {
            let id = "\(getpid() % 100000)"
            let listener = "cbm-l-\(id)"
            let gens = (1...3).map { "cbm-g\($0)-\(id)" }
            let dir = TestSupport.temporaryDirectory()
            var listen: Process?
            defer {
                if let p = listen, p.isRunning { kill(p.processIdentifier, SIGINT); p.waitUntilExit() }
                for ns in [listener] + gens { _ = try? TestSupport.shell("ip netns delete \(ns) 2>/dev/null") }
                _ = try? TestSupport.shell("rm -rf '\(dir)'")
            }
            // One veth pair per generator into the listener's namespace, each its own /24.
            var setup = "set -e; ip netns add \(listener); ip -n \(listener) link set lo up\n"
            for (i, g) in gens.enumerated() {
                let n = i + 1
                setup += """
                    ip netns add \(g); ip -n \(g) link set lo up
                    ip link add cbm\(n)l\(id) netns \(listener) type veth peer name cbm\(n)g\(id) netns \(g)
                    ip -n \(listener) addr add 10.231.\(n).1/24 dev cbm\(n)l\(id); ip -n \(listener) link set cbm\(n)l\(id) up
                    ip -n \(g) addr add 10.231.\(n).2/24 dev cbm\(n)g\(id); ip -n \(g) link set cbm\(n)g\(id) up

                    """
            }
            let made = try HistogramLogPythonTests.bash(setup, limitSeconds: 30)
            try #require(made.status == 0, "lab setup: \(made.output)")

            let port = "24987"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "exec ip netns exec \(listener) '\(TestSupport.binary)' listen --address 0.0.0.0 --port \(port) >/dev/null 2>&1"]
            try p.run()
            listen = p
            var up = false
            for _ in 0..<250 where !up {
                up = try TestSupport.shell("ip netns exec \(listener) ss -Hltn 'sport = :\(port)'").contains(port)
                if !up { usleep(20_000) }
            }
            try #require(up, "connbench listen did not come up")

            // The three generators at once, all starting at the same wall-clock second.
            let startAt = Int(Date().timeIntervalSince1970) + 6
            var script = ""
            for (i, g) in gens.enumerated() {
                let n = i + 1
                script += "ip netns exec \(g) '\(TestSupport.binary)' run --target 10.231.\(n).1:\(port) --rate 1000 --duration 1s "
                    + "--workers 1 --tag g\(n) --start-at \(startAt) --output '\(dir)/g\(n)' > '\(dir)/g\(n).out' 2>&1; echo $? > '\(dir)/g\(n).rc' &\n"
            }
            script += "wait\n"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = try HistogramLogPythonTests.bash(script, limitSeconds: 60)
            for n in 1...3 {
                let rc = try Self.read("\(dir)/g\(n).rc").trimmingCharacters(in: .whitespacesAndNewlines)
                try #require(rc == "0", "g\(n): \((try? Self.read("\(dir)/g\(n).out")) ?? "")")
            }
            let merge = try TestSupport.run(["merge", "\(dir)/g1", "\(dir)/g2", "\(dir)/g3", "--output", "\(dir)/merged"])
            try #require(merge.status == 0, "\(merge.stderr)")

            let parts = try (1...3).map { try Self.report("\(dir)/g\($0)") }
            let merged = try Self.report("\(dir)/merged")
            #expect(merged.mergedFrom == ["g1", "g2", "g3"])
            // --start-at lined the three up: each clock started within a few ms of the agreed
            // time, or (a generator slower to get ready than the lead, on a loaded machine)
            // the run says it started late and the merge says how it aligned it.
            for (n, p) in parts.enumerated() {
                let offsetMs = Int64(p.intervalHistograms!.startEpochMs) - Int64(startAt) * 1000
                let late = p.notes.contains { $0.hasPrefix("--start-at time had passed") }
                #expect((offsetMs >= 0 && offsetMs < 50) || (late && offsetMs > 0), "g\(n + 1) started \(offsetMs) ms after --start-at")
                if late { #expect(merged.notes.contains { $0.hasPrefix("g\(n + 1) started") }) }
            }
            #expect(parts.allSatisfy { $0.settings.contains(.init("start-at", StartAt.format(epochNs: UInt64(startAt) * 1_000_000_000))) })
            for p in parts { #expect(p.tally.attempts > 0 && p.tally.established == p.tally.attempts, "\(p.tally)") }
            func sum(_ f: (Tally) -> UInt64) -> UInt64 { parts.reduce(0) { $0 + f($1.tally) } }
            #expect(merged.tally.attempts == sum(\.attempts))
            #expect(merged.tally.established == sum(\.established))
            #expect(merged.tally.failed == sum(\.failed))
            #expect(merged.tally.timedOut == sum(\.timedOut))
            #expect(merged.tally.inFlight == sum(\.inFlight))
            #expect(merged.intervals.reduce(0) { $0 + $1.established } == parts.reduce(0) { $0 + $1.intervals.reduce(0) { $0 + $1.established } })
            #expect(merged.intervals.reduce(0) { $0 + $1.started } == parts.reduce(0) { $0 + $1.intervals.reduce(0) { $0 + $1.started } })

            // The union of the raw histograms, decoded from each part's report.json.
            var union = parts[0].histograms.latency
            for p in parts.dropFirst() { union.add(p.histograms.latency) }
            #expect(merged.histograms.latency.totalCount == union.totalCount)
            #expect(union.totalCount == sum(\.established))
            let p99 = union.valueAtPercentile(99)
            #expect(merged.histograms.latency.valueAtPercentile(99) == p99)
            #expect(merged.latency.p99 == p99)
            // And what summary.txt shows: the corrected row's p99 column.
            let text = try Self.read("\(dir)/merged/summary.txt")
            let row = text.split(separator: "\n").first { $0.hasPrefix("corrected (from intended start)") }
            let columns = row.map { $0.split(separator: " ").suffix(7).map(String.init) } ?? []
            #expect(columns.count == 7 && columns[2] == String(format: "%.1f", Double(p99) / 1000), "\(row ?? "no row")")
            #expect(text.contains("note: merged 3 runs: g1, g2, g3"))
            // Every format was written, and hlog rows add up to the merged histogram.
            for f in Self.files { #expect(FileManager.default.fileExists(atPath: "\(dir)/merged/\(f)"), "\(f)") }
            let logTotal = merged.intervalHistograms!.rows.reduce(0) { $0 + $1.latency.totalCount }
            #expect(logTotal == merged.histograms.latency.totalCount)
        }
    }
}
