import Foundation
import Testing

/// Units small enough to hold in one's head: no function over 80 lines, and no type over
/// 20 stored properties unless its doc comment says why ("stored properties" in it).
/// A scan by brace depth, not a parser: strings and comments are blanked first.
struct UnitSizeTests {
    static let maxFunctionLines = 80
    static let maxStoredProperties = 20

    struct Unit: CustomStringConvertible {
        var file: String, line: Int, name: String, size: Int
        var description: String { "\(file):\(line) \(name) (\(size))" }
    }

    static func sourceFiles() throws -> [(path: String, lines: [String])] {
        let root = SyscallWrapperTests.sources
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [(String, [String])] = []
        for case let file as String in walker where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            files.append((file, text.components(separatedBy: "\n")))
        }
        return files
    }

    /// The line's code: string literals emptied, a trailing `//` comment cut.
    static func code(_ line: String) -> String {
        let noStrings = line.replacing(/"(?:\\.|[^"\\])*"/, with: "\"\"")
        guard let cut = noStrings.firstRange(of: "//") else { return noStrings }
        return String(noStrings[..<cut.lowerBound])
    }

    static func depthChange(_ line: String) -> Int {
        let c = code(line)
        return c.filter { $0 == "{" }.count - c.filter { $0 == "}" }.count
    }

    /// Lines from a declaration's line to the line that closes its body.
    static func bodyEnd(_ lines: [String], from start: Int) -> Int? {
        var depth = 0, opened = false
        for j in start..<lines.count {
            let c = code(lines[j])
            if c.contains("{") { opened = true }
            depth += depthChange(lines[j])
            if opened && depth <= 0 { return j }
            if !opened && j > start + 6 { return nil }
        }
        return nil
    }

    static func longFunctions() throws -> [Unit] {
        let decl = /^\s*(?:@[\w()]+\s+)*(?:(?:public|package|private|fileprivate|internal|static|mutating|override|final|nonisolated)\s+)*(func\s+\w+|init[?!]?|deinit|subscript)\b/
        var out: [Unit] = []
        for (file, lines) in try sourceFiles() {
            for (i, line) in lines.enumerated() {
                guard let m = line.firstMatch(of: decl), let end = bodyEnd(lines, from: i) else { continue }
                if end - i + 1 > maxFunctionLines { out.append(Unit(file: file, line: i + 1, name: String(m.1), size: end - i + 1)) }
            }
        }
        return out
    }


    /// The stored properties of the type declared at line `i`: its own, not its nested types'.
    static func storedProperties(_ lines: [String], at i: Int) -> Int? {
        guard code(lines[i]).contains("{"), let end = bodyEnd(lines, from: i) else { return nil }
        guard end > i else { return 0 }
        let storedDecl = /^\s*(?:@\w+(?:\(.*\))?\s*)*(?:(?:public|package|private|fileprivate|internal|private\(set\)|package\(set\)|lazy|weak|unowned|nonisolated\(unsafe\))\s+)*(?:var|let)\s+\w+/
        var depth = depthChange(lines[i]), count = 0
        for j in (i + 1)..<end {
            let c = code(lines[j])
            let computed = c.firstMatch(of: /(?:var|let)\s+\w+\s*:[^=]*\{/) != nil
            if depth == 1 && lines[j].firstMatch(of: storedDecl) != nil && !computed && !c.contains("static ") { count += 1 }
            depth += depthChange(lines[j])
        }
        return count
    }

    static func bigTypes() throws -> [Unit] {
        let decl = /^\s*(?:@\w+\s+)*(?:(?:public|package|private|fileprivate|internal|final)\s+)*(?:struct|class|enum|actor)\s+(\w+)/
        var out: [Unit] = []
        for (file, lines) in try sourceFiles() {
            for (i, line) in lines.enumerated() {
                guard let m = line.firstMatch(of: decl), let count = storedProperties(lines, at: i) else { continue }
                let doc = lines[Swift.max(0, i - 10)..<i].filter { $0.contains("///") }.joined(separator: " ")
                if count > maxStoredProperties && !doc.contains("stored propert") && !doc.contains("One stored property") {
                    out.append(Unit(file: file, line: i + 1, name: String(m.1), size: count))
                }
            }
        }
        return out
    }

    @Test func noFunctionIsOver80Lines() throws {
        let long = try Self.longFunctions()
        #expect(long.isEmpty, "\(long)")
    }

    @Test func noTypeIsOver20StoredPropertiesWithoutSayingWhy() throws {
        let big = try Self.bigTypes()
        #expect(big.isEmpty, "\(big)")
    }

    /// The scan sees what it is looking for, so a scan that found nothing cannot pass by
    /// seeing nothing: stored properties counted, computed and static ones and a nested
    /// type's not; a body's length to its closing brace.
    @Test func theScanCountsWhatItShould() throws {
        let lines = ["struct Flat {"] + (0..<21).map { "    var f\($0): Int" }
            + ["    var computed: Int { 1 }", "    static let shared = 0", "    struct Inner {", "        let x: Int", "    }",
               "    func f() {", "        let local = 1", "    }", "}"]
        #expect(Self.storedProperties(lines, at: 0) == 21)
        #expect(Self.bodyEnd(lines, from: 0) == lines.count - 1)
        #expect(Self.bodyEnd(lines, from: lines.count - 4) == lines.count - 2)
    }
}
