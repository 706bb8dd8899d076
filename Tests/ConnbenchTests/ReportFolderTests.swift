import ConnEngine
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

    @Test func folderWritesRefuseWhatCannotBeReplacedWhole() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { _ = try? TestSupport.shell("rm -rf '\(dir)'") }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        #expect(throws: ReportWriter.Failure.self) { try ReportWriter.write([("a.txt", "x")], to: dir) }
        #expect(throws: ReportWriter.Failure.self) { try ReportWriter.write([("a.txt", "x")], to: dir + "/sub/.") }
        #expect(FileManager.default.fileExists(atPath: dir + "/sub"))
    }
}
