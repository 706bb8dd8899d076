import ConnReport
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// The veth lab itself: a run crosses it, and closing it leaves nothing in the host.
    @Suite(.serialized)
    struct VethLabTests {
        @Test(.needsRoot) func aRunCrossesTheVethToTheListenerNamespaceAndCloseLeavesNothing() throws {
            // A lab left by a test process that died: its pid is above pid_max, so surely gone.
            let pidMax = Int(ProcFiles.read("/proc/sys/kernel/pid_max")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 4_194_304
            let stale = "\(VethLab.prefix)\(pidMax + 1)-1a"
            try VethLab.ip(["netns", "add", stale])
            let hostAddressesBefore = try TestSupport.shell("ip -o addr")
            let lab = try VethLab()
            defer { lab.close() }
            #expect(!(try VethLab.labNamespaces()).contains(stale), "a dead process's lab was left")
            #expect(try TestSupport.shell("ip -o addr") == hostAddressesBefore, "the host got an address")
            #expect(!(try TestSupport.shell("ip -o link")).contains("cbv"), "a veth end is in the host namespace")
            #expect(!(try TestSupport.shell("ip route")).contains("10.199."), "the host got a route")

            let port: UInt16 = 5301
            let listener = try lab.startListener(port: port, arguments: ["--duration", "20s"])
            let queue = try #require(try lab.acceptQueue(port: port))
            #expect(queue.queued == 0 && queue.backlog > 0, "\(queue)")
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try lab.run(inGenerator: ["--target", "\(lab.listenerIP):\(port)", "--rate", "500", "--duration", "1s",
                                              "--workers", "1", "--output", dir], timeLimit: 20)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            let rows = CSV.parse(try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8))
            let summary = Dictionary(zip(rows.first ?? [], rows.dropFirst().first ?? []), uniquingKeysWith: { a, _ in a })
            let established = try #require(Int(summary["established"] ?? ""), "summary: \(summary)")
            #expect(established > 0)
            let accepted = listener.stop().stdout
            #expect(accepted.contains("accepted="), "listener stdout: \(accepted)")
            #expect(try lab.netstat()["TcpExt.ListenOverflows"] == 0)

            lab.close()
            let names = try VethLab.labNamespaces()
            #expect(!names.contains(lab.generator) && !names.contains(lab.listener), "left: \(names)")
            #expect(!(try TestSupport.shell("ip -o link")).contains("cbv"))
        }

        @Test(.needsRoot) func aListenerThatNeverAcceptsFillsItsQueueAndOverflows() throws {
            let lab = try VethLab()
            defer { lab.close() }
            let port: UInt16 = 5302
            _ = try lab.startListener(port: port, arguments: ["--no-accept", "--backlog", "4", "--duration", "20s"])
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try lab.run(inGenerator: ["--target", "\(lab.listenerIP):\(port)", "--rate", "200", "--duration", "500ms",
                                              "--workers", "1", "--timeout", "200ms", "--output", dir],
                                timeLimit: 20)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            let queue = try #require(try lab.acceptQueue(port: port))
            // Linux queues one more than the backlog before it drops.
            #expect(queue.backlog == 4)
            #expect(queue.queued == 5, "\(queue)")
            #expect((try lab.netstat()["TcpExt.ListenOverflows"] ?? 0) > 0)
        }
    }
}
