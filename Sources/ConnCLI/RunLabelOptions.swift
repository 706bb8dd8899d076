@preconcurrency import Glibc
import ArgumentParser
import ConnEngine
import ConnModel

/// `run`'s options for runs made to be merged: a name for each, and a common start.
/// Apart from ``RunOptions`` because `compare` and `sweep` share those and start many runs.
struct RunLabelOptions: ParsableArguments {
    @Option(help: "Name of this run in its report and in a `connbench merge` (letters, digits, . _ -; default: the host name).", transform: RunLabelOptions.parseTag)
    var tag: String?

    @Option(name: .customLong("start-at"), help: "Start measuring at this wall-clock time, RFC 3339 (2026-12-01T20:40:00Z) or Unix seconds, so generators on several hosts begin together.", transform: RunLabelOptions.parseStartAt)
    var startAt: UInt64?

    func apply(to config: inout RunConfig) {
        config.tag = tag ?? RunLabelOptions.hostName()
        config.startAtEpochNs = startAt
    }

    static func parseStartAt(_ text: String) throws -> UInt64 {
        do { return try StartAt.parse(text) } catch { throw ValidationError(error.description) }
    }

    static func parseTag(_ text: String) throws -> String {
        let ok = !text.isEmpty && text.count <= 64 && text.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        guard ok else { throw ValidationError("--tag '\(text)': use 1-64 letters, digits, '.', '_' or '-'") }
        return text
    }

    /// The default tag; `host` if the name does not make a valid tag.
    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "host" }
        let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (try? parseTag(name)) ?? "host"
    }
}
