import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Testing

extension HeavySuites {
    @Suite(.serialized)
    struct ReportFormatTests {
        static func sampleReport() throws -> RunReport {
            let port = try TestSupport.closedPort()
            var lc = ListenerConfig()
            lc.threads = 1
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .fixed(perSecond: 400), duration: "1s")
            c.targets = [listener.address, SocketAddress(ip: "127.0.0.1", port: port)!]
            c.intervalNs = 250_000_000
            return try BenchmarkRunner.run(c)
        }

        @Test func summaryCSVHasTheDocumentedHeaderAndOneParsableRow() throws {
            let r = try Self.sampleReport()
            let rows = CSV.parse(CSVReporter.summary(r))
            #expect(rows.count == 2)
            let header = rows[0]
            for required in ["requested_rate", "achieved_rate", "established_per_s", "attempts", "established", "failed",
                             "timed_out", "in_flight", "duration_s", "workers", "concurrency", "close", "p50_us", "p90_us",
                             "p99_us", "p999_us", "p9999_us", "max_us", "service_p50_us", "service_p99_us",
                             "connect_call_p50_us", "connect_call_p99_us", "first_error", "first_error_s", "first_error_attempt"] {
                #expect(header.contains(required), "missing column \(required)")
            }
            #expect(rows[1].count == header.count)
            let row = Dictionary(uniqueKeysWithValues: zip(header, rows[1]))
            #expect(Double(row["requested_rate"]!) == 400)
            #expect(UInt64(row["attempts"]!) == r.tally.attempts)
            let parts = ["established", "failed", "timed_out", "in_flight"].map { UInt64(row[$0]!)! }
            #expect(parts.reduce(0, +) == UInt64(row["attempts"]!)!)
            for numeric in ["achieved_rate", "p50_us", "p99_us", "max_us", "duration_s", "first_error_s"] {
                #expect(Double(row[numeric]!) != nil, "\(numeric)=\(row[numeric]!) is not a number")
            }
            #expect(row["first_error"] == "ECONNREFUSED")
            #expect(UInt64(row["first_error_attempt"]!) != nil)
        }

        @Test func errorsAndTimeseriesCSVParseAndAddUp() throws {
            let r = try Self.sampleReport()
            let errors = CSV.parse(CSVReporter.errors(r))
            #expect(errors[0] == ["errno", "call", "count", "first_s", "first_attempt"])
            let failed = errors.dropFirst().filter { $0[1] != "timeout" }.reduce(UInt64(0)) { $0 + UInt64($1[2])! }
            #expect(failed == r.tally.failed)
            let series = CSV.parse(CSVReporter.timeseries(r))
            let header = series[0]
            #expect(header.starts(with: CSVReporter.timeseriesColumns))
            #expect(header.contains("err_ECONNREFUSED"))
            let started = header.firstIndex(of: "started")!
            let total = series.dropFirst().reduce(UInt64(0)) { $0 + UInt64($1[started])! }
            #expect(total == r.tally.attempts + r.warmup.attempts)
            #expect(series.count - 1 == 4, "four 250 ms intervals in a 1 s run")
        }

        @Test func textReportCarriesConfigurationPercentilesErrorsAndVerdict() throws {
            let r = try Self.sampleReport()
            let text = TextReporter.render(r)
            #expect(text.contains("rate=400"))
            #expect(text.contains("concurrency="))
            #expect(text.contains("p99.99"))
            #expect(text.contains("connect() call"))
            #expect(text.contains("ECONNREFUSED"))
            let verdicts = text.split(separator: "\n").filter { $0.hasPrefix("verdict: ") }
            #expect(verdicts.count == 1)
        }

        @Test(arguments: [
            ("plain", "plain"), ("with,comma", "\"with,comma\""), ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ])
        func csvFieldsAreQuotedOnlyWhenNeeded(raw: String, quoted: String) {
            #expect(CSV.field(raw) == quoted)
            #expect(CSV.parse(CSV.row([raw, "x"])) == [[raw, "x"]])
        }
    }
}
