import ConnCLI
import ConnReport
import Foundation
import Testing

/// The README and the manual in docs/ against the code: links that resolve, command lines
/// that parse, every flag documented and every documented flag real, every CSV column
/// explained, and no dated history. Fast: one `--help` per command, no traffic.
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// README.md and every docs/*.md, path relative to the root → text.
    static let pages: [(path: String, text: String)] = {
        let docs = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return (["README.md"] + docs).map { ($0, (try? String(contentsOfFile: root + "/" + $0, encoding: .utf8)) ?? "") }
    }()

    /// Flags of other tools that the docs show in their commands (chromium, swift, kubectl).
    static let foreignFlags: Set<String> = [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot", "--window-size",
        "--allow-writing-to-package-directory", "--package-path", "--for", "--generate-completion-script",
    ]

    // MARK: links and shape

    @Test func theReadmeIsAFrontDoorThatLinksEveryPage() throws {
        let readme = try #require(Self.pages.first { $0.path == "README.md" }).text
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 250)
        for page in Self.pages where page.path.hasPrefix("docs/") {
            #expect(readme.contains("(" + page.path), "\(page.path) is not linked from README.md")
        }
        #expect(readme.contains("(docs/report.schema.json)"))
    }

    @Test func everyRelativeLinkResolves() {
        for page in Self.pages {
            let base = (page.path as NSString).deletingLastPathComponent
            for link in Self.links(in: page.text) where !link.contains("://") && !link.hasPrefix("#") && !link.hasPrefix("mailto:") {
                let file = String(link.split(separator: "#", maxSplits: 1).first ?? "")
                let path = (Self.root + "/" + (base.isEmpty ? "" : base + "/") + file as NSString).standardizingPath
                #expect(FileManager.default.fileExists(atPath: path), "\(page.path): link \(link) → \(path) does not exist")
            }
        }
    }

    /// Dates and issue numbers are history, which git keeps; an RFC 3339 time given as an
    /// example value (`2030-01-01T12:00:00Z`) is not a date of anything.
    @Test func noPageCarriesADateOrAnIssueNumber() throws {
        let date = try Regex(#"\b20\d\d-\d\d-\d\d(?!T)"#)
        let issue = try Regex(#"(?i)\bissue\s+#?\d+"#)
        for page in Self.pages {
            for (n, line) in page.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                #expect(line.firstMatch(of: date) == nil, "\(page.path):\(n + 1): \(line)")
                #expect(line.firstMatch(of: issue) == nil, "\(page.path):\(n + 1): \(line)")
            }
        }
    }

    // MARK: commands and flags

    /// Every `connbench …` line in a fenced block parses as the command line it shows.
    @Test func everyCommandLineInTheDocsParses() {
        var seen = 0
        for page in Self.pages {
            for line in Self.commandLines(in: page.text) {
                seen += 1
                do {
                    _ = try Connbench.parseAsRoot(Self.shellWords(line))
                } catch {
                    Issue.record("\(page.path): `\(line)` does not parse: \(Connbench.message(for: error))")
                }
            }
        }
        #expect(seen >= 20, "only \(seen) command lines found")
    }

    @Test func everyFlagInTheDocsIsInTheHelpAndTheOtherWayRound() throws {
        let help = try Self.helpFlags()
        var documented = Set<String>()
        for page in Self.pages { documented.formUnion(Self.flags(in: page.text)) }
        let unknown = documented.subtracting(help).subtracting(Self.foreignFlags)
        #expect(unknown.isEmpty, "in the docs but in no --help: \(unknown.sorted())")
        let undocumented = help.subtracting(documented).subtracting(["--help", "--version"])
        #expect(undocumented.isEmpty, "in --help but in no page: \(undocumented.sorted())")
    }

    /// Every column summary.csv and timeseries.csv can carry has its row in the table.
    @Test func everyCSVColumnIsExplained() throws {
        let page = try #require(Self.pages.first { $0.path == "docs/report-formats.md" }).text
        let cells = Set(page.split(separator: "\n").filter { $0.hasPrefix("| `") }
            .flatMap { row in row.split(separator: "|").first.map { String($0) }.map(Self.codeSpans) ?? [] })
        for column in CSVReporter.summaryColumns + CSVReporter.timeseriesColumns {
            #expect(cells.contains(column), "column \(column) has no row in docs/report-formats.md")
        }
    }

    // MARK: readers

    static func links(in text: String) -> [String] {
        text.matches(of: /\]\(([^)\s]+)\)/).map { String($0.output.1) }
    }

    static func codeSpans(_ text: String) -> [String] {
        text.matches(of: /`([^`]+)`/).map { String($0.output.1) }
    }

    /// `--name` tokens that start a word (not the tail of `a--b`).
    static func flags(in text: String) -> Set<String> {
        Set(text.matches(of: /(^|[^\w-])(--[a-z][a-z0-9-]*)/.anchorsMatchLineEndings()).map { String($0.output.2) })
    }

    /// Lines of fenced blocks that run connbench (`connbench …` or `$ connbench …`), with
    /// `\` continuations joined and comments dropped; lines with shell expansions are left
    /// out (their values exist only at run time).
    static func commandLines(in text: String) -> [String] {
        var out: [String] = []
        var inFence = false
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") { inFence.toggle(); pending = ""; continue }
            guard inFence else { continue }
            var l = pending.isEmpty ? line : pending + " " + line
            if l.hasSuffix("\\") { pending = String(l.dropLast()); continue }
            pending = ""
            if l.hasPrefix("$ ") { l.removeFirst(2) }
            guard l.hasPrefix("connbench ") || l == "connbench" else { continue }
            // A report's first line (`connbench sweep: rates=…`) is output, not a command.
            if l.split(separator: " ").dropFirst().first?.hasSuffix(":") == true { continue }
            if let hash = l.range(of: " #") { l = String(l[..<hash.lowerBound]) }
            if l.contains("$") || l.contains("…") || l.contains(">") { continue }
            out.append(l.trimmingCharacters(in: .whitespaces))
        }
        return out
    }

    /// Splits like a shell does for these lines: spaces, single and double quotes.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return Array(words.dropFirst())  // "connbench"
    }

    /// The flags of every command `connbench --help` lists, from each one's `--help`.
    static func helpFlags() throws -> Set<String> {
        let top = try TestSupport.run(["--help"], timeLimit: 30)
        var commands = [""]
        var inList = false
        for line in top.stdout.split(separator: "\n") {
            if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
            if inList, line.hasPrefix("  "), let name = line.split(separator: " ").first { commands.append(String(name)) }
            else if inList && !line.hasPrefix(" ") { inList = false }
        }
        var flags: Set<String> = ["--help"]  // listed as `-h, --help`
        for command in commands {
            let o = try TestSupport.run((command.isEmpty ? [] : [command]) + ["--help"], timeLimit: 30)
            flags.formUnion(Self.flags(in: o.stdout).filter { flag in
                // Usage and option lines only: help prose mentions flags of other commands.
                o.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(flag) }
            })
        }
        return flags
    }
}
