import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Histogram
import Testing

extension HeavySuites {
    /// `latency.hlog` read by an independent decoder, HdrHistogram's Python package
    /// (`hdrh`, installed from PyPI when missing), gives the run's own figures: the same
    /// count, and min, max, p50, p99 and p99.9 within the log's precision.
    @Suite(.serialized)
    struct HistogramLogPythonTests {
        static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path

        /// Runs a bash line with a hard limit; returns its status and stdout + stderr.
        static func bash(_ line: String, limitSeconds: Int) throws -> (status: Int32, output: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            p.arguments = ["\(limitSeconds)", "/bin/bash", "-c", line + " 2>&1"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// The log's histograms' precision: one bucket of 2 significant digits at the
        /// larger value, plus 50 ns for the run's own figures printed to 0.1 µs.
        static func sameWithinLogPrecision(_ a: UInt64, _ b: UInt64) -> Bool {
            let bucket = LatencyHistogram.makeLogInterval().sizeOfEquivalentRangeForValue(Swift.max(a, b))
            return (a > b ? a - b : b - a) <= bucket + 50
        }

        /// The value at a 1-based rank: for where `hdrh` rounds a percentile's rank to the
        /// nearest count and hdrhistogram-swift up (they differ by one count at most).
        static func value<C>(_ h: Histogram<C>, rank: UInt64) -> UInt64 {
            var total: UInt64 = 0
            for iv in h.recordedValues() {
                total += UInt64(iv.count)
                if total >= rank { return iv.value }
            }
            return h.max
        }

        struct PercentileFile {
            var min: UInt64, max: UInt64, count: UInt64
            /// `Value` of the first row at or past percentile 0.5, in ns.
            var p50: UInt64
        }

        /// Reads an .hgrm (µs, 3 decimals, so exact to the nanosecond).
        static func percentileFile(_ path: String) throws -> PercentileFile {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var rows: [[String]] = []
            var max: UInt64 = 0, count: UInt64 = 0
            func ns(_ us: some StringProtocol) -> UInt64 { UInt64((Double(us)! * 1000).rounded()) }
            for line in text.split(separator: "\n") {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "]" })
                if line.hasPrefix("#[Max") { max = ns(f[2]); count = UInt64(f[6])! }
                else if !line.hasPrefix("#") && f.first != "Value" && f.count >= 3 { rows.append(f.map(String.init)) }
            }
            let p50 = try #require(rows.first { Double($0[1])! >= 0.5 })
            return PercentileFile(min: ns(rows[0][0]), max: max, count: count, p50: ns(p50[0]))
        }

        @Test(.timeLimit(.minutes(10)))
        func hlogDecodesWithPythonHdrhToTheRunsOwnFigures() throws {
            guard try TestSupport.ensurePython("hdrh", package: "hdrhistogram") else { return }
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let run = try TestSupport.run(["run", "--rate", "2000", "--duration", "1s", "--interval", "200ms",
                                           "--output", dir], timeLimit: 60)
            try #require(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("latency.hlog, latency-corrected.hgrm, latency-service.hgrm, latency-call.hgrm"))

            let script = Self.repoRoot + "/scripts/hlog-summary.py"
            let py = try Self.bash("python3 '\(script)' '\(dir)/latency.hlog' --hgrm '\(dir)/latency-corrected.hgrm'", limitSeconds: 120)
            try #require(py.status == 0, "\(py.output)")
            var decoded: [String: [String: String]] = [:]
            for line in py.output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard let tag = parts.first, parts.count > 1 else { continue }
                decoded[String(tag)] = Dictionary(uniqueKeysWithValues: parts.dropFirst().map { kv in
                    let p = kv.split(separator: "=", maxSplits: 1)
                    return (String(p[0]), String(p[1]))
                })
            }

            let csv = CSV.parse(try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8))
            let summary = Dictionary(uniqueKeysWithValues: zip(csv[0], csv[1]))
            func csvNs(_ key: String) -> UInt64 { UInt64((Double(summary[key]!)! * 1000).rounded()) }
            let ownLog = try HistogramLogReader.parse(try String(contentsOfFile: dir + "/latency.hlog", encoding: .utf8))

            let kinds: [(tag: String, file: String, csv: [(Double, String)])] = [
                ("corrected", "latency-corrected.hgrm", [(50, "p50_us"), (99, "p99_us"), (99.9, "p999_us")]),
                ("service", "latency-service.hgrm", [(50, "service_p50_us"), (99, "service_p99_us")]),
                ("call", "latency-call.hgrm", [(50, "connect_call_p50_us"), (99, "connect_call_p99_us")]),
            ]
            for kind in kinds {
                let py = try #require(decoded[kind.tag], "no \(kind.tag) line from hdrh: \(decoded)")
                let own = try Self.percentileFile(dir + "/" + kind.file)
                let count = UInt64(py["count"]!)!
                #expect(count == own.count, "\(kind.tag) count")
                #expect(count > 1000, "\(kind.tag): a 1 s run at 2000/s")
                #expect(py["intervals"] == "5", "\(kind.tag): 1 s in 200 ms intervals")
                #expect(Self.sameWithinLogPrecision(UInt64(py["min"]!)!, own.min), "\(kind.tag) min: hdrh \(py["min"]!) ns, run \(own.min) ns")
                #expect(Self.sameWithinLogPrecision(UInt64(py["max"]!)!, own.max), "\(kind.tag) max: hdrh \(py["max"]!) ns, run \(own.max) ns")
                let merged = try #require(ownLog.merged(tag: kind.tag))
                #expect(merged.totalCount == count)
                for (q, key) in kind.csv {
                    let label = q == 99.9 ? "p99.9" : "p\(Int(q))"
                    let got = UInt64(py[label]!)!
                    var expected = [csvNs(key)]
                    let nearestRank = Swift.max(1, UInt64(q * Double(count) / 100 + 0.5))
                    let upRank = Swift.max(1, UInt64((q.nextDown * Double(count) / 100).rounded(.up)))
                    if nearestRank != upRank { expected.append(Self.value(merged, rank: nearestRank)) }
                    #expect(expected.contains { Self.sameWithinLogPrecision(got, $0) },
                            "\(kind.tag) \(label): hdrh \(got) ns, run \(expected) ns")
                }
            }
            let hgrmMax = try Self.percentileFile(dir + "/latency-corrected.hgrm").max
            #expect((hgrmMax > csvNs("max_us") ? hgrmMax - csvNs("max_us") : csvNs("max_us") - hgrmMax) <= 50)

            // The corrected .hgrm's median row is the run's p50 (to the 0.1 µs the CSV prints).
            let hgrmP50 = try #require(py.output.split(separator: "\n").first { $0.hasPrefix("hgrm-p50=") })
            let hgrmP50Ns = UInt64((Double(hgrmP50.dropFirst(9))! * 1000).rounded())
            #expect((hgrmP50Ns > csvNs("p50_us") ? hgrmP50Ns - csvNs("p50_us") : csvNs("p50_us") - hgrmP50Ns) <= 50)
        }
    }
}
