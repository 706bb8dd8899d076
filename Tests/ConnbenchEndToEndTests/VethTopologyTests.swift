@preconcurrency import Glibc
import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// `run --topology veth`: the built-in listener in a namespace of its own across a veth
    /// pair, each side's tunables and counters apart, and nothing left behind.
    @Suite(.serialized)
    struct VethTopologyTests {
        static func config(family: Int = 4, rate: Double, duration: String) -> RunConfig {
            var c = TestSupport.config(rate: .fixed(perSecond: rate), duration: duration, workers: 1)
            c.topology = .veth
            c.veth.family = family
            return c
        }

        @Test(.needsRoot, arguments: [4, 6])
        func aRunCrossesTheVethIntoTheListenersOwnNamespace(family: Int) throws {
            let r = try BenchmarkRunner.run(Self.config(family: family, rate: 2000, duration: "500ms"))
            TestSupport.expectBalanced(r)
            #expect(r.tally.established > 0)
            #expect(r.topology == .veth)
            let l = try #require(r.listenerNamespace)
            #expect(l.family == family)
            #expect(l.listenerAddress.hasPrefix(family == 6 ? "[fd00:cb::2]:" : "10.203.0.2:"), "\(l.listenerAddress)")
            // Every connect the client saw established finished its handshake on the
            // listener's side (no overflow there: the final ACK was not dropped), so the
            // listener's namespace counted at least that many passive opens; the listener
            // accepted at most those. It accepts as they come, so all but the last few.
            #expect(l.kernel.counter(.listenOverflows)?.delta == 0)
            let passive = try #require(l.kernel.counter(.passiveOpens)).delta
            #expect(passive >= Int64(r.tally.established), "passive opens \(passive), established \(r.tally.established)")
            #expect(Int64(l.side.accepted) <= passive)
            #expect(Double(l.side.accepted) >= 0.99 * Double(r.tally.established), "accepted \(l.side.accepted)")
            // The generator's namespace saw only active opens: the listener is not there.
            #expect(r.kernel.counter(.passiveOpens)?.delta == 0)
            #expect(Int64(r.tally.established) <= r.kernel.counter(.activeOpens)?.delta ?? 0)
            // Two namespaces, both created for the run, neither the host's.
            let generator = try #require(r.kernel.namespaceInode)
            let listener = try #require(l.kernel.namespaceInode)
            #expect(generator != listener)
            #expect(r.kernel.namespaceIsInitial == false && l.kernel.namespaceIsInitial == false)
            // --close fin against wait-fin: the client holds TIME_WAIT, in the generator's
            // namespace; the listener's holds none.
            #expect((r.kernel.timeWaitSides?.clientSide ?? 0) > 0)
            #expect(l.side.timeWaitListenerSide == 0)
            let text = TextReporter.render(r)
            #expect(text.contains("kernel: \(r.kernel.release), namespace fresh, created for this run (net:[\(generator)])"), "\(text)")
            #expect(text.contains("listener side (namespace fresh, created for this run (net:[\(listener)]))"), "\(text)")
            #expect(text.contains("topology=veth\nfamily=\(family)\n"))
            let csv = Dictionary(uniqueKeysWithValues: zip(CSVReporter.summaryColumns, CSVReporter.summaryRow(r)))
            #expect(csv["topology"] == "veth" && csv["family"] == String(family))
            #expect(csv["listener_netns_inode"] == String(listener))
            #expect(csv["listener_d_listen_overflows"] == "0")
        }

        @Test(.needsRoot) func eachSidesSysctlsLandOnlyOnThatSide() throws {
            let hostFin = ProcFiles.read("/proc/sys/net/ipv4/tcp_fin_timeout")
            let hostSomaxconn = ProcFiles.read("/proc/sys/net/core/somaxconn")
            var c = Self.config(rate: 500, duration: "300ms")
            c.isolation.sysctls = [SysctlSetting(key: "net.ipv4.tcp_fin_timeout", value: "31")]
            c.veth.listenerSysctls = [SysctlSetting(key: "net.ipv4.tcp_fin_timeout", value: "47"),
                                      SysctlSetting(key: "net.core.somaxconn", value: "77")]
            let r = try BenchmarkRunner.run(c)
            let l = try #require(r.listenerNamespace)
            #expect(r.kernel.tunable("net.ipv4.tcp_fin_timeout") == "31")
            #expect(l.kernel.tunable("net.ipv4.tcp_fin_timeout") == "47")
            #expect(l.kernel.tunable("net.core.somaxconn") == "77")
            #expect(r.kernel.tunable("net.core.somaxconn") != "77")
            #expect(r.kernel.sysctlsApplied == c.isolation.sysctls)
            #expect(l.kernel.sysctlsApplied == c.veth.listenerSysctls)
            // The listener really runs under the listener side's somaxconn.
            #expect(r.listener?.backlog == 77)
            #expect(Set(l.tunablesDiffering(from: r.kernel).map(\.key)) == ["net.ipv4.tcp_fin_timeout", "net.core.somaxconn"])
            #expect(TextReporter.render(r).contains("somaxconn=77 (generator "))
            // Never the host's.
            #expect(ProcFiles.read("/proc/sys/net/ipv4/tcp_fin_timeout") == hostFin)
            #expect(ProcFiles.read("/proc/sys/net/core/somaxconn") == hostSomaxconn)
        }

        /// A never-accept listener's queue fills and stays full (a reset connection stays
        /// queued until accepted), so the overflow is on the listener's side alone and the
        /// connects behind it never complete: no SYN retry can succeed here.
        @Test(.needsRoot) func aNeverAcceptListenerOverflowsOnItsOwnSide() throws {
            var c = Self.config(rate: 200, duration: "1s")
            c.timeoutNs = 5_000_000_000
            c.listener.mode = .neverAccept
            c.listener.backlog = 8
            let r = try BenchmarkRunner.run(c)
            TestSupport.expectBalanced(r)
            let l = try #require(r.listenerNamespace)
            #expect((l.kernel.counter(.listenOverflows)?.delta ?? 0) > 0)
            #expect((l.side.delta(.listenOverflows) ?? 0) > 0)
            #expect(r.kernel.counter(.listenOverflows)?.delta == 0, "the generator's namespace has no listener")
            // Linux queues one more than the backlog.
            #expect(r.tally.established > 0 && r.tally.established <= 9, "\(r.tally)")
            let tail = try #require(r.verdict.tail, "\(r.verdict.line)")
            #expect(tail.contains("TcpExt.ListenOverflows +") && tail.contains("on the listener's side"), "\(tail)")
            let csv = Dictionary(uniqueKeysWithValues: zip(CSVReporter.summaryColumns, CSVReporter.summaryRow(r)))
            #expect((Int(csv["listener_d_listen_overflows"] ?? "") ?? 0) > 0)
        }

        /// An accepting listener with a backlog of 1, on the worker's CPU: it cannot run
        /// while the worker sends, so bursts overflow its queue, the dropped SYNs are sent
        /// again after 1 s, and by then there is room. Overflow depends on scheduling (a
        /// suite run once saw none in three runs at 4000/s), so up to four runs at rising
        /// rates, each burstier; every assertion holds for the run that overflowed.
        @Test(.needsRoot) func anOverflowOnTheListenersSideShowsAsTheOneSecondSYNRetryStep() throws {
            let cpu = try #require(try CPUAffinity.allowedCPUs().first)
            // 3 s, so that an overflow in the first half has its 1 s retry inside the window.
            var c = Self.config(rate: 4000, duration: "3s")
            c.cpus = [cpu]
            c.timeoutNs = 5_000_000_000
            c.listener.mode = .acceptClose
            c.listener.backlog = 1
            c.listener.threads = 1
            c.listener.cpus = [cpu]
            var report: RunReport?
            var tries: [String] = []
            for rate in [4000.0, 8000, 16000, 16000] {
                c.rate = .fixed(perSecond: rate)
                let r = try BenchmarkRunner.run(c)
                let overflows = r.listenerNamespace?.kernel.counter(.listenOverflows)?.delta ?? 0
                let stepped = r.histograms.service.count(within: 900_000_000...1_500_000_000)
                tries.append("\(Int(rate))/s: overflows \(overflows), connects in the 1 s step \(stepped), service \(r.service)")
                // An overflow late in the window retries after it; the run must show the step.
                if overflows > 0 && stepped > 0 {
                    report = r
                    break
                }
            }
            let r = try #require(report, "no run showed a listener-side overflow and the 1 s step: \(tries)")
            TestSupport.expectBalanced(r)
            let tail = try #require(r.verdict.tail, "\(r.verdict.line)")
            #expect(tail.contains("connects took ~1 s") && tail.contains("SYNs dropped and retransmitted"), "\(tail)")
            #expect(tail.contains("TcpExt.ListenOverflows +") && tail.contains("on the listener's side"), "\(tail)")
        }

        /// Where the kernel has netem, the delay must show in every connect; where it has
        /// not, one line naming netem. Which branch runs is the binary's answer, checked
        /// against the kernel's config when it can be read.
        @Test(.needsRoot) func delayNeedsNetemAndSaysSoInOneLine() throws {
            let config = try TestSupport.shell("zcat /proc/config.gz 2>/dev/null | grep -E '^(# )?CONFIG_NET_SCH_NETEM[= ]'")
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--topology", "veth", "--delay", "10ms", "--rate", "200", "--duration", "500ms",
                                         "--workers", "1", "--output", dir], timeLimit: 30)
            if o.status == 0 {
                #expect(!config.contains("is not set"), "ran with netem on a kernel without it: \(config)")
                let s = try TestSupport.summary(dir)
                #expect(s["delay_ms"] == "10.000")
                let p50 = try #require(Double(s["service_p50_us"] ?? ""))
                #expect(p50 >= 10_000, "service p50 \(p50) µs with 10 ms added")
            } else {
                #expect(!config.contains("=y"), "netem is built in but --delay failed: \(o.stderr)")
                #expect(o.stderr.split(separator: "\n").count == 1, "\(o.stderr)")
                #expect(o.stderr.contains("--delay needs the netem qdisc"), "\(o.stderr)")
                #expect(o.stdout.isEmpty, "the check comes before anything is printed")
                #expect(!FileManager.default.fileExists(atPath: dir + "/summary.csv"))
            }
        }

        @Test(arguments: [
            (["--delay", "10ms"], "--delay"),
            (["--family", "6"], "--family"),
            (["--topology", "veth", "--family", "5"], "--family"),
            (["--listener-sysctl", "net.core.somaxconn=64"], "--listener-sysctl"),
            (["--topology", "veth", "--target", "127.0.0.1:80"], "--topology veth"),
            (["--topology", "veth", "--listener-address", "::1"], "--listener-address"),
            (["--topology", "mesh"], "--topology"),
        ])
        func invalidVethOptionsGiveOneLine(arguments: [String], flag: String) throws {
            TestSupport.expectOneLineError(try TestSupport.run(arguments, timeLimit: 30), naming: flag)
        }

        /// Found only when the lab writes it in the listener's namespace: still one line.
        @Test(.needsRoot)
        func anUnknownListenerTunableIsNamedWithItsFlag() throws {
            let o = try TestSupport.run(["--topology", "veth", "--listener-sysctl", "net.ipv4.no_such_tunable=1",
                                         "--duration", "100ms"], timeLimit: 30)
            TestSupport.expectOneLineError(o, naming: "--listener-sysctl")
        }

        /// What the host shows that a run could leave behind: named namespaces (other than
        /// test labs of other processes, which a neighbour's tests may be making), host
        /// interfaces, and processes of this binary.
        static func hostSnapshot() throws -> [String] {
            let me = "\(VethLab.prefix)\(getpid())-"
            let netns = try TestSupport.shell("ip netns list").split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix(VethLab.prefix) || $0.hasPrefix(me) }
            let links = try TestSupport.shell("ip -o link | awk -F': ' '{print $2}'").split(separator: "\n").map(String.init)
            let procs = try TestSupport.shell("pgrep -f '^\(TestSupport.binary)' || true").split(separator: "\n").map(String.init)
            return ["netns:"] + netns.sorted() + ["links:"] + links.sorted() + ["processes:"] + procs.sorted()
        }

        @Test(.needsRoot, arguments: [nil, SIGINT, SIGTERM] as [Int32?])
        func aVethRunLeavesNothingBehindAlsoWhenInterrupted(signal: Int32?) throws {
            let before = try Self.hostSnapshot()
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--topology", "veth", "--rate", "1000", "--workers", "1",
                                         "--duration", signal == nil ? "500ms" : "30s", "--output", dir],
                                        timeLimit: 30, interruptAfter: signal == nil ? nil : 1.5, signal: signal ?? SIGINT)
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("listener side (namespace"), "\(o.stdout)")
            #expect(o.stdout.contains("verdict:"))
            if signal != nil {
                #expect(o.stdout.contains("(interrupted after"), "\(o.stdout)")
                #expect(try TestSupport.summary(dir)["interrupted"] == "true")
            }
            // The namespaces go when the process's threads do; give the kernel's cleanup a
            // moment before comparing (nothing is named, so only links could lag).
            var after = try Self.hostSnapshot()
            for _ in 0..<20 where after != before {
                usleep(100_000)
                after = try Self.hostSnapshot()
            }
            #expect(after == before)
        }
    }
}
