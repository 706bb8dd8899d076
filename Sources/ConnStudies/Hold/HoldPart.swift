@preconcurrency import Glibc
import ConnEngine
import ConnSys
import ConnModel

/// One process of a hold, the side a ``HoldSupervisor`` starts: its stdin and stdout are
/// one socket to the supervisor, carrying ``HoldPartMessage``s one way (ready with its
/// namespace, which the supervisor checks is its own; a generator's built; its run and
/// result; an error) and ``HoldSupervisorMessage``s the other (go at a CLOCK_MONOTONIC
/// time, close). EOF means the supervisor is gone: the part closes everything and exits,
/// and it dies with its supervisor's thread anyway (PR_SET_PDEATHSIG).
package struct HoldPart {
    let channel = PartChannel()
    let inode: UInt64
    /// The longest the part waits for the supervisor's next line, whatever happens.
    let lifeLimitNs: UInt64

    package struct Failure: Error { package let message: String }

    /// On the channel connbench's parts get (stdin, stdout), in the namespace it runs in.
    package init(lifeLimitNs: UInt64) {
        inode = NetNamespace.identity()?.inode ?? 0
        self.lifeLimitNs = lifeLimitNs
    }

    private func send(_ m: HoldPartMessage) { channel.send(m) }

    /// Says why to the supervisor too, and gives the failure to throw.
    package func fail(_ message: String) -> Failure {
        send(.error(message))
        return Failure(message: message)
    }

    static func isClose(_ line: String) -> Bool { MessageChannel.decode(line, as: HoldSupervisorMessage.self) == .close }

    /// A generator part: its build-up (``HoldGenerator``), held until the close, then reset.
    package func generator(_ config: HoldPartConfig) throws(Failure) {
        let close = StopFlag()
        var watcher: PosixThread?
        var spawnError: Errno?
        // Ready once the run's worker waits at its start line, buffers allocated: the
        // supervisor's "before" snapshot then holds them, and its go finds every part set.
        let sync = BenchmarkRunner.PartSync(ready: {
            send(.ready(namespaceInode: inode))
            guard let go = awaitGo() else { return nil }
            do throws(Errno) { watcher = try channel.stop(close, atEnd: Self.isClose, limitNs: lifeLimitNs) } catch {
                spawnError = error
                return nil
            }
            return go
        }, ended: { send(.built(open: $0)) })
        let built: (part: HoldPartResult, run: RunReport, kept: KeptConnections)
        do throws(BenchmarkRunner.Failure) { built = try HoldGenerator.build(config, stop: close, sync: sync) } catch {
            close.stop()
            throw fail(error.description)
        }
        if let spawnError { throw fail("pthread_create failed: \(spawnError.name)") }
        guard let watcher else {
            // Closed before the go: nothing was started.
            send(.generatorResult(built.part))
            return
        }
        watcher.join()
        var result = built.part
        var kept = built.kept
        result.lostDuringHold = kept.countLost()
        (result.closed, result.closeNs) = kept.closeAll()
        send(.generatorRun(built.run))
        send(.generatorResult(result))
    }

    private func awaitGo() -> UInt64? {
        channel.awaitGo(limitNs: lifeLimitNs) { line in
            switch MessageChannel.decode(line, as: HoldSupervisorMessage.self) {
            case .go(let at)?: .go(atNs: at)
            case .close?: .end
            case nil: .other
            }
        }
    }

    /// A listener process: `hold`-mode listeners on `ports`, until the close.
    package func listener(part: Int, address: String, ports: [UInt16], holdLimit: Int) throws(Failure) {
        // Its accept threads would otherwise wait out an RCU grace period at each doubling
        // of the descriptor table (see ``ResourceLimits/reserveDescriptorTable(count:)``).
        ResourceLimits.reserveDescriptorTable(count: holdLimit + ports.count + 64)
        var listeners: [Listener] = []
        for port in ports {
            var config = ListenerConfig()
            guard let a = SocketAddress(ip: address, port: port) else { throw fail("bad listener address \(address)") }
            config.address = a
            config.threads = 1
            config.mode = .hold
            config.holdLimit = holdLimit
            config.backlog = 65535
            do { listeners.append(try Listener(config: config)) } catch {
                listeners.forEach { $0.stop() }
                throw fail(error.description)
            }
        }
        send(.ready(namespaceInode: inode))
        let reader = channel.reader
        while !reader.closed, let line = reader.nextLine(timeoutNs: lifeLimitNs), !Self.isClose(line) {}
        var r = HoldListenerResult(part: part)
        r.heldAtStop = listeners.reduce(0) { $0 + $1.heldConnections }
        r.heldPeak = listeners.reduce(0) { $0 + $1.heldPeak }
        r.backlog = listeners.first?.effectiveBacklog ?? 0
        listeners.forEach { $0.stop() }
        r.accepted = listeners.reduce(0) { $0 + $1.acceptedCount }
        r.closed = listeners.reduce(0) { $0 + $1.closedCount }
        r.closedOverHoldLimit = listeners.reduce(0) { $0 + $1.closedOverHoldLimit }
        send(.listenerResult(r))
    }
}
