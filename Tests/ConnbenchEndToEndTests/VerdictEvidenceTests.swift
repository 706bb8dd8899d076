import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Testing
import ConnStudies
import ConnAnalysis

/// The verdict names a cause only from evidence of that cause: a counter of every
/// retransmitted segment is not a SYN count, and a port budget does not assume the
/// client holds TIME_WAIT when the run saw it hold none. Built on a real short run on
/// loopback, with the one figure under test changed.
struct VerdictEvidenceTests {
    /// 150 connects at 500/s to the built-in listener.
    static let base: Result<RunReport, Error> = Result {
        var c = TestSupport.config(rate: .fixed(perSecond: 500), duration: "300ms")
        c.maxAttemptsPerWorker = 1000
        return try BenchmarkRunner.run(c)
    }

    /// That run with a slow tail (timeouts), so the verdict lists its likely causes, and
    /// the given kernel counters moved.
    static func runWithTail(counters: [(KernelCounter, Int64)]) throws -> RunReport {
        var r = try base.get()
        r.tally.timedOut += 5
        r.tally.attempts += 5
        r.kernel.counters = counters.map { .init($0.0, before: 100, after: 100 + $0.1) }
        return r
    }

    @Test func retransmittedSegmentsOfAnyKindAreNotCalledSYNRetransmits() throws {
        let r = try Self.runWithTail(counters: [(.retransmittedSegments, 7), (.synRetransmits, 0)])
        let line = VerdictAssessment.assess(r, concurrency: 64).line
        #expect(line.contains("slow tail"), "\(line)")
        #expect(!line.contains("SYN retransmit"), "\(line)")
        #expect(!line.contains("Tcp.RetransSegs"), "\(line)")
    }

    @Test func theKernelsSYNCounterIsNamedAsWhatItCounts() throws {
        let r = try Self.runWithTail(counters: [(.retransmittedSegments, 9), (.synRetransmits, 3)])
        let line = VerdictAssessment.assess(r, concurrency: 64).line
        #expect(line.contains("TcpExt.TCPSynRetrans +3 ("), "\(line)")
        #expect(!line.contains("Tcp.RetransSegs"), "\(line)")
    }

    /// The handshake line gives both figures by ending, and the kernel's counter beside.
    @Test func theHandshakeLineReconcilesConnectsAndSegments() throws {
        var r = try Self.runWithTail(counters: [(.synRetransmits, 31)])
        var d = SynRetransmits()
        for (n, ending) in [(1, SynRetransmits.Ending.established), (2, .timedOut), (0, .established), (1, .inFlight), (1, .failed)] {
            d.count(UInt32(n), ending: ending)
        }
        r.synRetransmitDetail = d
        r.synRetransmits = d.connects
        let text = TextReporter.render(r)
        #expect(d.connects == 4 && d.segments == 5 && d.checked == 5)
        #expect(text.contains("handshake: 4 connect(s) needed a SYN retransmit (1 established, 1 failed, 1 timed out, 1 still in flight at the end), 5 SYN segment(s) retransmitted in all"), "\(text)")
        #expect(text.contains("the kernel's TcpExt.TCPSynRetrans +31"), "\(text)")
        let csv = Dictionary(uniqueKeysWithValues: zip(CSVReporter.summaryColumns, CSVReporter.summaryRow(r)))
        #expect(csv["syn_retransmits"] == "4" && csv["syn_retransmit_segments"] == "5" && csv["d_syn_retrans"] == "31")
    }

    struct Seen: Sendable, CustomTestStringConvertible {
        var name: String
        var observation: TimeWaitObservation
        var assumed: PortBudget.TimeWaitHolder
        var holder: PortBudget.TimeWaitHolder?
        var testDescription: String { name }
    }

    @Test(arguments: [
        Seen(name: "a peer that resets: none held after 32000", observation: .init(established: 32000, clientTimeWait: 0, resets: 32000),
             assumed: .generator, holder: .peerEnded),
        Seen(name: "the client holds them", observation: .init(established: 32000, clientTimeWait: 31000),
             assumed: .generator, holder: nil),
        Seen(name: "60 s later most are still there", observation: .init(established: 600_000, clientTimeWait: 28000),
             assumed: .generator, holder: nil),
        Seen(name: "too few connects to say", observation: .init(established: 40, clientTimeWait: 0),
             assumed: .generator, holder: nil),
        Seen(name: "the listener closed first", observation: .init(established: 5000, clientTimeWait: 3, listenerTimeWait: 4990),
             assumed: .unknown, holder: .peer),
        Seen(name: "RST close is not second-guessed", observation: .init(established: 5000, clientTimeWait: 0),
             assumed: .nobody, holder: nil),
    ])
    func whoHeldTimeWaitComesFromWhatTheRunSaw(_ s: Seen) {
        #expect(s.observation.holder(assumed: s.assumed) == s.holder)
    }

    /// With the peer resetting, the budget is the window of connections open at once.
    @Test func aResettingPeerIsPredictedFromTheInFlightWindow() throws {
        var config = RunConfig()
        config.targets = [try #require(SocketAddress(ip: "10.0.0.2", port: 80))]
        let tunables = [RunReport.Setting("net.ipv4.ip_local_port_range", "32768 60999"),
                        RunReport.Setting("net.ipv4.tcp_tw_reuse", "1"), RunReport.Setting("net.ipv4.tcp_timestamps", "1")]
        let seen = TimeWaitObservation(established: 32000, clientTimeWait: 0, resets: 32000)
        let inputs = try #require(PortBudget.Inputs.of(config: config, targets: config.targets, tunables: tunables,
                                                       listenerMode: nil, observed: seen))
        #expect(inputs.timeWaitHolder == .peerEnded && inputs.observed == seen)
        let calm = PortBudget.predict(inputs, rate: 8000, lifetimeSeconds: 0.0002)
        #expect(calm.holdSeconds == 0 && calm.sustainableRate == nil && calm.onsetKind == nil)
        #expect(Swift.abs((calm.inFlightPorts ?? 0) - 1.6) < 1e-9)
        // A window wider than the range runs out when it first fills.
        let full = PortBudget.predict(inputs, rate: 8000, lifetimeSeconds: 5)
        #expect(full.onsetKind == .exhausted && full.onsetAttempt == 28233)
    }
}
