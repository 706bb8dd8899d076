@preconcurrency import Glibc
import ConnSys
import Synchronization

/// Runs scenarios, each in its isolation, and classifies what they saw.
package enum ProbeRunner {
    package static func run(_ scenarios: [ProbeScenario] = ProbeCatalog.all) -> ProbeReport {
        let start = MonotonicClock.now()
        let rows = runConcurrently(scenarios)
        let behaviours = ProbeBehaviours.runAll()
        return ProbeReport(kernel: kernelRelease(), rows: rows, behaviours: behaviours,
                           elapsedNs: MonotonicClock.now() - start)
    }

    package static func run(_ scenario: ProbeScenario) -> ProbeRow {
        let start = MonotonicClock.now()
        var observation: ProbeObservation
        switch scenario.isolation {
        case .freshNetworkNamespace:
            observation = ProbeIsolation.inFreshNetworkNamespace(scenario.body)
        case .temporaryDirectory, .none:
            do {
                observation = try scenario.body()
            } catch {
                observation = ProbeObservation(.setupFailed(error.errno, step: error.step))
            }
        }
        observation.elapsedNs = MonotonicClock.now() - start
        let c = ProbeClassifier.classify(scenario, observation)
        return ProbeRow(scenarioID: scenario.id, errnoName: scenario.errnoName, primary: scenario.primary,
                        referenceDescription: ReferenceErrorTable.description(of: scenario.errnoName),
                        scenario: scenario.summary, outcome: observation.outcome, detail: observation.detail,
                        elapsedNs: observation.elapsedNs, callNs: observation.callNs, verdict: c.verdict, note: c.note)
    }

    /// The slow scenarios (a SYN that is never answered) wait on timers, not the CPU, so the
    /// scenarios run on a few threads at once; the rows keep the catalog's order.
    static func runConcurrently(_ scenarios: [ProbeScenario], threads: Int = 4) -> [ProbeRow] {
        let slots = (0..<scenarios.count).map { _ in JoinedResult<ProbeRow>() }
        let counter = TicketCounter()
        var workers: [PosixThread] = []
        for _ in 0..<max(1, threads) {
            let spawned = try? PosixThread.spawn {
                while true {
                    let i = counter.take()
                    if i >= scenarios.count { return }
                    slots[i].value = run(scenarios[i])
                }
            }
            if let spawned { workers.append(spawned) }
        }
        for w in workers { w.join() }
        // Whatever no worker ran (no thread could be created) runs here.
        return scenarios.indices.map { slots[$0].value ?? run(scenarios[$0]) }
    }

    static func kernelRelease() -> String {
        var u = utsname()
        guard (try? syscall { uname(&u) }) != nil else { return "unknown" }
        return withUnsafeBytes(of: u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Hands out 0, 1, 2, … to the runner's threads.
final class TicketCounter: Sendable {
    private let next = Mutex<Int>(0)

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
