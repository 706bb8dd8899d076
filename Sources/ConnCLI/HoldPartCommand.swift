@preconcurrency import Glibc
import ArgumentParser
import ConnEngine
import ConnSys
import Foundation
import ConnModel
import ConnStudies
import ConnAnalysis

/// `connbench hold-part`: one process of a hold, started by `connbench hold` (never by
/// hand, hence hidden). Its stdin and stdout are one socket to the supervisor, carrying
/// ``HoldPartMessage``s one way (ready with its namespace, which the supervisor checks is
/// its own; a generator's built; the result; an error) and ``HoldSupervisorMessage``s the
/// other (go at a CLOCK_MONOTONIC time, close). EOF means the supervisor is gone: the
/// part closes everything and exits, and it dies with its supervisor's thread anyway
/// (PR_SET_PDEATHSIG).
struct HoldPartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-part",
        abstract: "One process of `connbench hold` (internal).",
        shouldDisplay: false
    )

    enum Role: String, ExpressibleByArgument { case generator, listener }

    @Argument var role: Role
    @Option var part: Int
    @Option var parts: Int = 1
    @Option var connections: Int = 0
    @Option var rate: Double = 1000
    @Option var step: Int = 10_000
    @Option(help: "Source addresses, comma-separated.") var sources: String = ""
    @Option(help: "Listener ports, comma-separated.") var ports: String
    @Option var address: String = "127.0.0.1"
    @Option(name: .customLong("timeout-ns")) var timeoutNs: UInt64 = 3_000_000_000
    @Option(name: .customLong("build-limit-ns")) var buildLimitNs: UInt64 = 60_000_000_000
    /// The longest the part waits for the supervisor's next line, whatever happens.
    @Option(name: .customLong("life-limit-ns")) var lifeLimitNs: UInt64 = 600_000_000_000
    @Option(name: .customLong("hold-limit")) var holdLimit: Int = 20_000
    @Option var engine: EngineChoice = .epoll

    func run() throws {
        ChildProcess.dieWithParent()
        StopSignals().block()
        ResourceLimits.raiseOpenFiles()
        let channel = FileDescriptor(rawValue: 0)
        let out = FileDescriptor(rawValue: 1)
        let reader = LineReader(channel)
        let inode = NetNamespace.identity()?.inode ?? 0
        let portList = ports.split(separator: ",").compactMap { UInt16($0) }
        switch role {
        case .listener:
            try runListener(ports: portList, reader: reader, out: out, inode: inode)
        case .generator:
            try runGenerator(ports: portList, reader: reader, out: out, inode: inode)
        }
    }

    private func fail(_ out: FileDescriptor, _ message: String) -> CLIFailure {
        HoldChannel.send(HoldPartMessage.error(message), on: out)
        return CLIFailure("hold part \(part): \(message)")
    }

    private func runGenerator(ports: [UInt16], reader: LineReader, out: FileDescriptor, inode: UInt64) throws {
        let targets = ports.compactMap { SocketAddress(ip: address, port: $0) }
        let sourceList = sources.split(separator: ",").compactMap { SocketAddress(ip: String($0), port: 0) }
        guard !targets.isEmpty, !sourceList.isEmpty else { throw fail(out, "no targets or no sources") }
        var config = HoldPartConfig(part: part, parts: parts, connections: connections, ratePerSecond: rate, step: step,
                                    sources: sourceList, targets: targets, timeoutNs: timeoutNs, buildLimitNs: buildLimitNs)
        config.engine = engine
        // The parts spread over the allowed CPUs, one worker each.
        if let allowed = try? CPUAffinity.allowedCPUs(), !allowed.isEmpty { config.cpu = allowed[part % allowed.count] }
        let close = StopFlag()
        var watcher: PosixThread?
        var spawnError: Errno?
        // Ready once the run's worker waits at its start line, buffers allocated: the
        // supervisor's "before" snapshot then holds them, and its go finds every part set.
        let sync = BenchmarkRunner.PartSync(ready: {
            HoldChannel.send(HoldPartMessage.ready(namespaceInode: inode), on: out)
            guard let go = Self.awaitGo(reader, limitNs: lifeLimitNs) else { return nil }
            do throws(Errno) { watcher = try Self.watchForClose(reader, flag: close, limitNs: lifeLimitNs) } catch {
                spawnError = error
                return nil
            }
            return go
        }, ended: { HoldChannel.send(HoldPartMessage.built(open: $0), on: out) })
        let built: (part: HoldPartResult, run: RunReport, kept: KeptConnections)
        do throws(BenchmarkRunner.Failure) { built = try HoldGenerator.build(config, stop: close, sync: sync) } catch {
            close.stop()
            throw fail(out, error.description)
        }
        if let spawnError { throw fail(out, "pthread_create failed: \(spawnError.name)") }
        guard let watcher else {
            // Closed before the go: nothing was started.
            HoldChannel.send(HoldPartMessage.generatorResult(built.part), on: out)
            return
        }
        watcher.join()
        var result = built.part
        var kept = built.kept
        result.lostDuringHold = kept.countLost()
        (result.closed, result.closeNs) = kept.closeAll()
        HoldChannel.send(HoldPartMessage.generatorRun(built.run), on: out)
        HoldChannel.send(HoldPartMessage.generatorResult(result), on: out)
    }

    /// The supervisor's go (its CLOCK_MONOTONIC start); nil on close, EOF or the life limit.
    private static func awaitGo(_ reader: LineReader, limitNs: UInt64) -> UInt64? {
        while let line = reader.nextLine(timeoutNs: limitNs) {
            let m = HoldChannel.decode(line, as: HoldSupervisorMessage.self)
            if case .go(let at) = m { return at }
            if m == .close { return nil }
        }
        return nil
    }

    /// A thread that waits for the supervisor's close (or its EOF, or the life limit)
    /// and then sets the flag: during the build it stops the run, after it ends the hold.
    /// A close already read with the go stops the build before it starts.
    private static func watchForClose(_ reader: LineReader, flag: StopFlag, limitNs: UInt64) throws(Errno) -> PosixThread {
        while let line = reader.takeLine() { if isClose(line) { flag.stop() } }
        if reader.closed { flag.stop() }
        let fd = reader.fd
        return try PosixThread.spawn {
            let own = LineReader(fd)
            while !flag.isStopped, let line = own.nextLine(timeoutNs: limitNs), !isClose(line) {}
            flag.stop()
        }
    }

    static func isClose(_ line: String) -> Bool { HoldChannel.decode(line, as: HoldSupervisorMessage.self) == .close }

    private func runListener(ports: [UInt16], reader: LineReader, out: FileDescriptor, inode: UInt64) throws {
        var listeners: [Listener] = []
        for port in ports {
            var config = ListenerConfig()
            config.address = SocketAddress(ip: address, port: port)!
            config.threads = 1
            config.mode = .hold
            config.holdLimit = holdLimit
            config.backlog = 65535
            do { listeners.append(try Listener(config: config)) } catch {
                listeners.forEach { $0.stop() }
                throw fail(out, error.description)
            }
        }
        HoldChannel.send(HoldPartMessage.ready(namespaceInode: inode), on: out)
        while !reader.closed, let line = reader.nextLine(timeoutNs: lifeLimitNs), !Self.isClose(line) {}
        var r = HoldListenerResult(part: part)
        r.heldAtStop = listeners.reduce(0) { $0 + $1.heldConnections }
        r.heldPeak = listeners.reduce(0) { $0 + $1.heldPeak }
        r.backlog = listeners.first?.effectiveBacklog ?? 0
        listeners.forEach { $0.stop() }
        r.accepted = listeners.reduce(0) { $0 + $1.acceptedCount }
        r.closed = listeners.reduce(0) { $0 + $1.closedCount }
        r.closedOverHoldLimit = listeners.reduce(0) { $0 + $1.closedOverHoldLimit }
        HoldChannel.send(HoldPartMessage.listenerResult(r), on: out)
    }
}
