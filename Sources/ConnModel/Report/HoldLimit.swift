/// The limit a hold's build-up ran into, as the errno (or the timeouts with listen
/// overflows) names it.
package enum HoldLimit: Sendable, Equatable, Codable, CustomStringConvertible {
    case descriptorsPerProcess
    case descriptorsSystem
    case ephemeralPorts
    case socketMemory
    case listenBacklog
    /// No limit the kernel names: the first failure as seen (an errno name, or timeouts
    /// without listen overflows).
    case unnamed(String)

    package static let named: [HoldLimit] = [.descriptorsPerProcess, .descriptorsSystem, .ephemeralPorts, .socketMemory, .listenBacklog]

    package var description: String {
        switch self {
        case .descriptorsPerProcess: "RLIMIT_NOFILE (per-process descriptors)"
        case .descriptorsSystem: "fs.file-max (system-wide descriptors)"
        case .ephemeralPorts: "ephemeral ports / 4-tuples"
        case .socketMemory: "tcp_mem / memory"
        case .listenBacklog: "somaxconn/listen backlog (connects timed out while ListenOverflows rose)"
        case .unnamed(let first): "no known limit (\(first))"
        }
    }

    /// Saved as its text, as the report has always shown it.
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let known = Self.named.first(where: { $0.description == text }) {
            self = known
        } else if text.hasPrefix("no known limit ("), text.hasSuffix(")") {
            self = .unnamed(String(text.dropFirst("no known limit (".count).dropLast()))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown hold limit \(text)"))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The limit that stopped the build-up first, with the evidence.
package struct HoldLimitFinding: Sendable, Codable, Equatable {
    package var limit: HoldLimit
    package var evidence: String

    package init(limit: HoldLimit, evidence: String) { self.limit = limit; self.evidence = evidence }
}
