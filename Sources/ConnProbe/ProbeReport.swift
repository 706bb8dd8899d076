/// One scenario's result: what ran, what Linux returned, and the verdict.
public struct ProbeRow: Sendable {
    public let scenarioID: String
    public let errnoName: String
    public let primary: Bool
    public let referenceDescription: String
    public let scenario: String
    public let outcome: ProbeOutcome
    public let detail: String
    public let elapsedNs: UInt64
    /// The call under test alone, where the scenario timed it.
    public let callNs: UInt64?
    public let verdict: ProbeVerdict
    /// What Linux does instead, or why not (empty when reproduced).
    public let note: String
}

/// Everything `connbench probe` found; the renderers are pure functions of this value.
public struct ProbeReport: Sendable {
    public let kernel: String
    /// Primary rows first in the reference page's order, each followed by its related rows.
    public let rows: [ProbeRow]
    public let behaviours: [ProbeBehaviourResult]
    public let elapsedNs: UInt64

    /// One row per errno of the reference page's table.
    public var primaryRows: [ProbeRow] { rows.filter(\.primary) }
    public var relatedRows: [ProbeRow] { rows.filter { !$0.primary } }

    public func count(_ verdict: ProbeVerdict) -> Int {
        primaryRows.filter { $0.verdict == verdict }.count
    }
}
