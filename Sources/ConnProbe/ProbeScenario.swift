import ConnSys

/// What one scenario saw: the errno a call returned (and which call), or that the call
/// succeeded, or that the scenario's own setup failed before it could ask the question.
package enum ProbeOutcome: Sendable, Equatable {
    /// `call` returned `errno` (`connect`, `SO_ERROR`, `bind`, `getpeername`, …).
    case failed(Errno, call: String)
    /// `call` returned 0.
    case succeeded(call: String)
    /// The situation was not provoked (see the scenario's reason).
    case notRun
    /// A preparation step failed, so the question was never asked.
    case setupFailed(Errno, step: String)

    /// The errno name, `success`, `not-run` or `setup-failed`.
    package var observedText: String {
        switch self {
        case .failed(let e, _): e.name
        case .succeeded: "success"
        case .notRun: "not-run"
        case .setupFailed(let e, _): "setup-failed:\(e.name)"
        }
    }

    package var callText: String {
        switch self {
        case .failed(_, let call), .succeeded(let call): call
        case .notRun: ""
        case .setupFailed(_, let step): step
        }
    }
}

package struct ProbeObservation: Sendable {
    package var outcome: ProbeOutcome
    /// What else the scenario saw, in a few words (ports, timings, follow-up calls).
    package var detail: String
    /// The whole scenario, setup (thread, namespace, files) included.
    package var elapsedNs: UInt64 = 0
    /// How long the call under test itself took, where the scenario times it.
    package var callNs: UInt64?

    package init(_ outcome: ProbeOutcome, detail: String = "", callNs: UInt64? = nil) {
        self.outcome = outcome
        self.detail = detail
        self.callNs = callNs
    }
}

/// A setup step that failed; thrown inside a scenario body, reported as `.setupFailed`.
package struct ProbeSetupFailure: Error {
    package let errno: Errno
    package let step: String
}

/// Where a scenario runs: a thread of its own in a fresh network namespace, or the
/// calling thread (scenarios that touch only files or a bad descriptor).
package enum ProbeIsolationKind: Sendable {
    case freshNetworkNamespace
    case temporaryDirectory
    case none
}

/// One small experiment asking Linux about one error of the connect() error table of the AIX reference page.
package struct ProbeScenario: Sendable, Identifiable {
    /// Unique, e.g. `ECONNREFUSED`, `ECONNREFUSED-unix`.
    package let id: String
    /// the reference table's errno this scenario is about.
    package let errnoName: String
    /// The row for that errno in the output table (false: a related scenario shown below it).
    package let primary: Bool
    /// What the scenario does, in one line.
    package let summary: String
    package let isolation: ProbeIsolationKind
    /// Why Linux's connect() cannot return the reference page's errno; makes the verdict `not-on-linux`
    /// unless the scenario nevertheless observes it from connect.
    package let notOnLinux: String?
    /// Why the scenario does not provoke an errno that Linux's connect() can return.
    package let notProvoked: String?
    /// Where Linux's different answer comes from, added to a `linux-differs` note.
    package let why: String?
    /// The experiment. Throws only for failed setup steps.
    package let body: @Sendable () throws(ProbeSetupFailure) -> ProbeObservation

    package init(id: String, errno: String, primary: Bool = true, summary: String,
                isolation: ProbeIsolationKind, notOnLinux: String? = nil, notProvoked: String? = nil,
                why: String? = nil, body: @escaping @Sendable () throws(ProbeSetupFailure) -> ProbeObservation) {
        self.id = id
        self.errnoName = errno
        self.primary = primary
        self.summary = summary
        self.isolation = isolation
        self.notOnLinux = notOnLinux
        self.notProvoked = notProvoked
        self.why = why
        self.body = body
    }
}

/// Runs a preparation step; its errno becomes a `ProbeSetupFailure` naming the step.
@inline(__always)
func setup<T>(_ step: String, _ body: () throws(Errno) -> T) throws(ProbeSetupFailure) -> T {
    do {
        return try body()
    } catch {
        throw ProbeSetupFailure(errno: error, step: step)
    }
}

/// Runs the call under test and records what it returned.
@inline(__always)
func observe(_ call: String, _ body: () throws(Errno) -> Void) -> ProbeOutcome {
    do {
        try body()
        return .succeeded(call: call)
    } catch {
        return .failed(error, call: call)
    }
}
