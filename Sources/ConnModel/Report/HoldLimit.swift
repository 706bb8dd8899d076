/// The limit that stopped the build-up first, with the evidence.
public struct HoldLimitFinding: Sendable, Codable, Equatable {
    public var limit: String
    public var evidence: String

    public init(limit: String, evidence: String) { self.limit = limit; self.evidence = evidence }
}
