import ConnEngine
import ConnModel
import Foundation
import ConnSys
import Glibc
import Testing

extension HeavySuites {
    /// Each listener mode's signature, seen from both ends: the generator's tally, the
    /// listener's side report and the TIME_WAIT table. Every case runs in a fresh
    /// namespace, so the counters and TIME_WAIT sockets are the test's own (other runs on
    /// this machine share the host's).
    @Suite(.serialized)
    struct ListenerModeTests {
        struct Failed: Error, CustomStringConvertible { let description: String }

        /// What a short run against one listener left behind.
        struct Outcome: Sendable {
            var run: RunReport
            /// Read after the listener has closed what it held, before it stopped.
            var side: ListenerSideReport
            var timeWait: TimeWaitSides?
            var acceptedAfterStop: UInt64
            var closedAfterStop: UInt64
        }

        /// A listener in `mode` and a 400/s, 500 ms open-loop run against it (client closes
        /// with FIN), in a fresh namespace.
        static func run(_ mode: ListenerMode, backlog: Int32 = 4096) throws -> Outcome {
            let result = NetNamespace.onFreshThread { () -> Result<Outcome, Failed> in
                do {
                    var lc = ListenerConfig()
                    lc.mode = mode
                    lc.threads = 1
                    lc.backlog = backlog
                    let listener = try Listener(config: lc)
                    defer { listener.stop() }
                    var c = TestSupport.config(rate: .fixed(perSecond: 400), duration: "500ms")
                    c.targets = [listener.address]
                    c.close = .fin
                    c.timeoutNs = 300_000_000
                    let r = try BenchmarkRunner.run(c)
                    // The last FINs may still be on their way: let the listener close what
                    // it holds, and the client's sockets reach TIME_WAIT.
                    _ = ListenerAndKernelTests.eventually { listener.heldConnections == 0 }
                    usleep(50_000)
                    let side = listener.sideReport()
                    let tw = TcpSocketTable.timeWaitSides(listenerPorts: [listener.address.port])
                    listener.stop()
                    return .success(Outcome(run: r, side: side, timeWait: tw, acceptedAfterStop: listener.acceptedCount,
                                            closedAfterStop: listener.closedCount))
                } catch {
                    return .failure(Failed(description: "\(error)"))
                }
            }
            switch result {
            case .success(.success(let o)): return o
            case .success(.failure(let f)): throw f
            case .failure(let f): throw Failed(description: "fresh namespace: \(f)")
            }
        }

        @Test(.needsRoot, arguments: ListenerMode.allCases)
        func eachModeBalancesAndShowsItsSignature(mode: ListenerMode) throws {
            let o = try Self.run(mode, backlog: mode == .neverAccept ? 8 : 4096)
            let t = o.run.tally
            TestSupport.expectBalanced(o.run)
            #expect(o.side.mode == mode)
            // The listener's own identity: everything it accepted, it closed (after stop,
            // nothing is held).
            #expect(o.acceptedAfterStop == o.closedAfterStop, "accepted \(o.acceptedAfterStop), closed \(o.closedAfterStop)")
            #expect(o.side.accepted == o.side.closed + UInt64(o.side.heldNow))
            let tw = try #require(o.timeWait)
            switch mode {
            case .acceptClose:
                #expect(t.established > 150, "\(t)")
                // Both ends race to the first FIN; the listener wins some of the time.
                #expect(tw.listenerSide > 0, "\(tw)")
                #expect(o.side.timeWaitListenerSide == tw.listenerSide)
                #expect(o.side.heldPeak == 0)
            case .waitFin, .hold:
                #expect(t.established > 150, "\(t)")
                #expect(tw.clientSide == Int(t.established), "\(tw), established \(t.established)")
                #expect(tw.listenerSide == 0)
                #expect(o.side.accepted == t.established)
                // The generator closes at once, so little is held at a time; but something is.
                #expect(o.side.heldPeak > 0)
                #expect(o.side.heldNow == 0)
            case .neverAccept:
                #expect(o.side.accepted == 0)
                #expect(t.established <= 8 + 1, "\(t)")
                #expect(t.timedOut > 0, "\(t)")
                #expect((o.side.delta(.listenOverflows) ?? 0) > 0, "\(o.side.counters)")
            }
        }

        /// Across the veth lab: `listen --stats-port` serves its side report, `run
        /// --listener-stats` prints the listener side beside the generator's figures, and
        /// `listen` prints the same on exit, `accepted=` first; the listen-queue counters it
        /// prints equal the lab's own reading of the listener's namespace.
        @Test(.needsRoot) func aRemoteListenersStatsEqualTheLabsOwnReadingOfItsNamespace() throws {
            let lab = try VethLab()
            defer { lab.close() }
            let port: UInt16 = 5311, statsPort: UInt16 = 5312
            let listener = try lab.startListener(port: port, arguments: ["--mode", "never-accept", "--backlog", "8",
                                                                         "--stats-port", String(statsPort), "--duration", "20s"])
            #expect(ListenerAndKernelTests.eventually { (try? lab.acceptQueue(port: statsPort)) != nil }, "no stats port")
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let labBefore = try lab.netstat()
            let o = try lab.run(inGenerator: ["--target", "\(lab.listenerIP):\(port)", "--rate", "200", "--duration", "500ms",
                                              "--workers", "1", "--timeout", "200ms", "--output", dir,
                                              "--listener-stats", "\(lab.listenerIP):\(statsPort)"], timeLimit: 20)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            #expect(o.stdout.contains("listener side (from \(lab.listenerIP):\(statsPort)"), "stdout: \(o.stdout)")
            #expect(o.stdout.contains("mode never-accept"))
            #expect(o.stdout.contains("accepted 0,"))
            // The generator has exited, so no SYN of its can still arrive: the lab's own
            // reading of the listener's namespace must match the section to the count.
            let labAfter = try lab.netstat()
            let line = o.stdout.split(separator: "\n").first { $0.contains("counters during the run") } ?? ""
            var printed: [String: Int64] = [:]
            for field in line.split(separator: ":", maxSplits: 1).last?.split(separator: ",") ?? [] {
                let parts = field.split(separator: " ")
                if parts.count == 2, let v = Int64(parts[1]) { printed[String(parts[0])] = v }
            }
            #expect((printed["TcpExt.ListenOverflows"] ?? 0) > 0, "line: \(line)")
            for name in KernelCounter.listenQueue.map(\.rawValue) {
                let labDelta = (labAfter[name] ?? 0) - (labBefore[name] ?? 0)
                #expect(printed[name] == labDelta, "\(name): printed \(printed[name].map(String.init) ?? "none"), lab \(labDelta); line: \(line)")
            }
            let out = listener.stop().stdout
            let lines = out.split(separator: "\n")
            #expect(lines.first == "accepted=0", "listener stdout: \(out)")
            let listenOverflows = lines.first { $0.hasPrefix("TcpExt.ListenOverflows=") }.flatMap { Int($0.split(separator: "=")[1]) }
            #expect((listenOverflows ?? 0) > 0, "listener stdout: \(out)")
            #expect(lines.contains("mode=never-accept"))
        }

        /// hold never reads: data a client sends leaves the connection held; past the limit
        /// a connection is closed at once and counted; a client's close ends a hold.
        @Test(.needsRoot) func holdKeepsConnectionsOpenUpToItsLimitWithoutReading() throws {
            let result = NetNamespace.onFreshThread { () -> Result<[String], Failed> in
                do {
                    var lc = ListenerConfig()
                    lc.mode = .hold
                    lc.holdLimit = 5
                    lc.threads = 1
                    let listener = try Listener(config: lc)
                    defer { listener.stop() }
                    let clients = try ListenerAndKernelTests.connect(8, to: listener.address)
                    var problems: [String] = []
                    func check(_ ok: Bool, _ what: String) { if !ok { problems.append(what) } }
                    check(ListenerAndKernelTests.eventually { listener.acceptedCount == 8 }, "accepted \(listener.acceptedCount)")
                    check(listener.heldConnections == 5, "held \(listener.heldConnections)")
                    check(listener.closedOverHoldLimit == 3, "over limit \(listener.closedOverHoldLimit)")
                    var bytes = [UInt8](repeating: 7, count: 1000)
                    for c in clients { _ = bytes.withUnsafeMutableBytes { Glibc.send(c.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
                    usleep(200_000)
                    check(listener.heldConnections == 5, "held \(listener.heldConnections) after data")
                    clients.forEach { $0.closeSocket() }
                    check(ListenerAndKernelTests.eventually { listener.heldConnections == 0 }, "held \(listener.heldConnections) after close")
                    let side = listener.sideReport()
                    check(side.heldPeak == 5 && side.closed == 8 && side.closedOverHoldLimit == 3, "\(side)")
                    return .success(problems)
                } catch {
                    return .failure(Failed(description: "\(error)"))
                }
            }
            let problems = try result.get().get()
            #expect(problems.isEmpty, "\(problems)")
        }
    }
}
