import FoundationEssentials
import ConnModel

/// What a report.json must hold beyond its types to be one connbench could have written:
/// integers within ``ReadLimits`` (so that reporting and merging it cannot overflow), a
/// balanced account of attempts, and an interval to align its time series by. A file that
/// fails is refused with the field named; connbench never guesses a value for it.
enum ReportReadCheck {
    /// The only integers above ``ReadLimits/integer`` a report holds: clocks since the
    /// epoch (every such field is named `…EpochNs` or `…EpochMs`), and a descriptor limit
    /// that may be RLIM_INFINITY.
    static func unbounded(_ key: String) -> Bool {
        key.hasSuffix("EpochNs") || key.hasSuffix("EpochMs") || key == "openFilesLimit"
    }

    static func check(_ data: Data, _ report: RunReport) throws(ReportJSON.Failure) {
        let root: JSONNode
        do { root = try JSONDecoder().decode(JSONNode.self, from: data) } catch { throw ReportJSON.Failure(description: "not a JSON object") }
        if let (path, magnitude) = root.firstInteger(above: ReadLimits.integer, except: unbounded) {
            throw ReportJSON.Failure(description: "\(path) is \(magnitude): more than any run counts (at most 2^52)")
        }
        for (name, t) in [("tally", report.tally), ("warmup", report.warmup)] where !t.isBalanced {
            throw ReportJSON.Failure(description: ".run.\(name): \(t.imbalanceText)")
        }
        if report.setup.config.intervalNs == 0 {
            throw ReportJSON.Failure(description: ".run.setup.config.intervalNs is 0: a time series needs an interval")
        }
    }
}

/// A JSON document reduced to what the bounds check reads: its integers, by path.
indirect enum JSONNode: Decodable {
    case object([String: JSONNode])
    case array([JSONNode])
    case integer(magnitude: UInt64)
    case other

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let c = try? decoder.container(keyedBy: Key.self) {
            var fields: [String: JSONNode] = [:]
            for key in c.allKeys { fields[key.stringValue] = try c.decode(JSONNode.self, forKey: key) }
            self = .object(fields)
        } else if var c = try? decoder.unkeyedContainer() {
            var items: [JSONNode] = []
            while !c.isAtEnd { items.append(try c.decode(JSONNode.self)) }
            self = .array(items)
        } else {
            let c = try decoder.singleValueContainer()
            if let u = try? c.decode(UInt64.self) {
                self = .integer(magnitude: u)
            } else if let i = try? c.decode(Int64.self) {
                self = .integer(magnitude: i.magnitude)
            } else {
                self = .other
            }
        }
    }

    /// The path (`.run.tally.attempts`, `[3]`) and magnitude of the first integer above
    /// `limit`, in key order, skipping fields named in `except`.
    func firstInteger(above limit: UInt64, except: (String) -> Bool, at path: String = "") -> (String, UInt64)? {
        switch self {
        case .object(let fields):
            for key in fields.keys.sorted() where !except(key) {
                if let found = fields[key]?.firstInteger(above: limit, except: except, at: path + "." + key) { return found }
            }
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = item.firstInteger(above: limit, except: except, at: path + "[\(i)]") { return found }
            }
        case .integer(let magnitude):
            if magnitude > limit { return (path, magnitude) }
        case .other:
            break
        }
        return nil
    }
}
