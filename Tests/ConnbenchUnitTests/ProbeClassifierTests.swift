import ConnProbe
import ConnReport
import ConnSys
import Testing

/// The classification follows the observation, whatever the scenario's notes expect.
struct ProbeClassifierTests {
    static func scenario(notOnLinux: String? = nil, notProvoked: String? = nil) -> ProbeScenario {
        ProbeScenario(id: "T", errno: "ENOTCONN", summary: "test", isolation: .none,
                      notOnLinux: notOnLinux, notProvoked: notProvoked) { () throws(ProbeSetupFailure) in
            ProbeObservation(.notRun)
        }
    }

    @Test func theReferenceErrnoFromConnectIsReproducedEvenWhereNotExpected() {
        let c = ProbeClassifier.classify(Self.scenario(notOnLinux: "never"), ProbeObservation(.failed(.socketNotConnected, call: "connect")))
        #expect(c.verdict == .reproduced)
        let viaSOError = ProbeClassifier.classify(Self.scenario(), ProbeObservation(.failed(.socketNotConnected, call: "SO_ERROR")))
        #expect(viaSOError.verdict == .reproduced)
    }

    @Test func anotherErrnoOrAnotherCallIsLinuxDiffersAndNamesWhatLinuxGave() {
        let other = ProbeClassifier.classify(Self.scenario(), ProbeObservation(.failed(.connectionRefused, call: "connect")))
        #expect(other.verdict == .linuxDiffers)
        #expect(other.note.contains("ECONNREFUSED"))
        let otherCall = ProbeClassifier.classify(Self.scenario(), ProbeObservation(.failed(.socketNotConnected, call: "getpeername")))
        #expect(otherCall.verdict == .linuxDiffers)
        #expect(otherCall.note.contains("getpeername"))
        let success = ProbeClassifier.classify(Self.scenario(), ProbeObservation(.succeeded(call: "connect")))
        #expect(success.verdict == .linuxDiffers)
    }

    @Test func reasonsAndFailedSetupGiveTheirVerdicts() {
        #expect(ProbeClassifier.classify(Self.scenario(notOnLinux: "r"), ProbeObservation(.failed(.socketNotConnected, call: "getpeername"))).verdict == .notOnLinux)
        #expect(ProbeClassifier.classify(Self.scenario(notProvoked: "r"), ProbeObservation(.notRun)).verdict == .notProvoked)
        #expect(ProbeClassifier.classify(Self.scenario(), ProbeObservation(.setupFailed(.permissionDenied, step: "bind"))).verdict == .inconclusive)
    }
}
