/// The limit that stopped the build-up first, with the evidence.
package struct HoldLimitFinding: Sendable, Codable, Equatable {
    package var limit: String
    package var evidence: String

    package init(limit: String, evidence: String) { self.limit = limit; self.evidence = evidence }
}
