import Foundation
import Testing

/// Every syscall goes through ConnSys's one wrapper, so that every errno is a typed value
/// and EINTR is retried in one place. ConnProbe is the exception: it provokes errors with
/// deliberately bad calls (a bad pointer, descriptor -1) that no wrapper should accept.
struct SyscallWrapperTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path + "/Sources"

    /// The calls the rule names: a target calling one of these itself bypasses the wrapper.
    static let calls = ["socket", "connect", "bind", "setsockopt", "ioctl", "open", "read"]
    static let exempt = ["ConnSys", "ConnProbe"]

    /// `name(` as a free function (not `.name(`, not `func name(`, not a longer name),
    /// outside string literals and comments.
    static func rawCalls(in line: Substring) -> [String] {
        var code = line
        if let comment = code.range(of: "//") { code = code[..<comment.lowerBound] }
        let text = String(code).replacing(/"(?:[^"\\]|\\.)*"/, with: "\"\"")
        if text.contains("func ") { return [] }
        return calls.filter { name in
            text.matches(of: try! Regex("(^|[^.\\w])(Glibc\\.)?\(name)\\(")).contains { _ in true }
        }
    }

    @Test func noTargetButConnSysCallsTheKernelDirectly() throws {
        let fm = FileManager.default
        var offenders: [String] = []
        let targets = try fm.contentsOfDirectory(atPath: Self.sources).filter { !$0.hasPrefix("C") || $0.hasPrefix("Conn") }
        for target in targets where !Self.exempt.contains(target) {
            guard let walker = fm.enumerator(atPath: Self.sources + "/" + target) else { continue }
            for case let file as String in walker where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: Self.sources + "/\(target)/\(file)", encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    for call in Self.rawCalls(in: line) { offenders.append("\(target)/\(file):\(n + 1): \(call)(") }
                }
            }
        }
        #expect(targets.contains("ConnEngine") && targets.contains("ConnReport"))
        #expect(offenders.isEmpty, "raw syscalls outside ConnSys: \(offenders)")
    }

    /// The scanner itself: it must see a raw call, and not a method or a declaration.
    @Test(arguments: [
        ("let fd = open(path, O_RDONLY)", ["open"]),
        ("_ = try syscall { Glibc.connect(fd, sa, len) }", ["connect"]),
        ("driver.connect(fd, to: target)", []),
        ("func read(_ buffer: inout [UInt8]) {", []),
        ("let s = \"socket(\" // open(", []),
        ("threadCount(3)", []),
    ])
    func theScannerSeesRawCallsOnly(line: String, found: [String]) {
        #expect(Self.rawCalls(in: line[...]) == found)
    }
}
