@preconcurrency import Glibc
import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// connbench against servers it did not write, each in a namespace of its own across a
    /// veth pair, with only connbench in the generator's namespace: its figures are set
    /// against the kernel's counters there, read by the test itself.
    @Suite(.serialized)
    struct PeerServerTests {
        static var python: String? { SpawnedProgram.locate("python3") }

        /// Python's http.server with an accept queue of 8 and 5 ms of work per connection
        /// (about 200 accepts/s): at 1500/s most SYNs find the queue full and are dropped,
        /// so connects retransmit, time out, and are still in SYN_SENT when the run ends.
        static let slowHTTPServer = """
            import http.server, sys, time
            class Handler(http.server.BaseHTTPRequestHandler):
                def setup(self):
                    time.sleep(0.005)
                    super().setup()
                def log_message(self, *args):
                    pass
            class Server(http.server.HTTPServer):
                request_queue_size = 8
            Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
            """

        /// A listener that resets every connection it accepts (SO_LINGER 0, then close).
        static let resettingServer = """
            import socket, struct, sys
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(4096)
            while True:
                c, _ = s.accept()
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            """

        /// Starts `script` under python3 in the lab's listener namespace on `port`, and
        /// returns once the port listens. The process is the caller's to stop.
        static func startServer(_ script: String, lab: VethLab, port: UInt16) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            p.arguments = ["netns", "exec", lab.listener, try #require(python), "-c", script, lab.listenerIP, String(port)]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(10)
            while try lab.acceptQueue(port: port) == nil {
                guard p.isRunning, Date() < deadline else {
                    stop(p)
                    throw TestSupport.Failure("python server on \(lab.listenerIP):\(port) not listening")
                }
                usleep(20_000)
            }
            return p
        }

        static func stop(_ p: Process) {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }

        /// connbench in the lab's generator namespace; its report.json.
        static func run(_ lab: VethLab, port: UInt16, _ arguments: [String]) throws -> RunReport {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try lab.run(inGenerator: ["--target", "\(lab.listenerIP):\(port)", "--quiet", "--output", dir] + arguments)
            #expect(o.status == 0, "\(o.stderr)")
            return try ReportJSON.parse(try String(contentsOfFile: dir + "/report.json", encoding: .utf8))
        }

        /// Every retransmitted SYN is counted, whatever became of its connect: the sum of
        /// `tcpi_total_retrans` equals the kernel's own count in the generator's namespace.
        @Test(.needsRoot, .enabled(if: python != nil, "needs python3"))
        func retransmittedSYNsMatchTheKernelsCountOverEveryEnding() throws {
            let lab = try VethLab()
            defer { lab.close() }
            let server = try Self.startServer(Self.slowHTTPServer, lab: lab, port: 8080)
            defer { Self.stop(server) }
            let before = try lab.netstat(ns: lab.generator)
            let r = try Self.run(lab, port: 8080, ["--rate", "1500", "--duration", "3s", "--timeout", "1500ms",
                                                   "--workers", "1", "--concurrency", "6000", "--close", "fin"])
            let after = try lab.netstat(ns: lab.generator)
            TestSupport.expectBalanced(r)
            let kernel = try #require(after["TcpExt.TCPSynRetrans"]) - (before["TcpExt.TCPSynRetrans"] ?? 0)
            let d = try #require(r.synRetransmitDetail)
            // The run overflowed the server hard: connects timed out after a retransmit and
            // were still retrying when it ended.
            #expect(kernel >= 100, "TCPSynRetrans +\(kernel)")
            #expect(d.timedOut > 0 && d.inFlight > 0, "\(d)")
            #expect(r.synRetransmits == d.connects)
            #expect(Swift.abs(Double(d.segments) - Double(kernel)) <= 0.01 * Double(kernel),
                    "syn_retransmit_segments \(d.segments), kernel TcpExt.TCPSynRetrans +\(kernel): \(d)")
            // The report's own counter read agrees with the test's.
            #expect(r.kernel.counter(.synRetransmits)?.delta == kernel)
            let text = TextReporter.render(r)
            #expect(text.contains("\(d.segments) SYN segment(s) retransmitted in all"), "\(text)")
            #expect(!r.verdict.line.contains("Tcp.RetransSegs"), "\(r.verdict.line)")
        }

        /// A peer that resets every connection leaves the client no TIME_WAIT: the port
        /// budget says so and does not predict from TIME_WAIT reuse.
        @Test(.needsRoot, .enabled(if: python != nil, "needs python3"))
        func aResettingPeerIsNotAssumedToLeaveTheClientTimeWait() throws {
            let lab = try VethLab()
            defer { lab.close() }
            let server = try Self.startServer(Self.resettingServer, lab: lab, port: 8081)
            defer { Self.stop(server) }
            let r = try Self.run(lab, port: 8081, ["--rate", "2000", "--duration", "2s", "--workers", "1", "--close", "fin"])
            TestSupport.expectBalanced(r)
            #expect(r.tally.established > 1000)
            #expect(r.kernel.timeWaitSides?.clientSide == 0, "\(String(describing: r.kernel.timeWaitSides))")
            let b = try #require(r.portBudget)
            #expect(b.inputs.timeWaitHolder == .peerEnded, "\(b.inputs)")
            #expect(b.holdSeconds == 0 && b.sustainableRate == nil && b.onsetKind == nil)
            #expect(b.inFlightPorts != nil)
            let text = TextReporter.render(r)
            #expect(text.contains("the peer ended the connections"), "\(text)")
            #expect(text.contains("seen: 0 TIME_WAIT held by this side at the end"), "\(text)")
            #expect(!text.contains("TIME_WAIT reused after"), "\(text)")
        }

        /// Closed loop against a port nothing listens on: every connect is refused, and the
        /// loop starts the next as soon as the kernel answered (no pause of its own: it
        /// used to wait 1 ms after each, and reported ~990/s).
        @Test func aClosedLoopAgainstARefusingPortIsNotPaced() throws {
            var c = TestSupport.config(rate: .max, duration: "1s")
            c.targets = [try #require(SocketAddress(ip: "127.0.0.1", port: try TestSupport.closedPort()))]
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            #expect(r.tally.established == 0 && r.tally.failed == r.tally.attempts)
            #expect(r.errors.allSatisfy { $0.name == "ECONNREFUSED" }, "\(r.errors)")
            #expect(r.achievedRate >= 5000, "achieved \(r.achievedRate)/s")
        }
    }
}
