import ConnEngine
import ConnModel
import ConnReport
import ConnSys
import Foundation
import Testing

/// Helpers shared by the tests: real sockets, the real binary, no mocks.
enum TestSupport {
    /// A loopback port with no listener, outside the ephemeral range so a connect to it
    /// cannot be given the same port as its source and connect to itself.
    static func closedPort() throws -> UInt16 {
        let ephemeral = try EphemeralPorts.current()
        for port in stride(from: UInt16(20_000), to: ephemeral.low, by: 7) {
            let fd = try FileDescriptor.socket(domain: AF_INET)
            defer { fd.closeSocket() }
            if (try? fd.bind(to: SocketAddress(ip: "127.0.0.1", port: port)!)) != nil { return port }
        }
        throw Failure("no free port below the ephemeral range")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// A short run's configuration: bounded in time and count.
    /// The engines the engine-agnostic tests run on.
    static let engines: [EngineChoice] = [.epoll, .ioUring]

    static func config(rate: Rate, duration: String = "1s", workers: Int = 1) -> RunConfig {
        var c = RunConfig()
        c.rate = rate
        c.durationNs = DurationParser.nanoseconds(duration)!
        c.workers = workers
        c.cpus = Array(((try? CPUAffinity.allowedCPUs()) ?? [0]).prefix(workers))
        c.maxAttemptsPerWorker = 200_000
        return c
    }

    /// summary.csv of an output folder as column → value.
    static func summary(_ dir: String) throws -> [String: String] {
        let rows = CSV.parse(try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8))
        return Dictionary(zip(rows.first ?? [], rows.dropFirst().first ?? []), uniquingKeysWith: { a, _ in a })
    }

    static func expectBalanced(_ r: RunReport, sourceLocation: SourceLocation = #_sourceLocation) {
        let t = r.tally
        #expect(t.attempts == t.established + t.failed + t.timedOut + t.inFlight,
                "attempts \(t.attempts) != \(t.established) + \(t.failed) + \(t.timedOut) + \(t.inFlight)",
                sourceLocation: sourceLocation)
        let w = r.warmup
        #expect(w.attempts == w.established + w.failed + w.timedOut + w.inFlight, sourceLocation: sourceLocation)
        let errorTotal = r.errors.filter { $0.site != .timeout }.reduce(0) { $0 + $1.count }
        #expect(errorTotal == t.failed, "errors table \(errorTotal) != failed \(t.failed)", sourceLocation: sourceLocation)
        let timeouts = r.errors.filter { $0.site == .timeout }.reduce(0) { $0 + $1.count }
        #expect(timeouts == t.timedOut, sourceLocation: sourceLocation)
    }

    /// The connbench executable built beside this test bundle.
    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var dir = bundle
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("connbench").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return bundle.appendingPathComponent("connbench").path
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs connbench (or a shell line) and waits, with a hard time limit.
    static func run(_ arguments: [String], shell: String? = nil, timeLimit: TimeInterval = 60,
                    interruptAfter: TimeInterval? = nil, signal: Int32 = SIGINT) throws -> Outcome {
        let p = Process()
        if let shell {
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", shell + " " + ([binary] + arguments).map { "'\($0)'" }.joined(separator: " ")]
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = OutputCollector(out.fileHandleForReading)
        let errData = OutputCollector(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeLimit)
        var interrupted = false
        let started = Date()
        while p.isRunning {
            if let after = interruptAfter, !interrupted, Date().timeIntervalSince(started) >= after {
                kill(p.processIdentifier, signal)
                interrupted = true
            }
            if Date() > deadline { p.terminate(); throw Failure("connbench \(arguments) ran past \(timeLimit) s") }
            usleep(20_000)
        }
        return Outcome(status: p.terminationStatus, stdout: outData.text(), stderr: errData.text())
    }

    /// Runs a shell command and returns its stdout (e.g. `ip netns list`).
    static func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// What every bad input must give: a non-zero exit, exactly one stderr line that
    /// contains `needle` (the flag or value at fault), nothing on stdout.
    static func expectOneLineError(_ o: Outcome, naming needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(o.status != 0, "exit \(o.status)", sourceLocation: sourceLocation)
        let lines = o.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "stderr: \(o.stderr)", sourceLocation: sourceLocation)
        #expect(o.stderr.contains(needle), "stderr: \(o.stderr)", sourceLocation: sourceLocation)
        #expect(!o.stderr.contains("Fatal error") && !o.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
        #expect(o.stdout.isEmpty, "stdout: \(o.stdout)", sourceLocation: sourceLocation)
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "connbench-test-" + UUID().uuidString
        return path
    }
}

/// Reads a pipe to its end on a background thread, so a chatty child never blocks.
final class OutputCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            let d = handle.readDataToEndOfFile()
            self.data = d
            self.done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

extension TestSupport {
    /// True when Python can `import module`, installing `package` from PyPI first if not
    /// (a user who is not root installs into their own site folder, never the system's);
    /// a failed install is recorded as an issue, never a silent skip.
    static func ensurePython(_ module: String, package: String) throws -> Bool {
        typealias P = HeavySuites.HistogramLogPythonTests
        if try P.bash("python3 -c 'import \(module)'", limitSeconds: 60).status == 0 { return true }
        let user = Privilege.isRoot ? "" : " --user --break-system-packages"
        let install = try P.bash("python3 -m pip install --quiet --disable-pip-version-check\(user) \(package)", limitSeconds: 300)
        if install.status == 0, try P.bash("python3 -c 'import \(module)'", limitSeconds: 60).status == 0 { return true }
        Issue.record("could not install PyPI \(package) (status \(install.status)): \(install.output.suffix(800))")
        return false
    }
}
