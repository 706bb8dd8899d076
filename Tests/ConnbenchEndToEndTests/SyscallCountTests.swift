import ConnEngine
import ConnModel
import ConnSys
import Foundation
import Testing

extension HeavySuites {
    /// Seen 6: what the hot path asks of the kernel, counted by strace on the real binary
    /// against a listener outside its process (so only the generator's calls are counted).
    @Suite(.serialized)
    struct SyscallCountTests {
        static let perAttempt = ["socket", "connect", "poll", "epoll_ctl", "epoll_pwait2", "setsockopt", "close",
                                 "getsockname", "getpeername", "getsockopt"]

        @Test(arguments: [CloseMode.rst, CloseMode.fin])
        func theDefaultAttemptMakesAtMostFiveSyscalls(close: CloseMode) throws {
            var lc = ListenerConfig()
            lc.threads = 1
            let listener = try Listener(config: lc)
            defer { listener.stop() }
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let trace = dir + "/strace.txt"
            let o = try TestSupport.run(["--target", listener.address.description, "--rate", "max", "--workers", "1",
                                         "--close", close.rawValue, "--duration", "500ms", "--output", dir + "/out"],
                                        shell: "exec strace -f -c -o '\(trace)'", timeLimit: 30)
            #expect(o.status == 0, "stderr: \(o.stderr)")
            let attempts = try #require(Int(try TestSupport.summary(dir + "/out")["attempts"] ?? ""))
            #expect(attempts > 200)
            var calls: [String: Int] = [:]
            for line in try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n") {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                // % time, seconds, usecs/call, calls, [errors], syscall
                guard f.count >= 5, let name = f.last, Self.perAttempt.contains(String(name)), let n = Int(f[3]) else { continue }
                calls[String(name)] = n
            }
            let total = Self.perAttempt.reduce(0) { $0 + (calls[$1] ?? 0) }
            let perAttempt = Double(total) / Double(attempts)
            #expect(perAttempt <= (close == .rst ? 5.5 : 4.5), "\(perAttempt) calls per attempt: \(calls), \(attempts) attempts")
            // SO_ERROR only for events that carry an error; no getpeername at all; the
            // local port only for a sample (1 in 8).
            #expect((calls["getsockopt"] ?? 0) <= 2, "\(calls)")
            #expect((calls["getpeername"] ?? 0) == 0, "\(calls)")
            #expect(Double(calls["getsockname"] ?? 0) <= Double(attempts) / 8 + 20, "\(calls)")
            // EINPROGRESS is the normal answer, counted by strace as an error of connect.
            #expect((calls["connect"] ?? 0) >= attempts)
        }
    }
}

/// EINPROGRESS is a value on the engine's path, not an error.
@Test func aNonblockingConnectToALoopbackListenerAnswersInProgressOrConnectedNotAnError() throws {
    var lc = ListenerConfig()
    lc.threads = 1
    let listener = try Listener(config: lc)
    defer { listener.stop() }
    let fd = try FileDescriptor.socket(domain: listener.address.domain)
    defer { fd.closeSocket() }
    let start = fd.startConnect(to: listener.address)
    #expect(start == .inProgress || start == .connected)
    let closed = try FileDescriptor.socket(domain: AF_INET)
    defer { closed.closeSocket() }
    let refused = closed.startConnect(to: SocketAddress(ip: "127.0.0.1", port: try TestSupport.closedPort())!)
    // Loopback refuses inside the call, or a moment later through SO_ERROR.
    #expect(refused == .failed(.connectionRefused) || refused == .inProgress)
}
