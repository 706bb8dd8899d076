@preconcurrency import Glibc
import ConnEngine
import ConnSys
import ConnModel

/// One process of `run --processes`, the side a ``ProcessRun`` starts: its stdin and
/// stdout are one socket to the supervisor. It is told its share of the run (a
/// ``RunSupervisorMessage/config(_:)``), says ready with its workers at their start line,
/// starts at the common go, and sends its report; a stop (Ctrl-C at the supervisor) ends
/// it early and it still reports. EOF means the supervisor is gone: it stops, and it dies
/// with the supervisor's thread anyway (PR_SET_PDEATHSIG).
package struct RunPart {
    let channel = PartChannel()
    /// The longest the part waits for the supervisor's next line.
    let lifeLimitNs: UInt64

    package struct Failure: Error { package let message: String }

    package init(lifeLimitNs: UInt64) { self.lifeLimitNs = lifeLimitNs }

    private func send(_ m: RunPartMessage) { channel.send(m) }

    private func fail(_ message: String) -> Failure {
        send(.error(message))
        return Failure(message: message)
    }

    package func run() throws(Failure) {
        guard let line = channel.reader.nextLine(timeoutNs: 60_000_000_000),
              case .config(let config)? = MessageChannel.decode(line, as: RunSupervisorMessage.self) else {
            throw fail("no run configuration from the supervisor")
        }
        let stop = StopFlag()
        var spawnError: Errno?
        let sync = BenchmarkRunner.PartSync(ready: {
            send(.ready)
            guard let go = awaitGo() else { return nil }
            // The thread ends with the process; nothing waits for it.
            do throws(Errno) { _ = try channel.stop(stop, atEnd: Self.isStop, limitNs: lifeLimitNs) } catch {
                spawnError = error
                return nil
            }
            return go
        }, ended: { send(.ended(established: $0)) })
        let report: RunReport
        do throws(BenchmarkRunner.Failure) { report = try BenchmarkRunner.runPart(config, stop: stop, sync: sync) } catch {
            throw fail(error.description)
        }
        if let spawnError { throw fail("pthread_create failed: \(spawnError.name)") }
        send(.report(report))
    }

    /// The common start; nil on a stop, EOF or the life limit.
    private func awaitGo() -> UInt64? {
        channel.awaitGo(limitNs: lifeLimitNs) { line in
            switch MessageChannel.decode(line, as: RunSupervisorMessage.self) {
            case .go(let at)?: .go(atNs: at)
            case .stop?: .end
            case .config?, nil: .other
            }
        }
    }

    static func isStop(_ line: String) -> Bool { MessageChannel.decode(line, as: RunSupervisorMessage.self) == .stop }
}
