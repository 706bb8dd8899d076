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
        let config = HoldPartConfig(part: part, parts: parts, connections: connections, ratePerSecond: rate, step: step,
                                    sources: sourceList, targets: targets, timeoutNs: timeoutNs, buildLimitNs: buildLimitNs)
        let run: HoldRun
        do { run = try HoldRun(config: config) } catch { throw fail(out, "setup failed: \(error.name)") }
        HoldChannel.send(HoldPartMessage.ready(namespaceInode: inode), on: out)
        var go: UInt64?
        while go == nil, let line = reader.nextLine(timeoutNs: lifeLimitNs) {
            let m = HoldChannel.decode(line, as: HoldSupervisorMessage.self)
            if case .go(let at) = m { go = at }
            if m == .close { break }
        }
        var closeSeen = go == nil
        if let go {
            run.build(go: go, control: reader.fd) {
                reader.fill()
                while let line = reader.takeLine() { if Self.isClose(line) { closeSeen = true } }
                return closeSeen || reader.closed
            }
        }
        HoldChannel.send(HoldPartMessage.built(open: run.openCount), on: out)
        while !closeSeen, !reader.closed, let line = reader.nextLine(timeoutNs: lifeLimitNs) {
            if Self.isClose(line) { closeSeen = true }
        }
        run.countLost()
        run.closeAll()
        HoldChannel.send(HoldPartMessage.generatorResult(run.report()), on: out)
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
