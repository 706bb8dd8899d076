@preconcurrency import Glibc
import ConnAnalysis
import ConnEngine
import ConnSys
import Foundation
import ConnModel
import ConnStudies

/// Runs a hold's processes and merges what they report.
///
/// It runs on a thread that entered a fresh anonymous network namespace, and spawns every
/// part from that thread, so every part is in that namespace (checked: each part reports
/// its namespace inode). Nothing names the namespace; it ends when the thread and the
/// parts have. The order is: listeners (ready), generators (ready), `go` to all
/// generators with one start time, wait until all are built, hold, `close` to the
/// generators (they reset their connections and report), `close` to the listeners.
/// Ctrl-C or SIGTERM at any point sends `close` early; each wait is bounded, and a part
/// that does not answer is killed and reaped.
final class HoldSupervisor {
    let plan: HoldPlan
    let signals: StopSignals
    private var listeners: [ChildProcess] = []
    private var generators: [ChildProcess] = []
    private var readers: [Int32: LineReader] = [:]
    private(set) var report: HoldReport
    private var interrupted = false

    init(plan: HoldPlan, signals: StopSignals) {
        self.plan = plan
        self.signals = signals
        report = HoldReport(plan: plan)
    }

    struct Failure: Error { let message: String }

    /// Everything, start to end; the namespace thread's body.
    func run() -> Result<HoldReport, Failure> {
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
        HoldSnapshot.take(generatorPIDs: generators.map(\.pid), listenerPIDs: listeners.map(\.pid))
    }

    private func checkSignal(waitNs: UInt64) -> Bool {
        if signals.wait(nanoseconds: waitNs) != nil { interrupted = true }
        return interrupted
    }

    private func spawn(_ arguments: [String]) throws(Failure) -> ChildProcess {
        do {
            let child = try ChildProcess.spawnSelf(arguments: ["hold-part"] + arguments)
            readers[child.pid] = LineReader(child.channel)
            return child
        } catch {
            throw Failure(message: "cannot start a hold part: posix_spawn failed: \(error.name)")
        }
    }

    /// Waits for a part's `ready` and checks it is in our namespace.
    private func awaitReady(_ child: ChildProcess, what: String, namespace: UInt64) throws(Failure) {
        guard let line = readers[child.pid]?.nextLine(timeoutNs: 20_000_000_000) else {
            throw Failure(message: "\(what) (pid \(child.pid)) did not start")
        }
        let message = HoldChannel.decode(line, as: HoldPartMessage.self)
        if case .error(let why) = message { throw Failure(message: "\(what): \(why)") }
        guard case .ready(let inode) = message else {
            throw Failure(message: "\(what) said '\(line.prefix(80))' instead of ready")
        }
        guard inode == namespace else {
            throw Failure(message: "\(what) runs in namespace net:[\(inode)], not the run's net:[\(namespace)]; refusing to go on")
        }
    }

    private func startListeners(namespace: UInt64) throws(Failure) {
        for k in 0..<plan.processes {
            let args = ["listener", "--part", "\(k)", "--ports", plan.listenerPorts[k].map(String.init).joined(separator: ","),
                        "--address", plan.listenerAddress, "--hold-limit", "\(plan.count(ofPart: k) + 16)",
                        "--life-limit-ns", "\(lifeLimitNs)"]
            listeners.append(try spawn(args))
        }
        for (k, l) in listeners.enumerated() { try awaitReady(l, what: "listener process \(k)", namespace: namespace) }
    }

    private var lifeLimitNs: UInt64 { plan.buildLimitNs + plan.options.holdNs + 120_000_000_000 }

    private func startGenerators(namespace: UInt64) throws(Failure) {
        let o = plan.options
        for k in 0..<plan.processes {
            let args = ["generator", "--part", "\(k)", "--parts", "\(plan.processes)", "--connections", "\(o.connections)",
                        "--rate", "\(o.ratePerSecond)", "--step", "\(o.step)",
                        "--sources", plan.sourceAddresses.joined(separator: ","),
                        "--ports", plan.listenerPorts[k].map(String.init).joined(separator: ","),
                        "--address", plan.listenerAddress, "--timeout-ns", "\(o.timeoutNs)",
                        "--build-limit-ns", "\(plan.buildLimitNs)", "--life-limit-ns", "\(lifeLimitNs)",
                        "--engine", (o.engine ?? .epoll).rawValue]
            generators.append(try spawn(args))
        }
        for (k, g) in generators.enumerated() { try awaitReady(g, what: "generator part \(k)", namespace: namespace) }
    }

    /// What the generators said, by pid: built, and their results.
    private var built: Set<Int32> = []
    private var results: [Int32: HoldPartResult] = [:]
    private var runs: [Int32: RunReport] = [:]
    private var gone: Set<Int32> = []

    private func pollGenerators(timeoutMs: Int32) {
        var pfds = generators.filter { !gone.contains($0.pid) }.map { pollfd(fd: $0.channel.rawValue, events: Int16(POLLIN), revents: 0) }
        guard !pfds.isEmpty else { usleep(UInt32(timeoutMs) * 1000); return }
        let n = (try? syscall { poll(&pfds, nfds_t(pfds.count), timeoutMs) }) ?? 0
        guard n > 0 else { return }
        for g in generators where !gone.contains(g.pid) {
            guard let reader = readers[g.pid] else { continue }
            guard let p = pfds.first(where: { $0.fd == g.channel.rawValue }), p.revents != 0 else { continue }
            reader.fill()
            while let line = reader.takeLine() { take(line, from: g.pid) }
            if reader.closed { gone.insert(g.pid) }
        }
    }

    private func take(_ line: String, from pid: Int32) {
        switch HoldChannel.decode(line, as: HoldPartMessage.self) {
        case .built: built.insert(pid)
        case .generatorResult(let r):
            results[pid] = r
            built.insert(pid)
        case .generatorRun(let r): runs[pid] = r
        case .error(let why): report.notes.append("part pid \(pid): \(why)")
        case .ready, .listenerResult: report.notes.append("part pid \(pid) said '\(line.prefix(80))' out of turn")
        case nil: report.notes.append("part pid \(pid) said '\(line.prefix(80))', not a message")
        }
    }

    private func buildAndHold() {
        // Every part is ready with its worker at the start line (buffers allocated); a part
        // that still misses the go says so in its run's notes.
        let go = MonotonicClock.now() + 100_000_000
        for g in generators { HoldChannel.send(HoldSupervisorMessage.go(atNs: go), on: g.channel) }
        Console.status("hold: \(plan.processes) generator part(s) and \(plan.processes) listener process(es) in \(report.namespace); building up \(plan.options.connections) connections")
        // Parts end their own build-up by buildLimitNs; the margin covers their timeouts.
        let buildEnd = go + plan.buildLimitNs + plan.options.timeoutNs + 5_000_000_000
        while built.count + gone.subtracting(built).count < generators.count {
            if checkSignal(waitNs: 0) { report.interrupted = "the build-up"; break }
            if MonotonicClock.now() > buildEnd {
                report.notes.append("not every part reported its build-up before \(DurationParser.format(plan.buildLimitNs)) and the timeout passed")
                break
            }
            pollGenerators(timeoutMs: 50)
        }
        let builtAt = MonotonicClock.now()
        report.buildNs = builtAt > go ? builtAt - go : 0
        report.peak = snapshot()
        guard !interrupted else { return }
        let opened = report.peak.map { ($0.tcpInUse - report.before.tcpInUse) / 2 } ?? 0
        Console.status("hold: built (\(opened) connections by sockstat) in \(String(format: "%.3f", Double(report.buildNs) / 1e9)) s; holding for \(DurationParser.format(plan.options.holdNs))")
        let holdEnd = builtAt + plan.options.holdNs
        while MonotonicClock.now() < holdEnd {
            let left = holdEnd - MonotonicClock.now()
            if checkSignal(waitNs: Swift.min(left, 100_000_000)) { report.interrupted = "the hold"; break }
        }
        report.heldNs = MonotonicClock.now() - builtAt
        report.holdEnd = snapshot()
    }

    private func finish() {
        for g in generators { HoldChannel.send(HoldSupervisorMessage.close, on: g.channel) }
        let end = MonotonicClock.now() + 60_000_000_000
        while results.count + gone.subtracting(Set(results.keys)).count < generators.count, MonotonicClock.now() < end {
            pollGenerators(timeoutMs: 100)
        }
        // The listeners close their ends as the resets arrive; give them until only the
        // listening sockets are left in the namespace (or a few seconds).
        let listening = Int64(plan.listenerPorts.joined().count)
        let settle = MonotonicClock.now() + 5_000_000_000
        while MonotonicClock.now() < settle, (NetCounters.read()[counter: .tcpInUse] ?? 0) > listening { usleep(20_000) }
        for l in listeners { HoldChannel.send(HoldSupervisorMessage.close, on: l.channel) }
        var listenerResults: [HoldListenerResult] = []
        for (k, l) in listeners.enumerated() {
            if let line = readers[l.pid]?.nextLine(timeoutNs: 10_000_000_000),
               case .listenerResult(let r) = HoldChannel.decode(line, as: HoldPartMessage.self) {
                listenerResults.append(r)
            } else {
                report.notes.append("listener process \(k) did not report")
            }
        }
        reapAll()
        report.after = snapshot()
        report.listeners = listenerResults
        report.missingParts = generators.enumerated().filter { results[$0.element.pid] == nil }.map(\.offset)
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

    /// Waits for every child to exit (bounded), then kills whatever has not.
    private func reapAll() {
        let all = listeners + generators
        var left = Set(all.map(\.pid))
        let end = MonotonicClock.now() + 10_000_000_000
        while !left.isEmpty && MonotonicClock.now() < end {
            for c in all where left.contains(c.pid) { if c.reap(block: false) != nil { left.remove(c.pid) } }
            if !left.isEmpty { usleep(20_000) }
        }
        for c in all where left.contains(c.pid) {
            report.notes.append("part pid \(c.pid) did not exit; killed")
            c.signal(SIGKILL)
            _ = c.reap(block: true)
        }
        for c in all { c.channel.closeSocket() }
        listeners = []
        generators = []
    }

    /// On an early failure: tell whatever started to close, then reap it.
    private func cleanUp() {
        guard !listeners.isEmpty || !generators.isEmpty else { return }
        for c in generators + listeners { HoldChannel.send(HoldSupervisorMessage.close, on: c.channel) }
        reapAll()
    }
}
