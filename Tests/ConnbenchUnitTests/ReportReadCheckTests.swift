import ConnCLI
import ConnModel
import ConnSys
import ConnStudies
import Foundation
import Histogram
import Testing
@testable import ConnReport

/// A saved report or log whose values connbench could not have written is refused with a
/// line naming the field — never a trap later, in a sum, a conversion or a histogram add.
/// The base is a real run's report.json (the fuzzer's seed).
struct ReportReadCheckTests {
    static let seed = FuzzCorpusTests.corpus + "/report-json/run-1.json"

    static func edited(_ edit: (inout [String: Any]) throws -> Void) throws -> String {
        let data = try #require(FileManager.default.contents(atPath: seed))
        var doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var run = try #require(doc["run"] as? [String: Any])
        try edit(&run)
        doc["run"] = run
        return String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self)
    }

    static func refusal(_ text: String) -> String? {
        do { _ = try ReportJSON.parse(text); return nil } catch { return error.description }
    }

    /// The reference runs committed in Results/ are what a new user tries
    /// `connbench report` on first; a change to report.json refreshes them.
    @Test func everyCommittedReferenceRunReadsBack() throws {
        let results = URL(fileURLWithPath: FuzzCorpusTests.corpus).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Results").path
        let folders = try FileManager.default.contentsOfDirectory(atPath: results).filter { !$0.hasPrefix("20") }.sorted()
        var read = 0
        for folder in folders {
            guard let data = FileManager.default.contents(atPath: results + "/" + folder + "/report.json") else { continue }
            do { _ = try ReportJSON.parse(String(decoding: data, as: UTF8.self)); read += 1 } catch {
                Issue.record("Results/\(folder)/report.json: \(error.description)")
            }
        }
        #expect(read >= 8)
    }

    @Test func theSeedReadsBack() throws {
        let r = try ReportJSON.parse(try Self.edited { _ in })
        #expect(r.tally.isBalanced && r.tally.attempts > 0)
    }

    @Test(arguments: [
        ("attempts", 1 << 60, ".run.tally.attempts is 11529215046068"),
        ("failed", 3, ".run.tally: attempts"),
    ] as [(String, Int, String)])
    func tallyValuesItCannotHaveWrittenAreRefused(field: String, value: Int, said: String) throws {
        let text = try Self.edited { run in
            var tally = try #require(run["tally"] as? [String: Any])
            tally[field] = (tally[field] as? Int ?? 0) + value
            run["tally"] = tally
        }
        let refusal = try #require(Self.refusal(text))
        #expect(refusal.hasPrefix(said) && refusal.split(separator: "\n").count == 1, "\(refusal)")
    }

    /// A Double a report holds may be anything JSON can say; every file still renders.
    /// (`holdSeconds` "nan" trapped in an Int conversion of the port budget's line.)
    @Test(arguments: ["nan", "inf", "-inf", 1e308, -1e308] as [any Sendable])
    func portBudgetFiguresOfAnyDoubleRender(value: any Sendable) throws {
        let text = try Self.edited { run in
            var budget = try #require(run["portBudget"] as? [String: Any])
            for key in ["holdSeconds", "rate", "sustainableRate", "cheapRate"] { budget[key] = value }
            run["portBudget"] = budget
        }
        let r = try ReportJSON.parse(text)
        let files = RunFiles.files(for: r)
        #expect(files.contains { $0.name == "summary.txt" && $0.contents.contains("port budget") })
    }

    /// Clocks since the epoch are the integers above the limit a report holds (a run
    /// started with --start-at keeps its agreed start in ns).
    @Test func epochClocksAreNotCounts() throws {
        let text = try Self.edited { run in
            var setup = try #require(run["setup"] as? [String: Any]), config = try #require(setup["config"] as? [String: Any])
            config["startAtEpochNs"] = 1_796_615_944_000_000_000
            setup["config"] = config
            run["setup"] = setup
        }
        #expect(Self.refusal(text) == nil)
    }

    @Test func anIntervalOfZeroIsRefused() throws {
        let text = try Self.edited { run in
            var setup = try #require(run["setup"] as? [String: Any]), config = try #require(setup["config"] as? [String: Any])
            config["intervalNs"] = 0
            setup["config"] = config
            run["setup"] = setup
        }
        #expect(Self.refusal(text) == ".run.setup.config.intervalNs is 0: a time series needs an interval")
    }

    /// A histogram connbench never writes would trap when merged with one it does.
    @Test func aHistogramOfAnotherLayoutIsRefused() throws {
        var foreign = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 1000, numberOfSignificantValueDigits: .two)
        foreign.record(10)
        let text = try Self.edited { run in
            var h = try #require(run["histograms"] as? [String: Any])
            h["latency"] = HdrHistogramEncoding.base64(foreign)
            run["histograms"] = h
        }
        let refusal = try #require(Self.refusal(text))
        #expect(refusal.hasPrefix("bad value at .run.histograms.latency") && refusal.contains("not a layout connbench writes"), "\(refusal)")
    }

    /// A run of zeros of -2^63 (negating it traps) and counts past the limits.
    @Test func encodedCountsPastTheArrayOrTheLimitsAreRefused() throws {
        let empty = HdrHistogramEncoding.encode(LatencyHistogram.make())
        for payload in [Int64.min, -(1 << 40), 1 << 53] {
            var bytes = Array(empty.prefix(HdrHistogramEncoding.headerSize))
            var body: [UInt8] = []
            HdrHistogramEncoding.putZigZag(&body, payload)
            if payload > 0 { body = [2] + body }  // index 1 (value 1), then the count
            bytes.replaceSubrange(4..<8, with: withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init))
            #expect(throws: HdrHistogramEncoding.Failure.self) { try HdrHistogramEncoding.decode(bytes + body) }
        }
    }

    /// Runs whose sums would not fit, or that cannot be put on one clock, are refused.
    @Test func mergesThatCouldNotBeAddedUpAreRefused() throws {
        let r = try ReportJSON.parse(try Self.edited { _ in })
        func copy(_ k: Int) -> RunReport {
            var c = r
            c.identity = RunIdentity(id: String(repeating: String(k % 10), count: 30) + String(format: "%02d", k), host: "h", bootID: "b", pid: Int32(k), startEpochNs: 0)
            return c
        }
        let many = (0...ReadLimits.maxParts).map(copy)
        #expect(throws: RunMerge.Failure.self) { try RunMerge.merge(many) }
        #expect(throws: Never.self) { try RunMerge.merge(Array(many.prefix(2))) }
        var late = copy(99)
        late.intervalHistograms?.startEpochMs += 3_000_000_000_000
        let said = try #require(throws: RunMerge.Failure.self) { try RunMerge.merge([copy(0), late]) }
        #expect(said.description.contains("merge runs made at once"), "\(said)")
    }

    @Test func logLinesOfNonFiniteTimesAreRefused() throws {
        let h = HdrHistogramEncoding.base64(LatencyHistogram.makeLogInterval())
        for line in ["nan,1.0,0.0,\(h)", "0.0,inf,0.0,\(h)", "-1,1.0,0.0,\(h)"] {
            #expect(throws: HistogramLogReader.Failure.self) { try HistogramLogReader.parse(line + "\n") }
        }
        let mixed = try HistogramLogReader.parse("0.0,1.0,0.0,\(h)\n1.0,1.0,0.0,\(HdrHistogramEncoding.base64(LatencyHistogram.make()))\n")
        #expect(mixed.entries.count == 2 && mixed.merged(tag: nil) == nil, "intervals of two layouts do not add up")
    }

    /// A remote listener's stats are outside input too: counters of any value give a
    /// difference (modular, as the kernel's are), never an overflow trap.
    @Test func listenerStatsOfAnyCounterValuesRender() throws {
        let text = #"{"accepted":5,"address":"127.0.0.1:8080","closed":5,"closedOverHoldLimit":0,"heldNow":0,"heldPeak":1,"mode":"wait-fin","counters":[{"after":9223372036854775807,"before":-9223372036854775808,"name":"TcpExt.ListenOverflows"}]}"#
        let after = try #require(ListenerStatsClient.decode(Array(text.utf8)))
        var before = after
        before.counters[0].after = -1
        let at = try #require(SocketAddress(ip: "127.0.0.1", port: 9100))
        #expect(ListenerStatsClient.render(before: before, after: after, from: at).contains("TcpExt.ListenOverflows -9223372036854775808"))
        #expect(after.keyValues.contains { $0.key == "TcpExt.ListenOverflows" && $0.value == "-1" })
    }
}
