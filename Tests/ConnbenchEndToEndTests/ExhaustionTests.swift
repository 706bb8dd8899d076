import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing
import ConnStudies
import ConnAnalysis

extension HeavySuites {
    /// Ephemeral-port exhaustion, each case in a fresh namespace with a 1000-port range,
    /// tcp_tw_reuse=0, FIN close (the client closes first and holds TIME_WAIT).
    @Suite(.serialized)
    struct ExhaustionTests {
        struct Expectation: Sendable, CustomTestStringConvertible {
            var name: String
            var c: ExhaustMatrix.Case
            /// nil: no exhaustion at all.
            var errno: Errno?
            var call: SyscallSite?
            var attempt: UInt64

            var testDescription: String { name }
        }

        static let lo = SocketAddress(ip: "127.0.0.1", port: 0)!
        static let cases: [Expectation] = [
            Expectation(name: "plain connect: EADDRNOTAVAIL from connect at ~1001", c: .init(), errno: .addressNotAvailable, call: .connect, attempt: 1001),
            Expectation(name: "bind 127.0.0.1: EADDRINUSE from bind at ~1001", c: .init(strategy: SocketStrategy(sources: [lo])), errno: .addressInUse, call: .bind, attempt: 1001),
            Expectation(name: "4 destination ports: plain connect onset at ~4001", c: .init(destinations: 4), errno: .addressNotAvailable, call: .connect, attempt: 4001),
            Expectation(name: "bind-no-port behaves like plain connect", c: .init(strategy: SocketStrategy(sources: [lo], bindAddressNoPort: true)), errno: .addressNotAvailable, call: .connect, attempt: 1001),
            Expectation(name: "rst close never exhausts", c: .init(close: .rst), errno: nil, call: nil, attempt: 0),
        ]

        static func settings() -> ExhaustMatrix.Settings {
            var s = ExhaustMatrix.Settings()
            s.maxDurationNs = 1_000_000_000
            s.tailNs = 100_000_000
            return s
        }

        /// The port budget's onset against the observed one, attempt and time.
        static func expectPredictionWithinTenPercent(_ r: RunReport, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let b = r.portBudget, let a = b.onsetAttempt, let t = b.onsetSeconds, let o = r.onset else {
                Issue.record("no prediction or no onset: \(String(describing: r.portBudget)) \(String(describing: r.onset))", sourceLocation: sourceLocation)
                return
            }
            #expect(Swift.abs(Double(o.attempt) - Double(a)) <= 0.1 * Double(a),
                    "attempt: observed \(o.attempt) (\(o.signal)), predicted \(a) (\(b.onsetKind?.rawValue ?? "-")): \(o.evidence ?? "-")", sourceLocation: sourceLocation)
            #expect(Swift.abs(o.seconds - t) <= 0.1 * t,
                    "time: observed \(o.seconds) s, predicted \(t) s at \(b.rate ?? 0)/s", sourceLocation: sourceLocation)
        }

        /// The default range with tcp_tw_reuse=0 at a fixed 8000/s: connect() starts to walk
        /// the used even half at attempt 14117 (1.76 s), long before ports run out (28233).
        /// On io_uring the cost seen is the submission's CPU per chain (the connect, port
        /// search included, runs inline in it), and the signal says so.
        @Test(.needsRoot, arguments: [EngineChoice.epoll, .ioUring])
        func inTheDefaultRangeTheCostRisesAtTheEvenHalfAsPredicted(engine: EngineChoice) throws {
            var config = RunConfig()
            config.engine = engine
            config.rate = .fixed(perSecond: 8000)
            config.durationNs = 4_000_000_000
            config.untilExhausted = true
            config.tailNs = 200_000_000
            config.intervalNs = 100_000_000
            config.isolation = Isolation(netns: true, sysctls: [SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "0")])
            let r = try BenchmarkRunner.run(config)
            TestSupport.expectBalanced(r)
            #expect(r.kernel.tunable("net.ipv4.ip_local_port_range") == "32768 60999")
            #expect(r.portBudget?.onsetKind == .costRise)
            #expect(r.portBudget?.onsetAttempt == 14117)
            #expect(r.onset?.call == nil, "a cost signal, not an errno: \(String(describing: r.onset))")
            if let o = r.onset, o.signal != .rateDrop {
                #expect(o.signal == (engine == .ioUring ? .submitCost : .connectCallCost))
                // Each engine's cost under its own name, never the other's.
                #expect((o.callMeanAfterNs == nil) == (engine == .ioUring))
                #expect((o.submitMeanAfterNs == nil) == (engine == .epoll))
            }
            Self.expectPredictionWithinTenPercent(r)
        }

        @Test(.needsRoot, arguments: cases, [EngineChoice.epoll, .ioUring])
        func exhaustionOnsetMatchesTheStrategy(_ e: Expectation, engine: EngineChoice) throws {
            var settings = Self.settings()
            settings.engine = engine
            let r = try ExhaustMatrix.run(e.c, settings: settings)
            TestSupport.expectBalanced(r)
            #expect(r.kernel.namespace.hasPrefix("fresh"), "\(r.kernel.namespace)")
            #expect(r.kernel.namespaceIsInitial == false)
            #expect(r.kernel.tunable("net.ipv4.ip_local_port_range") == "40000 40999")
            #expect(r.kernel.tunable("net.ipv4.tcp_tw_reuse") == "0")
            guard let errno = e.errno else {
                #expect(r.errors.isEmpty, "errors: \(r.errors.map(\.name))")
                // No exhaustion errno, so no errno onset. (A non-errno signal can still fire when
                // other suites load both CPUs at once; that is contention, not exhaustion.)
                #expect(r.onset?.call == nil, "onset: \(String(describing: r.onset))")
                #expect(r.tally.established > 3000, "rst should run far past the 1000 ports: \(r.tally)")
                #expect(r.portBudget?.onsetAttempt == nil, "the port budget predicts no onset with RST")
                return
            }
            Self.expectPredictionWithinTenPercent(r)
            let first = try #require(r.firstError, "no error at all: \(r.tally)")
            #expect(first.name == errno.name)
            #expect(first.site == e.call)
            // "About": within the connects that can be in flight when the range runs out; on
            // io_uring also a turn's batch of chains per worker, numbered when queued but
            // bound when the next enter runs them.
            let queued = engine == .ioUring ? UInt64(r.workers.count * 16) : 0
            let inFlight = UInt64(r.workers.count * r.setup.concurrency) + queued
            #expect(first.firstAttempt + inFlight >= e.attempt && first.firstAttempt <= e.attempt + inFlight,
                    "first \(errno) at attempt \(first.firstAttempt), expected \(e.attempt) ± \(inFlight)")
            let onset = try #require(r.onset)
            #expect(onset.signal == .errno(errno))
            #expect(onset.call == e.call)
            #expect(r.endedAtOnset, "--until-exhausted should end the run at onset + tail")
        }

        @Test func aUnixListenerWithAFullBacklogGivesEAGAINAtOnce() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/full.sock"
            var lc = ListenerConfig()
            lc.address = try #require(SocketAddress(unixPath: path))
            lc.accepts = false
            lc.backlog = 8
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .max, duration: "500ms")
            c.targets = [listener.address]
            c.concurrency = 64
            c.maxAttemptsPerWorker = 5000
            c.timeoutNs = 200_000_000
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let eagain = r.errors.filter { $0.errno == Errno.resourceTemporarilyUnavailable.rawValue && $0.site == .connect }
            #expect(!eagain.isEmpty, "errors: \(r.errors.map { "\($0.name)/\($0.site)" })")
            #expect(eagain.first?.name == "EWOULDBLOCK")
            // The backlog takes a few before the kernel says EAGAIN.
            #expect((eagain.first?.firstAttempt ?? 0) <= 64)
            #expect(r.onset?.signal == .errno(.wouldBlock))
        }

        @Test(.needsRoot, arguments: [EngineChoice.epoll, .ioUring])
        func onsetFiresBeforeAnyErrnoInTheDefaultPortRange(engine: EngineChoice) throws {
            // Default range (28 232 ports), no TIME_WAIT reuse: once the even half is taken,
            // connect() searches for odd ports, its cost jumps and the rate collapses long
            // before the range is empty.
            var c = RunConfig()
            c.engine = engine
            c.rate = .max
            c.durationNs = 6_000_000_000
            c.untilExhausted = true
            c.tailNs = 300_000_000
            c.listener.close = .peer
            c.isolation = Isolation(netns: true, sysctls: [SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "0")])
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.kernel.tunable("net.ipv4.ip_local_port_range") == "32768 60999")
            let onset = try #require(r.onset, "no onset in \(r.tally)")
            #expect(onset.signal == (engine == .ioUring ? .submitCost : .connectCallCost) || onset.signal == .rateDrop, "signal \(onset.signal)")
            #expect(onset.call == nil)
            if let e = r.errors.first(where: { ["EADDRNOTAVAIL", "EADDRINUSE"].contains($0.name) }) {
                #expect(e.firstSeconds > onset.seconds)
            }
            #expect(onset.sustainedRate < onset.rateBefore / 2, "before \(onset.rateBefore)/s, after \(onset.sustainedRate)/s")
            // Fewer than all ports were used: the onset came before the range ran out.
            #expect(onset.attempt < 28_232)
            #expect(r.endedAtOnset)
        }

        @Test(.needsRoot) func theHostTunablesAndNamespacesAreUntouchedByANamespacedRun() throws {
            let rangeBefore = ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range")
            let reuseBefore = ProcFiles.read("/proc/sys/net/ipv4/tcp_tw_reuse")
            let namesBefore = try TestSupport.shell("ip netns list")
            let nsBefore = NetNamespace.currentIdentity()
            var c = TestSupport.config(rate: .max, duration: "300ms")
            c.isolation = Isolation(netns: true, sysctls: [
                SysctlSetting(key: "net.ipv4.ip_local_port_range", value: "50000 50099"),
                SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "0"),
            ])
            let r = try BenchmarkRunner.run(c)
            #expect(r.kernel.tunable("net.ipv4.ip_local_port_range") == "50000 50099")
            #expect(ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range") == rangeBefore)
            #expect(ProcFiles.read("/proc/sys/net/ipv4/tcp_tw_reuse") == reuseBefore)
            #expect(try TestSupport.shell("ip netns list") == namesBefore)
            #expect(NetNamespace.currentIdentity() == nsBefore)
            // Every thread of this process is back in one namespace: the run's thread ended.
            let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let spaces = Set(threads.compactMap { ProcFiles.readLink("/proc/self/task/\($0)/ns/net") })
            #expect(spaces.count == 1, "threads in \(spaces)")
        }

        @Test(.needsRoot) func aNetnsRunKilledWithSIGINTStillReportsAndLeavesNoNamespace() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let before = try TestSupport.shell("ip netns list")
            let o = try TestSupport.run(["--netns", "--sysctl", "net.ipv4.tcp_tw_reuse=0", "--rate", "2000", "--duration", "20s",
                                         "--workers", "1", "--output", dir], timeLimit: 30, interruptAfter: 1.0)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            #expect(o.stdout.contains("(interrupted after"))
            #expect(o.stdout.contains("namespace fresh"))
            #expect(FileManager.default.fileExists(atPath: dir + "/summary.csv"))
            #expect(try TestSupport.shell("ip netns list") == before)
        }

        /// Root drops to nobody for it; any other user already is one.
        @Test func withoutRootNetnsFailsWithOneClearLine() throws {
            let dir = "/tmp/connbench-nonroot-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let drop = "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
            let o = try TestSupport.run(["--netns", "--duration", "200ms", "--output", dir],
                                        shell: Privilege.isRoot ? drop : nil, timeLimit: 30)
            TestSupport.expectOneLineError(o, naming: "--netns needs root")
        }

        @Test(.needsRoot) func theExhaustMatrixPrintsItsTableInUnder30SecondsAndItsCSVParses() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let started = Date()
            let o = try TestSupport.run(["exhaust", "--output", dir], timeLimit: 60)
            let elapsed = Date().timeIntervalSince(started)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            #expect(elapsed < 30, "took \(elapsed) s")
            #expect(o.stdout.contains("strategy"))
            #expect(o.stdout.contains("SO_REUSEADDR on bind"))
            let csv = try String(contentsOfFile: dir + "/exhaust.csv", encoding: .utf8)
            let rows = CSV.parse(csv)
            #expect(rows.first == ExhaustReporter.columns)
            #expect(rows.count == ExhaustMatrix.defaultCases(portRange: 40000...40999).count + 1)
            let byStrategy = Dictionary(grouping: rows.dropFirst(), by: { $0[0] + "/" + $0[1] + "/" + $0[3] })
            #expect(byStrategy["plain/fin/1"]?.first?[4] == "EADDRNOTAVAIL")
            #expect(byStrategy["bind/fin/1"]?.first?[5] == "bind")
            #expect(byStrategy["plain/rst/1"]?.first?[4] == "")
        }
    }
}

/// The detector alone, on synthetic buckets: what fires, when, and what does not.
struct OnsetDetectorTests {
    static func bucket(calls: UInt32, costNs: UInt64, established: UInt32, exhaustion: UInt32 = 0,
                       even: UInt32 = 0, odd: UInt32 = 0) -> OnsetBucket {
        var b = OnsetBucket()
        b.started = calls
        b.calls = calls
        b.callNs = UInt64(calls) * costNs
        b.established = established
        b.exhaustion = exhaustion
        b.evenPorts = even
        b.oddPorts = odd
        return b
    }

    /// 5 ms buckets: 100 connects of 20 µs each, parity sampled 1 in 8 (12 a bucket, 120
    /// a 50 ms window); from bucket 200 on, `after`.
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var baseEven: UInt32 = 12
        var baseOdd: UInt32 = 0
        var after: OnsetBucket
        var fires: OnsetDetector.Signal?
        /// Text the evidence must contain.
        var mentions: [String] = []
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "CPU contention: rate collapses, cost and parity steady — no onset",
                 after: bucket(calls: 10, costNs: 20_000, established: 10, even: 2), fires: nil),
        Scenario(name: "CPU contention: rate collapses, cost 1.5×, parity steady — no onset",
                 after: bucket(calls: 10, costNs: 30_000, established: 10, even: 2), fires: nil),
        // Measured: 8 busy loops started 1.2 s into a closed-loop run.
        Scenario(name: "CPU contention mid-run: rate collapses, connect() 4× (preempted), parity known and steady — no onset",
                 after: bucket(calls: 30, costNs: 80_000, established: 30, even: 4), fires: nil),
        Scenario(name: "rate collapses with connect() 4× and no parity sample to judge — rate-drop",
                 after: bucket(calls: 10, costNs: 80_000, established: 10), fires: .rateDrop),
        // 10 parity samples a window: too few alone, enough pooled over two, and steady.
        Scenario(name: "rate collapses with connect() 3× and parity steady pooled over windows — no onset",
                 after: bucket(calls: 10, costNs: 60_000, established: 10, even: 1), fires: nil),
        Scenario(name: "rate collapses as odd ports appear — rate-drop",
                 after: bucket(calls: 10, costNs: 20_000, established: 10, odd: 2), fires: .rateDrop,
                 mentions: ["odd ports 100% vs 0%", "established 300 in 150.0 ms vs 3000 at baseline rate"]),
        Scenario(name: "connect() 6×, parity steady — no onset",
                 after: bucket(calls: 100, costNs: 120_000, established: 100, even: 12), fires: nil),
        Scenario(name: "connect() 6× as odd ports appear — connect-call-cost",
                 after: bucket(calls: 100, costNs: 120_000, established: 100, even: 6, odd: 6), fires: .connectCallCost,
                 mentions: ["(6.0×)", "odd ports 50% vs 0%"]),
        Scenario(name: "bind() strategy: odd at baseline, even ports appear with connect() 6× — connect-call-cost",
                 baseEven: 0, baseOdd: 12,
                 after: bucket(calls: 100, costNs: 120_000, established: 100, even: 12), fires: .connectCallCost,
                 mentions: ["odd ports 0% vs 100%"]),
        // 10 parity samples a window: too few to judge one; the evidence pools the three.
        Scenario(name: "connect() 100× with too few parity samples — connect-call-cost",
                 after: bucket(calls: 20, costNs: 2_000_000, established: 20, even: 1), fires: .connectCallCost,
                 mentions: ["(100.0×)", "odd ports 0% vs 0%"]),
        Scenario(name: "unix target (no ports ever): connect() 6× — connect-call-cost",
                 baseEven: 0, baseOdd: 0,
                 after: bucket(calls: 100, costNs: 120_000, established: 100), fires: .connectCallCost,
                 mentions: ["no port parity sampled"]),
    ]

    @Test(arguments: scenarios)
    func onlyExhaustionNotContentionFires(_ s: Scenario) {
        var d = OnsetDetector(bucketNs: 5_000_000)
        var fired: OnsetDetector.Fired?
        for i in 0..<400 {
            let b = i >= 200 ? s.after : Self.bucket(calls: 100, costNs: 20_000, established: 100, even: s.baseEven, odd: s.baseOdd)
            if let f = d.feed(b) { fired = f; break }
        }
        #expect(fired?.signal == s.fires, "evidence: \(fired?.evidence ?? "-")")
        guard let fired, s.fires != nil else { return }
        #expect(fired.bucket == 200)
        for m in s.mentions { #expect(fired.evidence.contains(m), "evidence: \(fired.evidence)") }
    }

    /// io_uring: the cost is the submission's CPU per chain and no port is ever sampled.
    /// 5 ms buckets of 100 chains at 40 µs; from bucket 200 on, `after`.
    static let uringScenarios: [Scenario] = [
        Scenario(name: "io_uring: submission 6× with no parity to back it (contention's size) — no onset",
                 baseEven: 0, after: bucket(calls: 100, costNs: 240_000, established: 100), fires: nil),
        Scenario(name: "io_uring: rate collapses with submission 3× — no onset",
                 baseEven: 0, after: bucket(calls: 10, costNs: 120_000, established: 10), fires: nil),
        Scenario(name: "io_uring: submission 40× (the odd-port search measured here) — submit-cost",
                 baseEven: 0, after: bucket(calls: 20, costNs: 1_600_000, established: 20), fires: .submitCost,
                 mentions: ["io_uring submission per chain 1.6 ms vs 40.0 µs (40.0×)", "no port parity on io_uring"]),
        Scenario(name: "io_uring: submission 12× — submit-cost",
                 baseEven: 0, after: bucket(calls: 50, costNs: 480_000, established: 50), fires: .submitCost,
                 mentions: ["(12.0×)"]),
    ]

    @Test(arguments: uringScenarios)
    func onIoUringOnlyAPortSearchSizedSubmissionCostFires(_ s: Scenario) {
        var d = OnsetDetector(bucketNs: 5_000_000, parameters: .init(engine: .ioUring))
        var fired: OnsetDetector.Fired?
        for i in 0..<400 {
            let b = i >= 200 ? s.after : Self.bucket(calls: 100, costNs: 40_000, established: 100)
            if let f = d.feed(b) { fired = f; break }
        }
        #expect(fired?.signal == s.fires, "evidence: \(fired?.evidence ?? "-")")
        guard let fired, s.fires != nil else { return }
        #expect(fired.bucket == 200)
        for m in s.mentions { #expect(fired.evidence.contains(m), "evidence: \(fired.evidence)") }
    }

    @Test func aSustainedJumpInConnectCostFiresAtItsFirstWindow() {
        var d = OnsetDetector(bucketNs: 5_000_000)
        var fired: OnsetDetector.Fired?
        for i in 0..<400 {
            let slow = i >= 200
            let b = Self.bucket(calls: slow ? 20 : 100, costNs: slow ? 2_000_000 : 20_000, established: slow ? 20 : 100)
            if let f = d.feed(b) { fired = f; break }
        }
        #expect(fired?.signal == .connectCallCost)
        #expect(fired?.bucket == 200)
        #expect(fired?.costFactorSeen == 100)
    }

    @Test func oneSlowWindowDoesNotFire() {
        var d = OnsetDetector(bucketNs: 5_000_000)
        for i in 0..<400 {
            let slow = (200..<210).contains(i)
            let b = Self.bucket(calls: 100, costNs: slow ? 2_000_000 : 20_000, established: 100)
            #expect(d.feed(b) == nil, "fired at bucket \(i)")
        }
    }

    @Test func anExhaustionErrnoFiresAtOnceEvenBeforeABaseline() {
        var d = OnsetDetector(bucketNs: 5_000_000)
        #expect(d.feed(Self.bucket(calls: 100, costNs: 20_000, established: 100)) == nil)
        #expect(d.feed(Self.bucket(calls: 100, costNs: 20_000, established: 90, exhaustion: 3)) == .init(bucket: 1, signal: .errno))
    }

    @Test func anExhaustionErrnoFiresAtOnceAfterTheBaselineWhateverTheCost() {
        var d = OnsetDetector(bucketNs: 5_000_000)
        for _ in 0..<100 { #expect(d.feed(Self.bucket(calls: 100, costNs: 20_000, established: 100, even: 12)) == nil) }
        let f = d.feed(Self.bucket(calls: 100, costNs: 20_000, established: 100, exhaustion: 1, even: 12))
        #expect(f == .init(bucket: 100, signal: .errno))
        #expect(f?.evidence.contains("errno") == true)
    }
}
