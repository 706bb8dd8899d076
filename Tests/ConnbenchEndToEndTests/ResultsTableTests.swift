import Foundation
import Testing

/// `Benchmarks/results-table.py` over a temporary Results folder: one real run's
/// report.json and fingerprint.txt (Fixtures/results-table/reference-small: `--netns`, a
/// 100-port range, `--rate 500 --duration 400ms`, so it holds an errno and an onset) and
/// one folder of the older format (summary.csv only). Light: no run, three python3 calls.
@Suite struct ResultsTableTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let fixture = repoRoot + "/Tests/ConnbenchEndToEndTests/Fixtures/results-table/reference-small"

    /// Runs the table script with `arguments`, with a hard limit; status and stdout + stderr.
    static func script(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["30", "python3", repoRoot + "/Benchmarks/results-table.py"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func tableRowsFromAReportAndAnOlderFolder() throws {
        let fm = FileManager.default
        let results = TestSupport.temporaryDirectory()
        defer { try? fm.removeItem(atPath: results) }
        try fm.createDirectory(atPath: results, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Self.fixture, toPath: results + "/reference-small")
        try fm.createDirectory(atPath: results + "/reference-old", withIntermediateDirectories: true)
        try """
        started_at,kernel,requested_rate,achieved_rate,established_per_s,failed,timed_out,p50_us,p99_us,p999_us,connect_call_p99_us,first_error,first_error_call,onset_signal,onset_s,onset_attempt,netns,sysctls
        2026-11-25T09:44:00Z,6.18.44-fc-v669,20000.0,19990.4,19990.4,0,0,57.4,239.0,1870.2,42.4,,,,,,false,

        """.write(toFile: results + "/reference-old/summary.csv", atomically: true, encoding: .utf8)
        let readme = "# Results\n\nbefore\n\n<!-- table:begin -->\nstale\n<!-- table:end -->\n\nafter\n"
        try readme.write(toFile: results + "/README.md", atomically: true, encoding: .utf8)

        #expect(try Self.script(["--results", results, "--check"]).status == 1)  // "stale" is not current
        let wrote = try Self.script(["--results", results])
        #expect(wrote.status == 0, "\(wrote.output)")
        let text = try String(contentsOfFile: results + "/README.md", encoding: .utf8)
        let lines = text.components(separatedBy: "\n")

        #expect(text.hasPrefix("# Results\n\nbefore\n\n<!-- table:begin -->\n| run | command | requested/s |"))
        #expect(text.hasSuffix("<!-- table:end -->\n\nafter\n"))
        #expect(!text.contains("stale"))
        let small = try #require(lines.first { $0.hasPrefix("| [reference-small]") })
        #expect(small == "| [reference-small](reference-small/) | connbench --netns --sysctl 'net.ipv4.ip_local_port_range=40000 40099' --sysctl net.ipv4.tcp_tw_reuse=0 --rate 500 --duration 400ms | 500 | 500 | 250 | 74.4 | 142 | 2,148 | 54.6 | 100 (EADDRNOTAVAIL from connect) | EADDRNOTAVAIL (connect) at 0.20 s, attempt 101 | rate held: 500/s of 500/s requested, 0.5% of starts more than 1000 µs late; failures: 100 attempts (50.0%) failed: ephemeral port exhaustion (EADDRNOTAVAIL × 100) | 2× AMD EPYC, 24 GiB, docker/KVM, 6.18.44-fc-v1045, load 4.38, 13% busy before | 587adfafe970 | 2026-12-01 21:15Z |")
        let old = try #require(lines.first { $0.hasPrefix("| [reference-old]") })
        #expect(old == "| [reference-old](reference-old/) | (no report.json: older format) | 20,000 | 19,990 | 19,990 | 57.4 | 239 | 1,870 | 42.4 | 0 | none | – | kernel 6.18.44-fc-v669 (no fingerprint.txt) | – | 2026-11-25 09:44Z |")
        // Runs (with report.json or summary.csv) come in name order; a second pass changes nothing.
        #expect(lines.firstIndex(of: old)! < lines.firstIndex(of: small)!)
        #expect(try Self.script(["--results", results, "--check"]).status == 0)
    }
}
