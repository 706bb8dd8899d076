import ConnEngine
import ConnModel
import Foundation
import Glibc
import ConnSys
import Testing

extension HeavySuites {
    /// What only the io_uring engine has: unix targets through IORING_OP_CONNECT, the
    /// strategies by uring_cmd setsockopt, its report wording, and the one line it stops
    /// with where io_uring is refused. (The engine-agnostic tests in EngineRunTests run on
    /// both engines.)
    @Suite(.serialized)
    struct UringEngineTests {
        @Test func aUnixTargetEstablishesAndBalancesOnIoUring() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var lc = ListenerConfig()
            lc.address = try #require(SocketAddress(unixPath: dir + "/u.sock"))
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .fixed(perSecond: 1000), duration: "500ms")
            c.targets = [listener.address]
            c.engine = .ioUring
            c.close = .rst
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.established >= 480, "\(r.tally) \(r.errors.map { "\($0.name)/\($0.site)" })")
            #expect(r.errors.isEmpty)
        }

        /// A unix listener whose backlog is full: as on epoll, the connect says EAGAIN at
        /// once (the exhaustion matrix's unix case), named as the connect's.
        @Test func aFullUnixBacklogOnIoUringGivesEAGAINFromTheConnect() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var lc = ListenerConfig()
            lc.address = try #require(SocketAddress(unixPath: dir + "/full.sock"))
            lc.accepts = false
            lc.backlog = 8
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            var c = TestSupport.config(rate: .fixed(perSecond: 200), duration: "1s")
            c.targets = [listener.address]
            c.engine = .ioUring
            c.timeoutNs = 100_000_000
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let eagain = r.errors.filter { $0.errno == Errno.resourceTemporarilyUnavailable.rawValue && $0.site == .connect }
            #expect(!eagain.isEmpty, "\(r.errors.map { "\($0.name)/\($0.site)" })")
            #expect((eagain.first?.firstAttempt ?? 0) <= 64)
            #expect(r.onset?.signal == .errno(.wouldBlock))
        }

        /// The exhaustion matrix's per-socket port range case: the option goes by uring_cmd
        /// setsockopt (or setsockopt() where the socket is made by syscalls), and
        /// exhaustion is EADDRNOTAVAIL from the connect — the option really applied.
        @Test(.needsRoot, arguments: [UringSocketSetup.ring, .syscalls])
        func portRangeExhaustionOnIoUringIsEADDRNOTAVAILFromConnect(setup: UringSocketSetup) throws {
            var c = TestSupport.config(rate: .max, duration: "2s")
            c.engine = .ioUring
            c.uringSocket = setup
            c.isolation.netns = true
            c.close = .fin
            c.strategy.portRange = 40000...40099
            c.maxAttemptsPerWorker = 400
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let na = r.errors.filter { $0.name == "EADDRNOTAVAIL" }
            #expect(na.first?.site == .connect, "\(r.errors.map { "\($0.name)/\($0.site)" })")
            #expect(r.tally.established >= 90 && r.tally.established <= 100, "\(r.tally)")
        }

        struct SetupCase: Sendable, CustomTestStringConvertible {
            var name: String
            var strategy: SocketStrategy
            var testDescription: String { name }
        }

        static let lo = SocketAddress(ip: "127.0.0.1", port: 0)!
        static let setupCases: [SetupCase] = [
            SetupCase(name: "plain connect", strategy: SocketStrategy()),
            SetupCase(name: "SO_REUSEADDR", strategy: SocketStrategy(reuseAddress: true)),
            SetupCase(name: "bind 127.0.0.1", strategy: SocketStrategy(sources: [lo])),
            SetupCase(name: "bind 127.0.0.1 with IP_BIND_ADDRESS_NO_PORT", strategy: SocketStrategy(sources: [lo], bindAddressNoPort: true)),
            SetupCase(name: "IP_LOCAL_PORT_RANGE 40000-59999", strategy: SocketStrategy(portRange: 40000...59999)),
        ]

        /// Where this kernel cannot make the socket, set its options or bind it in the
        /// ring (setsockopt by uring_cmd is 6.7+, IORING_OP_BIND 6.11+), the engine makes it
        /// by syscalls and the ring does the connect and its timeout. Both ways, every
        /// strategy establishes every attempt and the report says which way ran.
        @Test(arguments: setupCases, [UringSocketSetup.ring, .syscalls])
        func everyStrategyRunsWithTheSocketMadeInTheRingOrBySyscalls(_ s: SetupCase, setup: UringSocketSetup) throws {
            var c = TestSupport.config(rate: .max, duration: "500ms")
            c.engine = .ioUring
            c.uringSocket = setup
            c.close = .rst
            c.strategy = s.strategy
            c.maxAttemptsPerWorker = 3000
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.errors.isEmpty, "\(r.errors.map { "\($0.name)/\($0.site)" })")
            #expect(r.tally.established + r.tally.inFlight == r.tally.attempts, "\(r.tally)")
            #expect(r.tally.attempts >= 1000, "\(r.tally)")
            #expect(r.settings.contains(.init("uring-socket", setup.rawValue)), "\(r.settings)")
        }

        /// Bind exhaustion with the socket made by syscalls: bind() fails before anything
        /// reaches the ring, and the attempt is still one failure named by its call.
        @Test(.needsRoot) func bindExhaustionWithTheSocketMadeBySyscallsIsEADDRINUSEFromBind() throws {
            var c = TestSupport.config(rate: .max, duration: "2s")
            c.engine = .ioUring
            c.uringSocket = .syscalls
            c.isolation = Isolation(netns: true, sysctls: [
                SysctlSetting(key: "net.ipv4.ip_local_port_range", value: "40000 40999"),
                SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "0"),
            ])
            c.close = .fin
            c.strategy = SocketStrategy(sources: [Self.lo])
            c.untilExhausted = true
            c.tailNs = 50_000_000
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let first = try #require(r.firstError, "\(r.tally)")
            #expect(first.name == "EADDRINUSE")
            #expect(first.site == .bind)
            #expect(first.firstAttempt >= 900 && first.firstAttempt <= 1100, "first at \(first.firstAttempt)")
            #expect(r.onset?.signal == .errno(.addressInUse))
            #expect(r.endedAtOnset)
        }

        /// Auto takes the ring where this kernel can do every step (6.18 here can), and
        /// the one way asked is the way that runs.
        @Test func autoChoosesTheRingWhereTheKernelCanDoEveryStep() throws {
            var c = RunConfig()
            c.engine = .ioUring
            c.close = .rst
            c.strategy = SocketStrategy(sources: [Self.lo], reuseAddress: true, bindAddressNoPort: true, portRange: 40000...40999)
            let probe = UringAvailability.probe(c)
            #expect(probe.problem == nil)
            #expect(probe.ringSetupMissing == nil, "\(probe.ringSetupMissing ?? "")")
            #expect(try UringAvailability.resolve(c).uringSocket == .ring)
            c.uringSocket = .syscalls
            #expect(try UringAvailability.resolve(c).uringSocket == .syscalls)
            c.engine = .epoll
            #expect(try UringAvailability.resolve(c).uringSocket == nil)
        }

        @Test func theReportSaysWhatEachLatencyMeansOnIoUring() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--engine", "io_uring", "--rate", "500", "--duration", "500ms", "--output", dir])
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("service (submission to completion)"))
            #expect(o.stdout.contains("connect() call") && o.stdout.contains("n/a on io_uring"))
            let s = try TestSupport.summary(dir)
            #expect(s["engine"] == "io_uring")
            #expect(s["connect_call_p99_us"] == "")
        }

        /// A child under a seccomp filter that makes io_uring_setup fail with EPERM (a
        /// container's default profile): `--engine io_uring` stops with one line naming
        /// io_uring and EPERM; `--engine auto` runs on epoll and says why.
        @Test func whereSeccompRefusesIoUringTheEngineStopsWithOneLine() throws {
            let helper = TestSupport.temporaryDirectory() + "-no-io-uring"
            defer { try? FileManager.default.removeItem(atPath: helper) }
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/no-io-uring.c").path
            _ = try TestSupport.shell("cc -O2 -o '\(helper)' '\(source)'")
            #expect(FileManager.default.isExecutableFile(atPath: helper))
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--engine", "io_uring", "--rate", "100", "--duration", "500ms", "--output", dir], shell: "'\(helper)'")
            #expect(o.status != 0)
            let lines = o.stderr.split(separator: "\n").filter { $0.contains("io_uring") }
            #expect(lines.count == 1, "\(o.stderr)")
            #expect(lines.first?.contains("EPERM") == true && lines.first?.contains("io_uring_setup") == true, "\(o.stderr)")
            let auto = try TestSupport.run(["--engine", "auto", "--rate", "100", "--duration", "500ms", "--output", dir], shell: "'\(helper)'")
            #expect(auto.status == 0, "\(auto.stderr)")
            #expect(auto.stdout.contains("engine=epoll"))
            #expect(auto.stdout.contains("auto chose epoll: io_uring unavailable: io_uring_setup failed: EPERM"))
        }
    }
}
