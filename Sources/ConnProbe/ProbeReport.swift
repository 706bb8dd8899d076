/// One scenario's result: what ran, what Linux returned, and the verdict.
package struct ProbeRow: Sendable {
    package let scenarioID: String
    package let errnoName: String
    package let primary: Bool
    package let referenceDescription: String
    package let scenario: String
    package let outcome: ProbeOutcome
    package let detail: String
    package let elapsedNs: UInt64
    /// The call under test alone, where the scenario timed it.
    package let callNs: UInt64?
    package let verdict: ProbeVerdict
    /// What Linux does instead, or why not (empty when reproduced).
    package let note: String
}

/// Everything `connbench probe` found; the renderers are pure functions of this value.
package struct ProbeReport: Sendable {
    package let kernel: String
    /// Primary rows first in the reference page's order, each followed by its related rows.
    package let rows: [ProbeRow]
    package let behaviours: [ProbeBehaviourResult]
    package let elapsedNs: UInt64

    /// One row per errno of the reference page's table.
    package var primaryRows: [ProbeRow] { rows.filter(\.primary) }
    package var relatedRows: [ProbeRow] { rows.filter { !$0.primary } }

    package func count(_ verdict: ProbeVerdict) -> Int {
        primaryRows.filter { $0.verdict == verdict }.count
    }
}
