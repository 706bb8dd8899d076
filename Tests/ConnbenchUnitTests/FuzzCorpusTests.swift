import ConnCLI
import ConnFuzz
import Foundation
import Testing

/// Every input the fuzzer kept (Tests/Fuzz/Corpus: the seeds from real files, the inputs
/// that reached new code, and each crash it found) through its target again, without
/// instrumentation: a crash once fixed stays fixed. A trap fails the whole test run, which
/// is the point; `fuzz.sh replay` does the same through the instrumented build.
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus").path

    static func inputs(of target: FuzzTarget) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: corpus + "/" + target.rawValue).sorted()
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyKeptInputPasses(_ target: FuzzTarget) throws {
        let names = try Self.inputs(of: target)
        #expect(!names.isEmpty, "Tests/Fuzz/Corpus/\(target.rawValue) has no seed")
        for name in names {
            let bytes = try #require(FileManager.default.contents(atPath: Self.corpus + "/" + target.rawValue + "/" + name))
            target.run(Array(bytes))
        }
    }

    /// The command-line seeds named `valid-*` are whole command lines a user could type,
    /// and are accepted: a seed the parser refuses at its first option would leave the
    /// fuzzer nothing of the others to start from.
    @Test func theValidCommandLineSeedsAreAccepted() throws {
        let folder = Self.corpus + "/" + FuzzTarget.commandLine.rawValue
        let names = try Self.inputs(of: .commandLine).filter { $0.hasPrefix("valid-") }
        #expect(names.count >= 10)
        for name in names {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            let refused = CommandLineCheck.check(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            #expect(refused == nil, "\(name): \(refused ?? "")")
        }
    }

    /// Each target has a folder of seeds, and each folder is a target's.
    @Test func theCorpusFoldersAreTheTargets() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus)
        #expect(Set(folders) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
