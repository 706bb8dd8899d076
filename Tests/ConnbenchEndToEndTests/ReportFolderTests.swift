import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Testing

/// Pure and file-level parts of issue 11: `--start-at` parsing, whole folder writes.
@Suite struct ReportFolderTests {
    @Test func startAtParsesRFC3339AndUnixSeconds() throws {
        #expect(try StartAt.parse("2026-12-01T20:40:00Z") == 1_796_157_600_000_000_000)
        #expect(try StartAt.parse("2026-12-01T21:40:00.25+01:00") == 1_796_157_600_250_000_000)
        #expect(try StartAt.parse("1796157600") == 1_796_157_600_000_000_000)
        #expect(try StartAt.parse("1796157600.5") == 1_796_157_600_500_000_000)
        #expect(StartAt.format(epochNs: 1_796_157_600_250_000_000) == "2026-12-01T20:40:00.25Z")
        #expect(StartAt.format(epochNs: 1_796_157_600_000_000_000) == "2026-12-01T20:40:00Z")
        for bad in ["", "tomorrow", "2026-13-01T00:00:00Z", "2026-12-01 20:40", "2026-12-01T20:40:00", "-5", "2026-12-01T20:40:00Zx"] {
            #expect(throws: StartAt.Failure.self) { try StartAt.parse(bad) }
        }
    }

    @Test func folderWritesReplaceTheFolderWholeAndKeepOtherFiles() throws {
        let root = TestSupport.temporaryDirectory()
        let dir = root + "/out"
        defer { _ = try? TestSupport.shell("rm -rf '\(root)'") }
        try ReportWriter.write([("a.txt", "one\n"), ("b.txt", "two\n")], to: dir)
        try "mine\n".write(toFile: dir + "/notes.txt", atomically: false, encoding: .utf8)
        try ReportWriter.write([("a.txt", "ONE\n")], to: dir)
        #expect(try String(contentsOfFile: dir + "/a.txt", encoding: .utf8) == "ONE\n")
        #expect(try String(contentsOfFile: dir + "/b.txt", encoding: .utf8) == "two\n")
        #expect(try String(contentsOfFile: dir + "/notes.txt", encoding: .utf8) == "mine\n")
        // No temporary folder or file is left beside or inside it.
        let parent = (dir as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["out"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a.txt", "b.txt", "notes.txt"])
    }

    /// `run --processes`: the parts' reports under `parts/`, written and replaced with
    /// the folder; nothing outside connbench's own folders is written, and a later write
    /// without parts drops the stale ones.
    @Test func folderWritesCarryThePartsFolderWhole() throws {
        let root = TestSupport.temporaryDirectory()
        let dir = root + "/out"
        defer { _ = try? TestSupport.shell("rm -rf '\(root)'") }
        try ReportWriter.write([("a.txt", "merged\n"), ("parts/part-0/a.txt", "0\n"), ("parts/part-1/a.txt", "1\n")], to: dir)
        #expect(try String(contentsOfFile: dir + "/parts/part-1/a.txt", encoding: .utf8) == "1\n")
        try ReportWriter.write([("a.txt", "again\n"), ("parts/part-0/a.txt", "0b\n")], to: dir)
        #expect(try String(contentsOfFile: dir + "/parts/part-0/a.txt", encoding: .utf8) == "0b\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/parts/part-1"))
        try ReportWriter.write([("a.txt", "flat\n")], to: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["out"])
        for bad in ["other/a.txt", "parts/../../x.txt"] {
            #expect(throws: ReportWriter.Failure.self) { try ReportWriter.write([(bad, "x")], to: dir) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["out"])
    }

    @Test func folderWritesRefuseWhatCannotBeReplacedWhole() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        #expect(throws: ReportWriter.Failure.self) { try ReportWriter.write([("a.txt", "x")], to: dir) }
        #expect(throws: ReportWriter.Failure.self) { try ReportWriter.write([("a.txt", "x")], to: dir + "/sub/.") }
        #expect(FileManager.default.fileExists(atPath: dir + "/sub"))
    }
}

/// The deploy recipes cannot run here (no cluster, no second host); they are checked for
/// form: the manifest parses as YAML (Python's yaml) into an Indexed Job whose pods each
/// take RATE / PODS and a merge Job, and the ssh script parses as bash.
@Suite struct DeployRecipeTests {
    static let root = HeavySuites.HistogramLogPythonTests.repoRoot

    @Test func indexedJobManifestParses() throws {
        guard try TestSupport.ensurePython("yaml", package: "pyyaml") else { return }
        let check = try HeavySuites.HistogramLogPythonTests.bash("""
            python3 -c 'import sys, yaml
            docs = list(yaml.safe_load_all(open(sys.argv[1])))
            jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
            g = jobs["connbench-gen"]["spec"]
            assert g["completionMode"] == "Indexed" and g["completions"] == g["parallelism"], g
            env = {e["name"]: e["value"] for e in g["template"]["spec"]["containers"][0]["env"]}
            assert int(env["PODS"]) == g["completions"], env
            args = g["template"]["spec"]["containers"][0]["args"][0]
            for part in ["--rate \\"$$((RATE / PODS))\\"", "--tag \\"pod-$JOB_COMPLETION_INDEX\\"", "--start-at", "--output \\"/results/$JOB_COMPLETION_INDEX\\""]:
                assert part in args, part
            assert "connbench merge /results/[0-9]* --output /results/merged" in jobs["connbench-merge"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
            print("ok")' '\(Self.root)/deploy/k8s/connbench-indexed-job.yaml'
            """, limitSeconds: 60)
        #expect(check.status == 0 && check.output.contains("ok"), "\(check.output)")
    }

    @Test func sshRecipeParses() throws {
        let check = try HeavySuites.HistogramLogPythonTests.bash("bash -n '\(Self.root)/deploy/ssh/run-many.sh' && echo ok", limitSeconds: 30)
        #expect(check.status == 0 && check.output.contains("ok"), "\(check.output)")
        let usage = try HeavySuites.HistogramLogPythonTests.bash("'\(Self.root)/deploy/ssh/run-many.sh'", limitSeconds: 30)
        #expect(usage.status == 64 && usage.output.contains("usage:"), "\(usage.output)")
    }
}
