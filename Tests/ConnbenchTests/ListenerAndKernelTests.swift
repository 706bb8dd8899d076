@preconcurrency import Glibc
import ConnEngine
import ConnSys
import Testing

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
        #expect(flat.contains("--listener-close"))
        #expect(flat.contains("default: peer)"), "help: \(help.stdout)")
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
        let range = EphemeralPorts.current()
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

    @Test func aRangeCoveringEveryPortFallsBackToTheKernelsChoiceWithANote() throws {
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
