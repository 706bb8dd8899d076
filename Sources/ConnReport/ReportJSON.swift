import FoundationEssentials
import Histogram
import ConnModel

/// `report.json`: a run's report as one versioned JSON document (schema in
/// docs/report-schema.md and docs/report.schema.json).
///
/// Two parts. `summary` is the stable contract for tools: snake_case names with units in
/// them (`_us`, `_per_s`, `_s`), derived from the report and never read back. `run` is the
/// typed ``RunReport`` itself, every field the text, CSV and HTML reporters read, with each
/// histogram as HdrHistogram's V2 encoding in base64 — so a saved run re-renders byte for
/// byte (`connbench report`) and merges exactly (`connbench merge`) without re-running.
/// Field names in `run` follow the Swift source; a change to them bumps the schema.
package enum ReportJSON {
    package static let schema = "connbench.report/1"

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package static func render(_ r: RunReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.userInfo[HistogramTextCoding.key] = V2Codec()
        let doc = Document(schema: schema, tag: r.setup.config.tag, mergedFrom: r.mergedFrom, summary: Summary(r), run: r)
        do {
            return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
        } catch {
            preconditionFailure("a report always encodes: \(error)")
        }
    }

    /// The report back from `report.json`; one line saying what is wrong otherwise.
    package static func parse(_ text: String) throws(Failure) -> RunReport {
        struct Head: Decodable { var schema: String? }
        let data = Data(text.utf8)
        let head: Head
        do { head = try JSONDecoder().decode(Head.self, from: data) } catch { throw Failure(description: "not a JSON object") }
        guard let s = head.schema, s == schema else {
            throw Failure(description: "schema '\(head.schema ?? "none")', expected '\(schema)'")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.userInfo[HistogramTextCoding.key] = V2Codec()
        let report: RunReport
        do {
            report = try decoder.decode(Document.self, from: data).run
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw Failure(description: "missing \(path(ctx.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw Failure(description: "wrong type at \(path(ctx.codingPath))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw Failure(description: "null at \(path(ctx.codingPath))")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw Failure(description: "bad value at \(path(ctx.codingPath)): \(ctx.debugDescription)")
        } catch {
            throw Failure(description: "\(error)")
        }
        try ReportReadCheck.check(data, report)
        return report
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
    }

    /// V2 encoding, compressed, base64: the `Interval_Compressed_Histogram` of an hlog line.
    struct V2Codec: HistogramTextCodec {
        func encode<C>(_ h: Histogram<C>) -> String { HdrHistogramEncoding.base64(h) }

        /// Only connbench's own layouts, and counts that fit the field's count type.
        func decode<C>(_ text: String, as: C.Type) throws -> Histogram<C> {
            let wide = try HdrHistogramEncoding.decode(base64: text)
            guard LatencyHistogram.isOwnLayout(wide, countsOf: C.self) else {
                throw HdrHistogramEncoding.Failure(description: "a histogram of lowest \(wide.lowestDiscernibleValue), highest \(wide.highestTrackableValue), \(wide.numberOfSignificantValueDigits.rawValue) digits: not a layout connbench writes")
            }
            if let same = wide as? Histogram<C> { return same }
            guard wide.recordedValues().allSatisfy({ $0.count <= UInt64(C.max) }) else {
                throw HdrHistogramEncoding.Failure(description: "a count past \(C.max), the most this histogram holds in one bucket")
            }
            var h = Histogram<C>(lowestDiscernibleValue: wide.lowestDiscernibleValue, highestTrackableValue: wide.highestTrackableValue,
                                 numberOfSignificantValueDigits: wide.numberOfSignificantValueDigits)
            for iv in wide.recordedValues() { h.record(iv.value, count: C(iv.count)) }
            return h
        }
    }

    struct Document: Codable {
        var schema: String
        var tag: String
        var mergedFrom: [String]
        var summary: Summary
        var run: RunReport

        enum CodingKeys: String, CodingKey {
            case schema, tag, mergedFrom = "merged_from", summary, run
        }

        init(schema: String, tag: String, mergedFrom: [String], summary: Summary, run: RunReport) {
            self.schema = schema; self.tag = tag; self.mergedFrom = mergedFrom; self.summary = summary; self.run = run
        }

        /// `summary` is derived: read past, never trusted over `run`.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            schema = try c.decode(String.self, forKey: .schema)
            tag = try c.decode(String.self, forKey: .tag)
            mergedFrom = try c.decode([String].self, forKey: .mergedFrom)
            run = try c.decode(RunReport.self, forKey: .run)
            summary = Summary(run)
        }
    }
}
