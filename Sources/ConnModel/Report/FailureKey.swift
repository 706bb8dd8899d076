import ConnSys
import SystemPackage

/// What a failure count is keyed by: the errno a call returned, or connbench's own
/// per-connect timeout. The kernel's ETIMEDOUT (a connect whose SYN retries ran out) and a
/// timeout connbench enforced are different findings, so they never share a key.
///
/// Saved as the text it prints ("EADDRNOTAVAIL", "timeout"), so a JSON count table is an
/// object keyed by name. A saved "ETIMEDOUT" reads back as the errno: the text alone
/// cannot say whose timeout it was.
package enum FailureKey: Hashable, Sendable, Comparable, CustomStringConvertible, CodingKeyRepresentable, Codable {
    case errno(Errno)
    case timeout

    /// The row of an error table: a timeout is its own key whatever errno it carries.
    package init(_ row: ErrorRow) {
        self = row.site == .timeout ? .timeout : .errno(Errno(rawValue: row.errno))
    }

    /// Parses what ``description`` prints; nil for a name that is neither.
    package init?(name: String) {
        if name == SyscallSite.timeout.description { self = .timeout; return }
        if let e = Errno(name: name) { self = .errno(e); return }
        guard name.hasPrefix("E"), let v = Int32(name.dropFirst()), v >= 0 else { return nil }
        self = .errno(Errno(rawValue: v))
    }

    package var description: String {
        switch self {
        case .errno(let e): e.name
        case .timeout: SyscallSite.timeout.description
        }
    }

    package static func < (a: Self, b: Self) -> Bool { a.description < b.description }

    package var codingKey: any CodingKey { Name(stringValue: description) }

    package init?<T: CodingKey>(codingKey: T) { self.init(name: codingKey.stringValue) }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let key = FailureKey(name: name) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an errno name or 'timeout': \(name)")
        }
        self = key
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Failure counts by key, in the order a table shows them: most first, then by name.
package typealias FailureCounts = [FailureKey: UInt64]

extension Dictionary where Key == FailureKey, Value == UInt64 {
    /// The counts, most first; ties by name so that the order is stable.
    package var byCount: [(key: FailureKey, count: UInt64)] {
        sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { (key: $0.key, count: $0.value) }
    }
}
