/// Text, CSV and JSON views of a probe report: pure functions of the value.
package enum ProbeRender {
    // MARK: text

    package static func text(_ r: ProbeReport) -> String {
        var out = "connbench probe: the connect() error table of the AIX reference page against Linux \(r.kernel)\n\n"
        out += tableHeader()
        for row in r.primaryRows { out += textRow(row) }
        if !r.relatedRows.isEmpty {
            out += "\nrelated scenarios\n"
            out += tableHeader()
            for row in r.relatedRows { out += textRow(row) }
        }
        out += "\nbehaviours\n"
        for b in r.behaviours {
            out += "  \(b.id): \(b.holds ? "holds" : "DOES NOT HOLD") - \(b.summary)\n"
            out += "      \(b.detail)\n"
        }
        let counts = ProbeVerdict.allCases.compactMap { v -> String? in
            let n = r.count(v)
            return n == 0 ? nil : "\(n) \(v.rawValue)"
        }
        out += "\n\(r.primaryRows.count) errors in the table: \(counts.joined(separator: ", ")); probe took \(seconds(r.elapsedNs)) s\n"
        return out
    }

    static let widths = (errno: 18, observed: 15, call: 12, verdict: 14)

    static func tableHeader() -> String {
        pad("errno", widths.errno) + pad("observed", widths.observed) + pad("call", widths.call)
            + pad("verdict", widths.verdict) + "scenario\n"
    }

    static func textRow(_ row: ProbeRow) -> String {
        var line = pad(row.primary ? row.errnoName : row.scenarioID, widths.errno)
            + pad(row.outcome.observedText, widths.observed)
            + pad(row.outcome.callText, widths.call)
            + pad(row.verdict.rawValue, widths.verdict)
            + row.scenario + "\n"
        let indent = String(repeating: " ", count: widths.errno)
        if row.primary { line += indent + "reference: " + row.referenceDescription + "\n" }
        if !row.detail.isEmpty { line += indent + "saw: " + row.detail + "\n" }
        if !row.note.isEmpty { line += indent + "why: " + row.note + "\n" }
        return line
    }

    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.count
        return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
    }

    static func seconds(_ ns: UInt64) -> String {
        let centis = Int((Double(ns) / 10_000_000).rounded())
        let frac = centis % 100
        return "\(centis / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    // MARK: CSV

    package static let csvHeader = ["errno", "verdict", "observed", "call", "scenario"]

    /// One row per errno of the reference page's table (its primary scenario).
    package static func csv(_ r: ProbeReport) -> String {
        var out = csvLine(csvHeader)
        for row in r.primaryRows {
            out += csvLine([row.errnoName, row.verdict.rawValue, row.outcome.observedText, row.outcome.callText, row.scenario])
        }
        return out
    }

    static func csvLine(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + f.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
                : f
        }.joined(separator: ",") + "\n"
    }

    // MARK: JSON

    package static func json(_ r: ProbeReport) -> String {
        var out = "{\n"
        out += "  \"kernel\": \(q(r.kernel)),\n"
        out += "  \"elapsed_s\": \(seconds(r.elapsedNs)),\n"
        out += "  \"rows\": [\n"
        out += r.rows.map { row in
            var fields: [String] = [
                "\"id\": \(q(row.scenarioID))",
                "\"errno\": \(q(row.errnoName))",
                "\"primary\": \(row.primary)",
                "\"reference_description\": \(q(row.referenceDescription))",
                "\"scenario\": \(q(row.scenario))",
                "\"verdict\": \(q(row.verdict.rawValue))",
                "\"observed\": \(q(row.outcome.observedText))",
                "\"call\": \(q(row.outcome.callText))",
                "\"detail\": \(q(row.detail))",
                "\"note\": \(q(row.note))",
            ]
            fields.append("\"elapsed_ms\": \(seconds(row.elapsedNs * 1000))")
            if let call = row.callNs { fields.append("\"call_ms\": \(seconds(call * 1000))") }
            return "    {" + fields.joined(separator: ", ") + "}"
        }.joined(separator: ",\n")
        out += "\n  ],\n"
        out += "  \"behaviours\": [\n"
        out += r.behaviours.map { b in
            "    {\"id\": \(q(b.id)), \"holds\": \(b.holds), \"summary\": \(q(b.summary)), \"detail\": \(q(b.detail))}"
        }.joined(separator: ",\n")
        out += "\n  ]\n}\n"
        return out
    }

    /// A JSON string literal.
    static func q(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
