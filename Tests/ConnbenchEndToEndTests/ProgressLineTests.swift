import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Testing

extension HeavySuites {
    /// The live progress line: one per interval on a terminal, none when stderr is a file
    /// or a pipe, forced by --progress, silenced by --quiet.
    @Suite(.serialized)
    struct ProgressLineTests {
        static let runArguments = ["--rate", "2000", "--duration", "1s", "--interval", "200ms", "--workers", "1"]

        /// Runs the binary with stderr on a pseudo-terminal (`scripts/on-a-tty.py`; stdin
        /// and stdout not) and returns what the terminal saw.
        static func underTerminal(_ extra: [String]) throws -> [Substring] {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/on-a-tty.py").path
            let command = (["timeout", "30", "python3", helper, TestSupport.binary] + runArguments + extra + ["--output", dir])
                .map { "'\($0)'" }.joined(separator: " ")
            let seen = try TestSupport.shell(command + " 2>&1; echo exit=$?")
            let lines = seen.split(whereSeparator: \.isNewline)
            #expect(lines.contains { $0.hasPrefix("connbench: wrote") } || extra.contains("--quiet"), "the run did not finish: \(seen)")
            return lines
        }

        static func progressLines<S: StringProtocol>(_ lines: [S]) -> [S] {
            lines.filter { $0.hasPrefix("connbench: t=") }
        }

        @Test func onATerminalThereIsOneLinePerInterval() throws {
            let lines = Self.progressLines(try Self.underTerminal([]))
            #expect(lines.count == 5, "\(lines)")
            #expect(lines.first?.hasPrefix("connbench: t=0.2s started") == true, "\(lines)")
            #expect(lines.last?.hasPrefix("connbench: t=1s started") == true, "\(lines)")
            for l in lines { #expect(l.contains("/2000/s") && l.contains("p99≤"), "\(l)") }
        }

        @Test func quietSilencesItEvenOnATerminal() throws {
            let lines = try Self.underTerminal(["--quiet"])
            #expect(Self.progressLines(lines).isEmpty, "\(lines)")
            #expect(!lines.contains { $0.hasPrefix("connbench: running") }, "\(lines)")
        }

        @Test(arguments: [false, true])
        func withStderrNotATerminalThereIsNoneUnlessForced(forced: Bool) throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(Self.runArguments + (forced ? ["--progress"] : []) + ["--output", dir], timeLimit: 30)
            #expect(o.status == 0, "\(o.stderr)")
            let lines = Self.progressLines(o.stderr.split(separator: "\n"))
            #expect(lines.count == (forced ? 5 : 0), "\(o.stderr)")
        }
    }
}
