import ConnProbe
import ConnReport
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// Each scenario of `connbench probe` against this kernel: the errno Linux returned, the call
    /// that returned it, and the verdict the probe drew from it.
    @Suite(.serialized)
    struct ProbeScenarioTests {
        struct Expected: Sendable {
            let observed: String
            let call: String
            let verdict: ProbeVerdict
        }

        /// What Linux 6.x answers in each scenario (checked by running them here).
        static let expected: [String: Expected] = [
            "EADDRINUSE": Expected(observed: "EADDRNOTAVAIL", call: "connect", verdict: .linuxDiffers),
            "EADDRINUSE-bind": Expected(observed: "EADDRINUSE", call: "bind", verdict: .linuxDiffers),
            "EADDRNOTAVAIL": Expected(observed: "EADDRNOTAVAIL", call: "connect", verdict: .reproduced),
            "EAFNOSUPPORT": Expected(observed: "EAFNOSUPPORT", call: "connect", verdict: .reproduced),
            "EALREADY": Expected(observed: "EALREADY", call: "connect", verdict: .reproduced),
            "EINTR": Expected(observed: "EINTR", call: "connect", verdict: .reproduced),
            "EACCES": Expected(observed: "EACCES", call: "connect", verdict: .reproduced),
            "EACCES-write": Expected(observed: "EACCES", call: "connect", verdict: .reproduced),
            "ENOBUFS": Expected(observed: "not-run", call: "", verdict: .notProvoked),
            "EOPNOTSUPP": Expected(observed: "EOPNOTSUPP", call: "connect", verdict: .reproduced),
            "EWOULDBLOCK": Expected(observed: "EADDRNOTAVAIL", call: "connect", verdict: .linuxDiffers),
            "EWOULDBLOCK-udp": Expected(observed: "EWOULDBLOCK", call: "connect", verdict: .reproduced),
            "EWOULDBLOCK-unix": Expected(observed: "EWOULDBLOCK", call: "connect", verdict: .reproduced),
            "EBADF": Expected(observed: "EBADF", call: "connect", verdict: .reproduced),
            "ECONNREFUSED": Expected(observed: "ECONNREFUSED", call: "connect", verdict: .reproduced),
            "ECONNREFUSED-unix": Expected(observed: "ECONNREFUSED", call: "connect", verdict: .reproduced),
            "EFAULT": Expected(observed: "EFAULT", call: "connect", verdict: .reproduced),
            "EINPROGRESS": Expected(observed: "EINPROGRESS", call: "connect", verdict: .reproduced),
            "EINVAL": Expected(observed: "success", call: "connect", verdict: .linuxDiffers),
            "EINVAL-length": Expected(observed: "EINVAL", call: "connect", verdict: .reproduced),
            "EISCONN": Expected(observed: "EISCONN", call: "connect", verdict: .reproduced),
            "ENETDOWN": Expected(observed: "ENETUNREACH", call: "connect", verdict: .linuxDiffers),
            "ENETUNREACH": Expected(observed: "ENETUNREACH", call: "connect", verdict: .reproduced),
            "ENOSPC": Expected(observed: "success", call: "connect", verdict: .notProvoked),
            "ENOTCONN": Expected(observed: "ENOTCONN", call: "getpeername", verdict: .notOnLinux),
            "ENOTSOCK": Expected(observed: "ENOTSOCK", call: "connect", verdict: .reproduced),
            "ETIMEDOUT": Expected(observed: "ETIMEDOUT", call: "connect", verdict: .reproduced),
            "EPROTOTYPE": Expected(observed: "EPROTOTYPE", call: "connect", verdict: .reproduced),
            "ELOOP": Expected(observed: "ELOOP", call: "connect", verdict: .reproduced),
            "ENOENT": Expected(observed: "ENOENT", call: "connect", verdict: .reproduced),
            "ENOENT-empty": Expected(observed: "EINVAL", call: "connect", verdict: .linuxDiffers),
            "ENOTDIR": Expected(observed: "ENOTDIR", call: "connect", verdict: .reproduced),
        ]

        @Test(.needsRoot, arguments: ProbeCatalog.all.map(\.id))
        func scenarioGetsTheErrnoLinuxReturnsAndTheMatchingVerdict(id: String) throws {
            let scenario = try #require(ProbeCatalog.scenario(id: id))
            let want = try #require(Self.expected[id], "no expectation for \(id)")
            let row = ProbeRunner.run(scenario)
            #expect(row.outcome.observedText == want.observed, "\(id): \(row.detail) \(row.note)")
            #expect(row.outcome.callText == want.call, "\(id): \(row.detail)")
            #expect(row.verdict == want.verdict, "\(id): \(row.note)")
            // Setup included (a new namespace can take a while when many are made at once).
            #expect(row.elapsedNs < 10_000_000_000, "\(id) took \(row.elapsedNs) ns")
            if row.verdict != .reproduced {
                #expect(!row.note.isEmpty, "\(id): a verdict other than reproduced must say why")
            }
        }

        @Test func everyErrnoOfTheReferenceTableHasExactlyOnePrimaryScenarioAndEveryScenarioAnExpectation() {
            let primaries = ProbeCatalog.all.filter(\.primary).map(\.errnoName)
            #expect(primaries == ReferenceErrorTable.entries.map(\.errnoName))
            #expect(Set(ProbeCatalog.all.map(\.id)) == Set(Self.expected.keys))
            #expect(Set(ProbeCatalog.all.map(\.id)).count == ProbeCatalog.all.count)
            for s in ProbeCatalog.all {
                #expect(Errno(name: s.errnoName) != nil, "\(s.errnoName) is not an errno name")
            }
        }

        @Test(.needsRoot) func timedOutHandshakeEndsWithinTheUserTimeoutNotTheDefaultRetries() throws {
            let row = ProbeRunner.run(try #require(ProbeCatalog.scenario(id: "ETIMEDOUT")))
            #expect(row.outcome.observedText == "ETIMEDOUT")
            // TCP_USER_TIMEOUT 1000 ms: well before the 3 s that TCP_SYNCNT 1 alone would take.
            let took = try #require(row.callNs)
            #expect(took >= 900_000_000 && took < 2_500_000_000, "connect took \(took) ns")
        }
    }
}

extension HeavySuites {
    /// The two behaviours of the reference page besides its errors.
    @Suite(.serialized)
    struct ProbeBehaviourTests {
        @Test(.needsRoot) func connectOnAnUnboundOrPartiallyBoundSocketBindsItAutomatically() {
            let b = ProbeBehaviours.autoBind()
            #expect(b.holds, "\(b.detail)")
            #expect(b.detail.contains("127.0.0.1:"))
        }

        @Test(.needsRoot) func aTCPSocketConnectedToItsOwnAddressAndPortConnectsToItself() {
            let b = ProbeBehaviours.selfConnect()
            #expect(b.holds, "\(b.detail)")
        }
    }
}
