import Foundation
import Synchronization

/// A "remote host" for tests: a generator namespace and a listener namespace joined by a
/// veth pair, so connects cross a real link (ARP, a device queue, a separate TCP stack
/// with its own TIME_WAIT, backlog and sysctls) instead of loopback.
///
/// Everything lives inside the two namespaces the lab creates: the veth ends are created
/// in them directly and the addresses (10.199.<n>.1 and .2) exist only there, so the host
/// namespace never sees an interface, an address or a route. Deleting the namespaces
/// deletes the veth; `close()` and `deinit` both do it, and a new lab first deletes
/// labs left by test processes that died before they could.
final class VethLab {
    let generator: String
    let listener: String
    let generatorLink: String
    let listenerLink: String
    let generatorIP: String
    let listenerIP: String
    private var listeners: [LabListener] = []
    private var closed = false

    static let prefix = "cbl"
    private static let counter = Atomic<Int>(0)

    init() throws {
        let n = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        // Interface names are at most 15 bytes: "cbv" + pid (≤ 7 digits) + "-" + n + side.
        let tag = "\(getpid())-\(n % 1000)"
        generator = "\(Self.prefix)\(tag)a"
        listener = "\(Self.prefix)\(tag)b"
        generatorLink = "cbv\(tag)a"
        listenerLink = "cbv\(tag)b"
        let subnet = "10.199.\(n % 256)"
        generatorIP = subnet + ".1"
        listenerIP = subnet + ".2"
        Self.removeStaleLabs()
        do {
            try Self.ip(["netns", "add", generator])
            try Self.ip(["netns", "add", listener])
            try Self.ip(["-n", generator, "link", "add", generatorLink, "type", "veth", "peer", "name", listenerLink, "netns", listener])
            for (ns, link, address) in [(generator, generatorLink, generatorIP), (listener, listenerLink, listenerIP)] {
                try Self.ip(["-n", ns, "link", "set", "lo", "up"])
                try Self.ip(["-n", ns, "addr", "add", address + "/24", "dev", link])
                try Self.ip(["-n", ns, "link", "set", link, "up"])
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Stops the lab's listeners, then deletes both namespaces (and with them the veth).
    /// Safe to call twice.
    func close() {
        guard !closed else { return }
        closed = true
        for l in listeners { _ = l.stop() }
        listeners = []
        for ns in [generator, listener] { _ = try? Self.ip(["netns", "del", ns]) }
    }

    /// Runs connbench in the generator namespace and waits for it.
    func run(inGenerator arguments: [String], timeLimit: TimeInterval = 30) throws -> TestSupport.Outcome {
        try TestSupport.run(arguments, shell: "exec ip netns exec \(generator)", timeLimit: timeLimit)
    }

    /// Runs connbench in the listener namespace and waits for it.
    func run(inListener arguments: [String], timeLimit: TimeInterval = 30) throws -> TestSupport.Outcome {
        try TestSupport.run(arguments, shell: "exec ip netns exec \(listener)", timeLimit: timeLimit)
    }

    /// Starts `connbench listen --address <listenerIP> --port <port> <arguments>` in the
    /// listener namespace and returns once the port is listening. The listening socket is
    /// looked for with `ss` rather than probed with a connect, which would take a place
    /// in a `--no-accept` listener's backlog.
    func startListener(port: UInt16, arguments: [String] = [], timeLimit: TimeInterval = 10) throws -> LabListener {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        let command = [TestSupport.binary, "listen", "--address", listenerIP, "--port", String(port)] + arguments
        p.arguments = ["-c", "exec ip netns exec \(listener) " + command.map { "'\($0)'" }.joined(separator: " ")]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let handle = LabListener(process: p, port: port, stdout: OutputCollector(out.fileHandleForReading),
                                 stderr: OutputCollector(err.fileHandleForReading))
        listeners.append(handle)
        let deadline = Date().addingTimeInterval(timeLimit)
        while try acceptQueue(port: port) == nil {
            guard p.isRunning else {
                let o = handle.stop()
                throw TestSupport.Failure("connbench listen exited (\(o.status)) before listening: \(o.stderr)")
            }
            guard Date() < deadline else {
                _ = handle.stop()
                throw TestSupport.Failure("connbench listen on \(listenerIP):\(port) not listening after \(timeLimit) s")
            }
            usleep(20_000)
        }
        return handle
    }

    /// Sets a tunable inside one of the lab's namespaces (`generator` or `listener`).
    func sysctl(ns: String, _ key: String, _ value: String) throws {
        precondition(ns == generator || ns == listener, "\(ns) is not a namespace of this lab")
        try Self.ip(["netns", "exec", ns, "sysctl", "-q", "-w", "\(key)=\(value)"])
    }

    struct AcceptQueue: Equatable {
        /// Connections waiting for accept(), summed over the port's listening sockets.
        var queued: Int
        /// The backlog as the kernel applies it (after the somaxconn cap).
        var backlog: Int
        var sockets: Int
    }

    /// The listener namespace's listening sockets on `port` (Recv-Q and Send-Q of
    /// `ss -ltn`); nil while nothing listens there.
    func acceptQueue(port: UInt16) throws -> AcceptQueue? {
        let text = try Self.ip(["netns", "exec", listener, "ss", "-ltnH", "sport = :\(port)"])
        var q = AcceptQueue(queued: 0, backlog: 0, sockets: 0)
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 3, let queued = Int(f[1]), let backlog = Int(f[2]) else { continue }
            q.queued += queued
            q.backlog = backlog
            q.sockets += 1
        }
        return q.sockets > 0 ? q : nil
    }

    /// /proc/net/netstat of a lab namespace (default: the listener's), keyed
    /// `TcpExt.ListenOverflows`, `TcpExt.ListenDrops`, `IpExt.InOctets`, ….
    func netstat(ns: String? = nil) throws -> [String: Int64] {
        let text = try Self.ip(["netns", "exec", ns ?? listener, "cat", "/proc/net/netstat"])
        var counters: [String: Int64] = [:]
        let lines = text.split(separator: "\n")
        for i in stride(from: 0, to: lines.count - 1, by: 2) {
            let names = lines[i].split(separator: " "), values = lines[i + 1].split(separator: " ")
            guard names.count == values.count, let section = names.first?.dropLast() else { continue }
            for (name, value) in zip(names.dropFirst(), values.dropFirst()) {
                counters["\(section).\(name)"] = Int64(value)
            }
        }
        return counters
    }

    /// Runs `ip` with its arguments (no shell), returning stdout; throws with stderr on failure.
    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = OutputCollector(out.fileHandleForReading), stderr = OutputCollector(err.fileHandleForReading)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw TestSupport.Failure("ip \(arguments.joined(separator: " ")): exit \(p.terminationStatus): \(stderr.text())")
        }
        return stdout.text()
    }

    /// The names of the lab namespaces that exist now (any process's).
    static func labNamespaces() throws -> [String] {
        try ip(["netns", "list"]).split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init).flatMap { $0.hasPrefix(prefix) ? $0 : nil }
        }
    }

    /// Deletes lab namespaces whose creating test process is gone (a crash, a kill -9):
    /// the pid is in the name; a live pid's labs, this process's included, are left alone.
    static func removeStaleLabs() {
        for ns in (try? labNamespaces()) ?? [] {
            guard let pid = Int32(ns.dropFirst(prefix.count).prefix { $0.isNumber }) else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { _ = try? ip(["netns", "del", ns]) }
        }
    }
}

/// A `connbench listen` running in a lab's listener namespace.
final class LabListener {
    let process: Process
    let port: UInt16
    private let stdout: OutputCollector
    private let stderr: OutputCollector
    private var outcome: TestSupport.Outcome?

    init(process: Process, port: UInt16, stdout: OutputCollector, stderr: OutputCollector) {
        self.process = process
        self.port = port
        self.stdout = stdout
        self.stderr = stderr
    }

    deinit { _ = stop() }

    /// Ctrl-C (the listener prints `accepted=N` and exits), SIGKILL if it has not after 5 s.
    @discardableResult
    func stop() -> TestSupport.Outcome {
        if let outcome { return outcome }
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let o = TestSupport.Outcome(status: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
        outcome = o
        return o
    }
}
