@preconcurrency import Glibc
import ConnEngine
import ConnModel
import ConnSys
import Testing

extension HeavySuites {
    /// The built-in listener's close and port choice, the run's namespace identity and the
    /// TIME_WAIT side count: real sockets on loopback, some in fresh namespaces.
    @Suite(.serialized)
    struct ListenerAndKernelTests {
        // MARK: helpers

        /// Blocking loopback clients connected to `address`.
        static func connect(_ n: Int, to address: SocketAddress) throws -> [FileDescriptor] {
            var out: [FileDescriptor] = []
            for _ in 0..<n {
                let fd = try FileDescriptor.socket(domain: address.domain, nonblocking: false)
                out.append(fd)
                _ = try fd.connect(to: address)
            }
            return out
        }

        /// Polls `condition` every millisecond for up to `seconds`.
        static func eventually(_ seconds: Double = 3, _ condition: () -> Bool) -> Bool {
            let end = MonotonicClock.now() + UInt64(seconds * 1e9)
            while MonotonicClock.now() < end {
                if condition() { return true }
                usleep(1000)
            }
            return condition()
        }

        static func listener(close: ListenerClose = .peer, threads: Int = 1, port: UInt16 = 0) throws -> Listener {
            var c = ListenerConfig()
            c.address = SocketAddress(ip: "127.0.0.1", port: port)!
            c.close = close
            c.threads = threads
            return try Listener(config: c)
        }

        enum ClientEnd: String, CaseIterable, Sendable { case fin, rst }

        // MARK: 1. deterministic default close

        @Test func listenerWaitsForTheClientsFINByDefault() throws {
            #expect(ListenerConfig().close == .peer)
            #expect(RunConfig().listener.close == .peer)
            let help = try TestSupport.run(["help", "run"], timeLimit: 20)
            let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(ListenerConfig().mode == .waitFin)
            #expect(flat.contains("--listener-mode"))
            #expect(flat.contains("--listener-close"), "the older name stays")
            #expect(flat.contains("Default: wait-fin"), "help: \(help.stdout)")
        }

        @Test(arguments: ClientEnd.allCases)
        func peerListenerClosesEachConnectionWhenTheClientEndsIt(end: ClientEnd) throws {
            let l = try Self.listener()
            defer { l.stop() }
            let clients = try Self.connect(20, to: l.address)
            #expect(Self.eventually { l.heldConnections == 20 }, "held \(l.heldConnections)")
            for c in clients {
                if end == .rst { try c.setLingerZero() }
                c.closeSocket()
            }
            #expect(Self.eventually { l.heldConnections == 0 }, "held \(l.heldConnections) after \(end)")
            l.stop()
            #expect(l.acceptedCount == 20)
        }

        @Test func stopClosesTheConnectionsStillWaitingForAFIN() throws {
            let l = try Self.listener(threads: 2)
            let clients = try Self.connect(10, to: l.address)
            defer { clients.forEach { $0.closeSocket() } }
            #expect(Self.eventually { l.heldConnections == 10 })
            l.stop()
            #expect(l.heldConnections == 0)
            var byte: UInt8 = 0
            for c in clients {
                // The listener's close arrives as EOF.
                let n = withUnsafeMutableBytes(of: &byte) { (try? c.readDiscarding($0)) ?? -1 }
                #expect(n == 0)
            }
        }

        // MARK: 2. a port outside the ephemeral range

        @Test(arguments: [1, 2, 4])
        func portZeroIsOutsideTheEphemeralRangeAndEveryThreadAccepts(threads: Int) throws {
            let l = try Self.listener(threads: threads)
            defer { l.stop() }
            let range = try EphemeralPorts.current()
            #expect(!range.contains(l.address.port), "port \(l.address.port) in \(range)")
            #expect(l.address.port >= 1024)
            #expect(l.portNote == nil)
            let n = 200
            let clients = try Self.connect(n, to: l.address)
            // Held == n: every connect was accepted, by whichever thread's socket got it.
            #expect(Self.eventually { l.heldConnections == n }, "held \(l.heldConnections)")
            clients.forEach { $0.closeSocket() }
            #expect(Self.eventually { l.heldConnections == 0 })
            l.stop()
            #expect(l.acceptedCount == UInt64(n))
        }

        @Test func listenersInOneProcessNeverShareAPort() throws {
            let listeners = try (0..<3).map { _ in try Self.listener(threads: 2) }
            defer { listeners.forEach { $0.stop() } }
            #expect(Set(listeners.map(\.address.port)).count == 3)
        }

        @Test func anExplicitPortIsUsedAsGiven() throws {
            let port = try TestSupport.closedPort()
            let l = try Self.listener(threads: 2, port: port)
            defer { l.stop() }
            #expect(l.address.port == port)
        }

        @Test(.needsRoot) func aRangeCoveringEveryPortFallsBackToTheKernelsChoiceWithANote() throws {
            let outcome = NetNamespace.onFreshThread { () -> Result<(UInt16, String?), Error> in
                do {
                    try ProcFiles.write("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535")
                    let l = try Self.listener(threads: 2)
                    defer { l.stop() }
                    return .success((l.address.port, l.portNote))
                } catch {
                    return .failure(error)
                }
            }
            let (port, note) = try outcome.get().get()
            #expect(port >= 1024)
            #expect(note?.contains("inside the ephemeral range") == true, "note: \(note ?? "nil")")
        }
    }
}

/// Written by one thread before it ends, read after the join.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}

extension HeavySuites {
    @Suite(.serialized)
    struct NamespaceIdentityTests {
        @Test func theTestThreadIsInTheInitialNamespaceWithNoName() throws {
            let id = try #require(NetNamespace.identity())
            #expect(id.isInitial)
            if let pid1 = ProcFiles.readLink("/proc/1/ns/net").flatMap(NetNamespace.inode(ofLink:)) {
                #expect(id.inode == pid1)
            } else {
                // PID 1's links unreadable (as in this sandbox): the kernel's fixed inode decided.
                #expect(id.inode == NetNamespace.initialNetInode)
            }
            #expect(NetNamespace.currentIdentity() == id.link)
        }

        @Test(.needsRoot) func aNamespaceJoinedByNameIsNotInitialAndCarriesItsName() throws {
            let name = "cbtest-\(getpid())"
            _ = try TestSupport.shell("ip netns add \(name) 2>&1")
            defer { _ = try? TestSupport.shell("ip netns del \(name) 2>&1") }
            let box = Box<NamespaceIdentity>()
            let failure = Box<Errno>()
            // A thread of its own joins, so the test's thread stays where it is.
            let thread = try PosixThread.spawn {
                do throws(Errno) {
                    let fd = FileDescriptor(rawValue: try syscall { open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC) })
                    defer { fd.closeSocket() }
                    try NetNamespace.join(fd)
                    box.value = NetNamespace.identity()
                } catch {
                    failure.value = error
                }
            }
            thread.join()
            #expect(failure.value == nil)
            let id = try #require(box.value)
            #expect(!id.isInitial)
            #expect(id.name == name)
            #expect(NetNamespace.identity()?.isInitial == true)
        }

        @Test(.needsRoot) func anAnonymousFreshNamespaceIsNotInitialAndHasNoName() throws {
            let id = try #require(try NetNamespace.onFreshThread { NetNamespace.identity() }.get())
            #expect(!id.isInitial)
            #expect(id.name == nil)
            #expect(id.inode != NetNamespace.identity()?.inode)
        }

        @Test(arguments: [
            (NamespaceIdentity(inode: 4026531840, isInitial: true, name: nil), false, "host (net:[4026531840])"),
            (NamespaceIdentity(inode: 4026532301, isInitial: false, name: nil), true, "fresh, created for this run (net:[4026532301])"),
            (NamespaceIdentity(inode: 4026532302, isInitial: false, name: "lab1"), false, "netns lab1 (net:[4026532302])"),
            (NamespaceIdentity(inode: 4026532303, isInitial: false, name: nil), false, "another namespace (net:[4026532303])"),
        ])
        func theReportNamesTheNamespaceTheRunWasIn(identity: NamespaceIdentity, createdForRun: Bool, text: String) {
            #expect(KernelContext.describeNamespace(identity: identity, createdForRun: createdForRun) == text)
            var k = KernelContext(release: "x", namespace: "host")
            k.setNamespace(identity, createdForRun: createdForRun)
            #expect(k.namespace == text)
            #expect(k.namespaceInode == identity.inode)
            #expect(k.namespaceName == identity.name)
            #expect(k.ranInNonInitialNamespace == (createdForRun || !identity.isInitial))
        }

        @Test(arguments: [("fresh", true), ("host", false)])
        func reportsWithoutAnIdentityStillSayWhetherTheRunWasIsolated(namespace: String, isolated: Bool) {
            #expect(KernelContext(release: "x", namespace: namespace).ranInNonInitialNamespace == isolated)
        }
    }
}

extension HeavySuites {
    @Suite(.serialized)
    struct TimeWaitSideTests {
        enum Closer: String, CaseIterable, Sendable { case client, listener }

        /// In a fresh namespace: `n` loopback connections on `host`, closed first by `closer`,
        /// then counted from /proc/thread-self/net/tcp(6).
        static func timeWait(host: String, closer: Closer, n: Int) throws -> (TimeWaitSides?, UInt16) {
            let outcome = NetNamespace.onFreshThread { () -> Result<(TimeWaitSides?, UInt16), Errno> in
                do throws(Errno) {
                    let address = SocketAddress(ip: host, port: 5555)!
                    let server = try FileDescriptor.socket(domain: address.domain, nonblocking: false)
                    defer { server.closeSocket() }
                    try server.bind(to: address)
                    try server.listen(backlog: 128)
                    var clients: [FileDescriptor] = []
                    var accepted: [FileDescriptor] = []
                    for _ in 0..<n {
                        let c = try FileDescriptor.socket(domain: address.domain, nonblocking: false)
                        clients.append(c)
                        _ = try c.connect(to: address)
                        accepted.append(FileDescriptor(rawValue: try syscall { accept(server.rawValue, nil, nil) }))
                    }
                    let (first, second) = closer == .client ? (clients, accepted) : (accepted, clients)
                    first.forEach { $0.closeSocket() }
                    // Close the other end only once its FIN has arrived (read returns 0):
                    // closing earlier could make it a simultaneous close, TIME_WAIT on both ends.
                    var byte: UInt8 = 0
                    for s in second {
                        _ = withUnsafeMutableBytes(of: &byte) { try? s.readDiscarding($0) }
                        s.closeSocket()
                    }
                    var sides: TimeWaitSides?
                    _ = ListenerAndKernelTests.eventually {
                        sides = TcpSocketTable.timeWaitSides(listenerPorts: [address.port])
                        return sides?.total ?? 0 >= n
                    }
                    return .success((sides, address.port))
                } catch {
                    return .failure(error)
                }
            }
            return try outcome.get().get()
        }

        @Test(.needsRoot, arguments: ["127.0.0.1", "::1"], Closer.allCases)
        func timeWaitIsCountedOnTheSideThatClosedFirst(host: String, closer: Closer) throws {
            let n = 40
            let (sides, _) = try Self.timeWait(host: host, closer: closer, n: n)
            let s = try #require(sides)
            #expect(s.clientSide == (closer == .client ? n : 0), "\(s)")
            #expect(s.listenerSide == (closer == .listener ? n : 0), "\(s)")
            #expect(s.other == 0, "\(s)")
        }

        @Test(.needsRoot) func socketsOfOtherPortsCountAsOther() throws {
            let (sides, _) = try Self.timeWait(host: "127.0.0.1", closer: .client, n: 5)
            // Counted again with a port nobody used: every TIME_WAIT is someone else's.
            _ = sides
            let other = try NetNamespace.onFreshThread { TcpSocketTable.timeWaitSides(listenerPorts: [1]) }.get()
            #expect(other == TimeWaitSides())
        }
    }
}
