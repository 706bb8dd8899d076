import Foundation
import Testing

/// The layers import one way (Package.swift draws the graph): a target that imports one
/// above it — the engine from the model, the reporters from the engine — fails here even
/// where SwiftPM would let an undeclared but already built module through.
struct LayerTests {
    /// What each target may import of this package's own modules.
    static let allowed: [String: Set<String>] = [
        "ConnSys": ["CConnShim", "CNuma"],
        "ConnModel": ["ConnSys"],
        "ConnAnalysis": ["ConnSys", "ConnModel"],
        "ConnEngine": ["ConnSys", "ConnModel", "ConnAnalysis"],
        "ConnStudies": ["ConnSys", "ConnModel", "ConnAnalysis", "ConnEngine"],
        "ConnReport": ["ConnSys", "ConnModel", "CZlib"],
        "ConnProbe": ["ConnSys", "CConnShim"],
        "ConnCLI": ["ConnSys", "ConnModel", "ConnAnalysis", "ConnEngine", "ConnStudies", "ConnReport", "ConnProbe"],
        "connbench": ["ConnCLI"],
        "ConnFuzz": ["ConnSys", "ConnModel", "ConnAnalysis", "ConnEngine", "ConnStudies", "ConnReport", "ConnCLI"],
    ]

    /// The package's modules a target's files import.
    static func imports(of target: String) throws -> [String: String] {
        let root = SyscallWrapperTests.sources + "/" + target
        var found: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return found }
        for case let file as String in walker where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let m = line.firstMatch(of: /^(?:@\w+ )*import (?:\w+ )?(C\w+|connbench)\b/) else { continue }
                found[String(m.1), default: file] = file
            }
        }
        return found
    }

    @Test func everyTargetImportsOnlyTheLayersBelowIt() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: SyscallWrapperTests.sources)
            .filter { $0.hasPrefix("Conn") || $0 == "connbench" }
        #expect(Set(targets) == Set(Self.allowed.keys), "a target without a place in the graph")
        #expect(try Self.imports(of: "ConnCLI")["ConnEngine"] != nil, "the scanner sees an import")
        #expect(try Self.imports(of: "ConnModel")["ConnSys"] != nil, "the scanner sees an import")
        for target in targets {
            let allowed = Self.allowed[target] ?? []
            for (module, file) in try Self.imports(of: target) where module != target && !allowed.contains(module) {
                Issue.record("\(target)/\(file) imports \(module), which is not below it")
            }
        }
    }

    /// The graph itself is one way: no target may import one that may import it.
    @Test func theAllowedGraphHasNoCycle() {
        func reaches(_ from: String, _ to: String, _ seen: Set<String> = []) -> Bool {
            guard !seen.contains(from) else { return false }
            let next = Self.allowed[from] ?? []
            return next.contains(to) || next.contains { reaches($0, to, seen.union([from])) }
        }
        for target in Self.allowed.keys { #expect(!reaches(target, target), "\(target) reaches itself") }
    }
}
