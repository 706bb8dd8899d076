import ConnSys

/// How Linux answered the reference page's claim about one errno.
package enum ProbeVerdict: String, Sendable, CaseIterable {
    /// connect() returned the reference page's errno in the reference page's situation (directly, or as the
    /// SO_ERROR of a nonblocking connect).
    case reproduced = "reproduced"
    /// In that situation Linux gives another errno (or another call gives it, or none).
    case linuxDiffers = "linux-differs"
    /// Linux's connect() cannot return this errno.
    case notOnLinux = "not-on-linux"
    /// Linux's connect() can return it, but only in a situation the probe does not create.
    case notProvoked = "not-provoked"
    /// The scenario's own setup failed; nothing can be said.
    case inconclusive = "inconclusive"
}

package struct ProbeClassification: Sendable {
    package let verdict: ProbeVerdict
    /// One line: what Linux does instead, or why not.
    package let note: String
}

package enum ProbeClassifier {
    /// The verdict follows from what was observed, never from what was expected: a scenario
    /// that sees the reference page's errno from connect is `reproduced` whatever its notes say.
    package static func classify(_ scenario: ProbeScenario, _ observation: ProbeObservation) -> ProbeClassification {
        let expected = Errno(name: scenario.errnoName)
        switch observation.outcome {
        case .setupFailed(let e, let step):
            return ProbeClassification(verdict: .inconclusive, note: "setup step \(step) failed with \(e.name)")
        case .failed(let e, let call) where e == expected && (call == "connect" || call == "SO_ERROR"):
            return ProbeClassification(verdict: .reproduced, note: "")
        default:
            break
        }
        if let reason = scenario.notOnLinux {
            return ProbeClassification(verdict: .notOnLinux, note: reason)
        }
        if let reason = scenario.notProvoked {
            return ProbeClassification(verdict: .notProvoked, note: reason)
        }
        let why = scenario.why.map { "; " + $0 } ?? ""
        switch observation.outcome {
        case .failed(let e, let call):
            if e == expected {
                return ProbeClassification(verdict: .linuxDiffers, note: "Linux gives \(e.name) from \(call), not from connect" + why)
            }
            return ProbeClassification(verdict: .linuxDiffers, note: "Linux gives \(e.name) from \(call) instead" + why)
        case .succeeded(let call):
            return ProbeClassification(verdict: .linuxDiffers, note: "Linux gives no error: \(call) succeeded" + why)
        case .notRun, .setupFailed:
            return ProbeClassification(verdict: .inconclusive, note: "no observation")
        }
    }
}
