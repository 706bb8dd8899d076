import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing

/// `--target name:port`: numeric targets never meet the resolver, names resolve once.
struct NameResolutionTests {
    /// A resolver that answers from a table and records who asked.
    final class FakeResolver: @unchecked Sendable {
        var asked: [String] = []
        let table: [String: [String]]
        init(_ table: [String: [String]]) { self.table = table }

        func resolve(_ host: String, _ port: UInt16) throws(NameResolver.Failure) -> [SocketAddress] {
            asked.append(host)
            guard let ips = table[host] else { throw NameResolver.Failure(code: -2, description: "Name or service not known") }
            return ips.map { SocketAddress(ip: $0, port: port)! }
        }
    }

    @Test(arguments: ["127.0.0.1:80", "[::1]:80", "unix:/tmp/x.sock", "10.1.2.3:9"])
    func numericTargetsNeverCallTheResolver(text: String) throws {
        let spec = try TargetParser.parseSpec(text)
        guard case .address(let a) = spec else { Issue.record("\(text) parsed as a name"); return }
        let fake = FakeResolver([:])
        let r = try TargetResolution.resolve([spec], mode: .all, resolver: fake.resolve)
        #expect(fake.asked.isEmpty)
        #expect(r.targets == [a])
        #expect(r.names.isEmpty)
    }

    @Test(arguments: ["localhost:80", "example:80", "cbtarget.test:5001", "a-b_c.example.:1"])
    func hostNamesStayNames(text: String) throws {
        guard case .name(_, _, let typed) = try TargetParser.parseSpec(text) else { Issue.record("\(text) is not a name"); return }
        #expect(typed == text)
    }

    /// Digits and dots alone would be read by getaddrinfo as an inet_aton address.
    @Test(arguments: ["1.2.3:80", "bad!host:80", ":80", "[example]:80", "host.example:0"])
    func notANameAndNotAnAddressIsAParseError(text: String) {
        #expect(throws: TargetParser.Failure.self) { try TargetParser.parseSpec(text) }
    }

    @Test func firstTakesTheFirstAddressAndAllTakesEveryOneInOrder() throws {
        let fake = FakeResolver(["example": ["10.1.2.3", "fd00::3"]])
        let specs = [try TargetParser.parseSpec("example:80"), try TargetParser.parseSpec("127.0.0.1:81"), try TargetParser.parseSpec("example:80")]
        let first = try TargetResolution.resolve(specs, mode: .first, resolver: fake.resolve)
        #expect(first.targets.map(\.description) == ["10.1.2.3:80", "127.0.0.1:81", "10.1.2.3:80"])
        #expect(fake.asked == ["example"], "a name typed twice is resolved once")
        #expect(first.names == [ResolvedName(name: "example", port: 80, addresses: [SocketAddress(ip: "10.1.2.3", port: 80)!, SocketAddress(ip: "fd00::3", port: 80)!])])
        #expect(first.names[0].lineText == "example:80 -> 10.1.2.3, [fd00::3]")
        #expect(first.names[0].csvText == "example:80=10.1.2.3|[fd00::3]")
        let all = try TargetResolution.resolve(Array(specs.prefix(2)), mode: .all, resolver: fake.resolve)
        #expect(all.targets.map(\.description) == ["10.1.2.3:80", "[fd00::3]:80", "127.0.0.1:81"])
    }

    @Test func aNameThatDoesNotResolveIsOneLineNamingIt() throws {
        let fake = FakeResolver([:])
        let spec = try TargetParser.parseSpec("nosuchhost.invalid:80")
        #expect(throws: TargetParser.Failure(description: "--target 'nosuchhost.invalid:80': name does not resolve (Name or service not known)")) {
            try TargetResolution.resolve([spec], mode: .first, resolver: fake.resolve)
        }
    }

    /// The real getaddrinfo, through the hosts file: no AI_ADDRCONFIG, so this holds in a
    /// fresh namespace with only loopback too.
    @Test(.needsRoot) func localhostResolvesThroughTheHostsFile() throws {
        let addresses = try NameResolver.resolve(host: "localhost", port: 80)
        #expect(addresses.contains(SocketAddress(ip: "127.0.0.1", port: 80)!))
        #expect(Set(addresses).count == addresses.count)
        let fresh = try NetNamespace.onFreshThread { try? NameResolver.resolve(host: "localhost", port: 80) }.get()
        #expect(fresh?.contains(SocketAddress(ip: "127.0.0.1", port: 80)!) == true)
    }
}

extension HeavySuites {
    /// The real binary against names from a namespace's own hosts file: `ip netns exec NS`
    /// bind-mounts /etc/netns/NS/hosts over /etc/hosts, so the names exist only there.
    @Suite(.serialized)
    struct NameResolutionRunTests {
        static let port: UInt16 = 5001

        /// A namespace `cbn<pid>` with loopback up and a hosts file; deleted (with its
        /// /etc/netns folder) when the returned cleanup runs, and before, any `cbn*` left
        /// by a test process that no longer exists.
        static func makeNamespace() throws -> (name: String, cleanup: () -> Void) {
            for stale in try TestSupport.shell("ip netns list").split(separator: "\n").compactMap({ $0.split(separator: " ").first }) {
                guard stale.hasPrefix("cbn"), let pid = Int32(stale.dropFirst(3)), kill(pid, 0) != 0, errno == ESRCH else { continue }
                _ = try? TestSupport.shell("ip netns del \(stale) 2>&1; rm -rf /etc/netns/\(stale)")
            }
            let name = "cbn\(getpid())"
            let cleanup = { _ = try? TestSupport.shell("ip netns del \(name) 2>&1; rm -rf /etc/netns/\(name)") }
            cleanup()
            _ = try TestSupport.shell("ip netns add \(name) && ip -n \(name) link set lo up && mkdir -p /etc/netns/\(name)")
            let hosts = "127.0.0.1 cbtarget.test cbboth.test\n::1 cbtarget6.test cbboth.test\n"
            try hosts.write(toFile: "/etc/netns/\(name)/hosts", atomically: true, encoding: .utf8)
            return (name, cleanup)
        }

        /// `connbench listen` on each address inside the namespace, up once `ss` shows it.
        static func startListeners(in ns: String, addresses: [String]) throws -> [Process] {
            var started: [Process] = []
            for address in addresses {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/bash")
                p.arguments = ["-c", "exec ip netns exec \(ns) '\(TestSupport.binary)' listen --address \(address) --port \(port) --threads 1 --duration 20s"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                started.append(p)
            }
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let listening = try TestSupport.shell("ip netns exec \(ns) ss -ltnH")
                if addresses.allSatisfy({ a in listening.contains(a.contains(":") ? "[\(a)]:\(port)" : "\(a):\(port)") }) { return started }
                usleep(50_000)
            }
            for p in started { p.terminate() }
            throw TestSupport.Failure("listeners on \(addresses) in \(ns) did not come up")
        }

        static func stop(_ listeners: [Process]) {
            for p in listeners where p.isRunning { p.terminate(); p.waitUntilExit() }
        }

        @Test(.needsRoot, arguments: [("cbtarget.test", "127.0.0.1", "127.0.0.1"), ("cbtarget6.test", "::1", "[::1]")])
        func aNameFromTheNamespacesHostsFileIsResolvedAndConnectedTo(name: String, listen: String, printed: String) throws {
            let ns = try Self.makeNamespace()
            defer { ns.cleanup() }
            let listeners = try Self.startListeners(in: ns.name, addresses: [listen])
            defer { Self.stop(listeners) }
            let dir = TestSupport.temporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--target", "\(name):\(Self.port)", "--rate", "200", "--duration", "500ms", "--workers", "1", "--output", dir],
                                        shell: "exec ip netns exec \(ns.name)", timeLimit: 30)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            let s = try TestSupport.summary(dir)
            #expect((s["established"].flatMap { UInt64($0) } ?? 0) > 0)
            #expect(s["failed"] == "0")
            #expect(s["target"] == "\(name):\(Self.port)")
            #expect(s["resolved"] == "\(name):\(Self.port)=\(printed)")
            #expect(o.stdout.contains("resolved: \(name):\(Self.port) -> \(printed)\n"))
        }

        @Test(.needsRoot) func resolveAllMakesEveryAddressOfANameATarget() throws {
            let ns = try Self.makeNamespace()
            defer { ns.cleanup() }
            let listeners = try Self.startListeners(in: ns.name, addresses: ["127.0.0.1", "::1"])
            defer { Self.stop(listeners) }
            let dir = TestSupport.temporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["--target", "cbboth.test:\(Self.port)", "--resolve", "all", "--rate", "200", "--duration", "500ms",
                                         "--workers", "1", "--output", dir], shell: "exec ip netns exec \(ns.name)", timeLimit: 30)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            let s = try TestSupport.summary(dir)
            #expect((s["established"].flatMap { UInt64($0) } ?? 0) > 0)
            #expect(s["failed"] == "0")
            let resolved = try #require(s["resolved"])
            #expect(resolved.hasPrefix("cbboth.test:\(Self.port)="))
            #expect(Set(resolved.split(separator: "=").last!.split(separator: "|")) == ["127.0.0.1", "[::1]"])
            // Both addresses are targets: the run's status line lists what it connects to.
            #expect(o.stderr.contains("127.0.0.1:\(Self.port)") && o.stderr.contains("[::1]:\(Self.port)"), "stderr: \(o.stderr)")
            #expect(o.stdout.contains("resolve=all\n"))
        }

        @Test func aNameThatDoesNotResolveIsOneStderrLineNamingItAndNonZeroExit() throws {
            let o = try TestSupport.run(["--target", "nosuchhost.invalid:80", "--duration", "100ms"], timeLimit: 30)
            TestSupport.expectOneLineError(o, naming: "--target 'nosuchhost.invalid:80': name does not resolve (")
            #expect(o.stderr.hasPrefix("connbench: error: "), "stderr: \(o.stderr)")
        }
    }
}
