@preconcurrency import Glibc
import ConnAnalysis
import ConnEngine
import ConnSys
import ConnModel

/// Runs a hold's processes and merges what they report: the hold's flow on two
/// ``PartSupervisor``s, one for the listener processes and one for the generator parts.
///
/// It runs on a thread that entered a fresh anonymous network namespace, and spawns every
/// part from that thread, so every part is in that namespace (checked: each part reports
/// its namespace inode). Nothing names the namespace; it ends when the thread and the
/// parts have. The order is: listeners (ready), generators (ready: their run's worker at
/// its start line), `go` to all generators with one start time, wait until all are
/// built, hold, `close` to the generators (they reset their connections and report),
/// `close` to the listeners. Ctrl-C or SIGTERM at any point sends `close` early; each
/// wait is bounded, and a part that does not answer is killed and reaped.
package final class HoldSupervisor {
    typealias Parts = PartSupervisor<HoldPartMessage, HoldSupervisorMessage>
    let plan: HoldPlan
    let signals: StopSignals
    let status: (String) -> Void
    private let listeners = Parts()
    private let generators = Parts()
    private(set) var report: HoldReport
    private var interrupted = false
    /// What the generators said, by index: built, their results and their runs.
    private var built: Set<Int> = []
    private var results: [Int: HoldPartResult] = [:]
    private var runs: [Int: RunReport] = [:]

    /// `status`: a line for the terminal at each phase.
    package init(plan: HoldPlan, signals: StopSignals, status: @escaping (String) -> Void) {
        self.plan = plan
        self.signals = signals
        self.status = status
        report = HoldReport(plan: plan)
    }

    package struct Failure: Error { package let message: String }

    /// Everything, start to end; the namespace thread's body.
    package func run() -> Result<HoldReport, Failure> {
        report.startedAtNs = WallClock.nowNanoseconds()
        let own = NetNamespace.identity()
        report.namespace = own.map(\.link) ?? "unknown"
        defer { cleanUp() }
        do throws(Failure) {
            try startListeners(namespace: own?.inode ?? 0)
            try startGenerators(namespace: own?.inode ?? 0)
        } catch {
            return .failure(error)
        }
        report.before = snapshot()
        buildAndHold()
        finish()
        return .success(report)
    }

    private func snapshot() -> HoldSnapshot {
        HoldSnapshot.take(generatorPIDs: generators.children.map(\.pid), listenerPIDs: listeners.children.map(\.pid))
    }

    private func checkSignal(waitNs: UInt64) -> Bool {
        if signals.wait(nanoseconds: waitNs) != nil { interrupted = true }
        return interrupted
    }

    private func start(_ parts: Parts, _ arguments: [String]) throws(Failure) {
        do { _ = try parts.start(["hold-part"] + arguments) } catch {
            throw Failure(message: "cannot start a hold part: posix_spawn failed: \(error.name)")
        }
    }

    /// Waits for each part's `ready` and checks it is in our namespace.
    private func awaitReady(_ parts: Parts, what: String, namespace: UInt64) throws(Failure) {
        for k in 0..<parts.count {
            let pid = parts.children[k].pid
            switch parts.next(from: k, timeoutNs: 20_000_000_000) {
            case nil: throw Failure(message: "\(what) \(k) (pid \(pid)) did not start")
            case .message(.error(let why)): throw Failure(message: "\(what) \(k): \(why)")
            case .message(.ready(let inode)):
                guard inode == namespace else {
                    throw Failure(message: "\(what) \(k) runs in namespace net:[\(inode)], not the run's net:[\(namespace)]; refusing to go on")
                }
            case .message, .notAMessage: throw Failure(message: "\(what) \(k) said something other than ready")
            }
        }
    }

    private func startListeners(namespace: UInt64) throws(Failure) {
        for k in 0..<plan.processes {
            try start(listeners, ["listener", "--part", "\(k)", "--ports", plan.listenerPorts[k].map(String.init).joined(separator: ","),
                                  "--address", plan.listenerAddress, "--hold-limit", "\(plan.count(ofPart: k) + 16)",
                                  "--life-limit-ns", "\(lifeLimitNs)"])
        }
        try awaitReady(listeners, what: "listener process", namespace: namespace)
    }

    private var lifeLimitNs: UInt64 { plan.buildLimitNs + plan.options.holdNs + 120_000_000_000 }

    private func startGenerators(namespace: UInt64) throws(Failure) {
        let o = plan.options
        for k in 0..<plan.processes {
            try start(generators, ["generator", "--part", "\(k)", "--parts", "\(plan.processes)", "--connections", "\(o.connections)",
                                   "--rate", "\(o.ratePerSecond)", "--step", "\(o.step)",
                                   "--sources", plan.sourceAddresses.joined(separator: ","),
                                   "--ports", plan.listenerPorts[k].map(String.init).joined(separator: ","),
                                   "--address", plan.listenerAddress, "--timeout-ns", "\(o.timeoutNs)",
                                   "--build-limit-ns", "\(plan.buildLimitNs)", "--life-limit-ns", "\(lifeLimitNs)",
                                   "--engine", (o.engine ?? .epoll).rawValue])
        }
        try awaitReady(generators, what: "generator part", namespace: namespace)
    }

    private func take(_ k: Int, _ said: PartSaid<HoldPartMessage>) {
        let pid = generators.children[k].pid
        switch said {
        case .message(.built): built.insert(k)
        case .message(.generatorResult(let r)):
            results[k] = r
            built.insert(k)
        case .message(.generatorRun(let r)): runs[k] = r
        case .message(.error(let why)): report.notes.append("part pid \(pid): \(why)")
        case .message: report.notes.append("part pid \(pid) said a message out of turn")
        case .notAMessage(let line): report.notes.append("part pid \(pid) said '\(line)', not a message")
        }
    }

    private func buildAndHold() {
        // Every part is ready with its worker at the start line (buffers allocated); a part
        // that still misses the go says so in its run's notes.
        let go = MonotonicClock.now() + 100_000_000
        generators.sendAll(.go(atNs: go))
        status("hold: \(plan.processes) generator part(s) and \(plan.processes) listener process(es) in \(report.namespace); building up \(plan.options.connections) connections")
        // Parts end their own build-up by buildLimitNs; the margin covers their timeouts.
        let buildEnd = go + plan.buildLimitNs + plan.options.timeoutNs + 5_000_000_000
        while built.count + generators.ended.subtracting(built).count < generators.count {
            if checkSignal(waitNs: 0) { report.interrupted = "the build-up"; break }
            if MonotonicClock.now() > buildEnd {
                report.notes.append("not every part reported its build-up before \(DurationParser.format(plan.buildLimitNs)) and the timeout passed")
                break
            }
            generators.poll(timeoutMs: 50, take)
        }
        let builtAt = MonotonicClock.now()
        report.buildNs = builtAt > go ? builtAt - go : 0
        report.peak = snapshot()
        guard !interrupted else { return }
        let opened = report.peak.map { ($0.tcpInUse - report.before.tcpInUse) / 2 } ?? 0
        status("hold: built (\(opened) connections by sockstat) in \(Num.f3(Double(report.buildNs) / 1e9)) s; holding for \(DurationParser.format(plan.options.holdNs))")
        let holdEnd = builtAt + plan.options.holdNs
        while MonotonicClock.now() < holdEnd {
            let left = holdEnd - MonotonicClock.now()
            if checkSignal(waitNs: Swift.min(left, 100_000_000)) { report.interrupted = "the hold"; break }
        }
        report.heldNs = MonotonicClock.now() - builtAt
        report.holdEnd = snapshot()
    }

    private func finish() {
        generators.sendAll(.close)
        let end = MonotonicClock.now() + 60_000_000_000
        while results.count + generators.ended.subtracting(Set(results.keys)).count < generators.count, MonotonicClock.now() < end {
            generators.poll(timeoutMs: 100, take)
        }
        // The listeners close their ends as the resets arrive; give them until only the
        // listening sockets are left in the namespace (or a few seconds).
        let listening = Int64(plan.listenerPorts.joined().count)
        let settle = MonotonicClock.now() + 5_000_000_000
        while MonotonicClock.now() < settle, (NetCounters.read()[counter: .tcpInUse] ?? 0) > listening { usleep(20_000) }
        listeners.sendAll(.close)
        var listenerResults: [HoldListenerResult] = []
        for k in 0..<listeners.count {
            if case .message(.listenerResult(let r)) = listeners.next(from: k, timeoutNs: 10_000_000_000) {
                listenerResults.append(r)
            } else {
                report.notes.append("listener process \(k) did not report")
            }
        }
        report.missingParts = (0..<generators.count).filter { results[$0] == nil }
        reapAll()
        report.after = snapshot()
        report.listeners = listenerResults
        report.merge(parts: Array(results.values))
        // The parts' own end of the build-up, not when their `built` arrived (each builds
        // its run's report first).
        if report.total.builtNs > report.total.goNs, report.total.goNs > 0 { report.buildNs = report.total.builtNs - report.total.goNs }
        mergeRuns()
        let heldAtStop = listenerResults.reduce(0) { $0 + $1.heldAtStop }
        if heldAtStop > 0 { report.notes.append("listeners still held \(heldAtStop) connections when told to stop (closed then)") }
    }

    /// The parts' build-ups as one run: every figure of `connbench run` over the hold's
    /// connects (histograms added, counts summed; ``RunMerge``).
    private func mergeRuns() {
        let parts = runs.values.sorted { $0.setup.config.tag < $1.setup.config.tag }
        guard parts.count > 1 else { report.build = parts.first; return }
        do { report.build = try RunMerge.merge(parts) } catch {
            report.notes.append("the parts' runs did not merge: \(error.description)")
        }
    }

    /// Waits for every part to exit (bounded), then kills whatever has not.
    private func reapAll() {
        let generatorPIDs = generators.children.map(\.pid), listenerPIDs = listeners.children.map(\.pid)
        let killed = generators.reapAll(graceNs: 10_000_000_000).map { generatorPIDs[$0] }
            + listeners.reapAll(graceNs: 10_000_000_000).map { listenerPIDs[$0] }
        for pid in killed { report.notes.append("part pid \(pid) did not exit; killed") }
    }

    /// On an early failure: tell whatever started to close, then reap it.
    private func cleanUp() {
        guard listeners.count + generators.count > 0 else { return }
        generators.sendAll(.close)
        listeners.sendAll(.close)
        reapAll()
    }
}
