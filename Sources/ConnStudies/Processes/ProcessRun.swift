@preconcurrency import Glibc
import ConnEngine
import ConnSys
import ConnModel

/// `run --processes N`: one run made by N generator processes on this host, so that it
/// may hold more descriptors than one process's RLIMIT_NOFILE allows. Each part is a
/// copy of connbench (``RunPart``) with its share of the run (``shares(of:processes:allowedCPUs:)``),
/// all started at one CLOCK_MONOTONIC time; their reports merge into one (``RunMerge``).
///
/// With `--netns` the supervisor thread enters the run's fresh namespace and spawns the
/// parts from it, so they run in it. The built-in listener runs in the supervisor, and the
/// parts connect to it. Ctrl-C or SIGTERM tells every part to stop; they still report.
package enum ProcessRun {
    package struct Failure: Error, CustomStringConvertible { package let description: String }

    /// The merged report and the parts' own, by part.
    package struct Outcome: Sendable {
        package var merged: RunReport
        package var parts: [RunReport]
    }

    typealias Parts = PartSupervisor<RunPartMessage, RunSupervisorMessage>

    package static func run(_ config: RunConfig, processes: Int, signals: StopSignals,
                            status: @escaping @Sendable (String) -> Void) throws(Failure) -> Outcome {
        guard processes >= 2 else { throw Failure(description: "--processes: a run spread over processes needs at least 2") }
        if config.topology == .veth { throw Failure(description: "--processes: not with --topology veth (use --netns, or --target)") }
        if config.traceKernel { throw Failure(description: "--processes: not with --trace-kernel (one bpftrace per part would load the run)") }
        guard config.createsNamespace else { return try supervise(config, processes: processes, signals: signals, status: status).get() }
        let outcome: Result<Outcome, Failure>
        do {
            outcome = try NamespaceRun.run(sysctls: config.isolation.sysctls) {
                supervise(config, processes: processes, signals: signals, status: status)
            }
        } catch {
            throw Failure(description: error.description)
        }
        return try outcome.get()
    }

    /// Each part's config: its place in the schedule, its share of the rate, of the CPUs
    /// (and of `--workers`, when given), the run's targets; `--concurrency` stays per
    /// worker. The one place a share is computed.
    package static func shares(of config: RunConfig, processes n: Int, allowedCPUs: [Int], targets: [SocketAddress]) -> [RunConfig] {
        let cpus = config.cpus ?? allowedCPUs
        return (0..<n).map { k in
            var c = config
            c.share = RunShare(part: k, parts: n)
            if case .fixed(let r) = config.rate { c.rate = .fixed(perSecond: r / Double(n)) }
            if !cpus.isEmpty {
                c.cpus = cpus.count >= n ? cpus.enumerated().filter { $0.offset % n == k }.map(\.element) : [cpus[k % cpus.count]]
            }
            c.workers = config.workers.map { w in Swift.max(1, w / n + (k < w % n ? 1 : 0)) }
            c.targets = targets
            c.startAtEpochNs = nil
            c.tag = "part-\(k)"
            return c
        }
    }

    static func supervise(_ config: RunConfig, processes: Int, signals: StopSignals,
                          status: (String) -> Void) -> Result<Outcome, Failure> {
        let allowed = (try? CPUAffinity.allowedCPUs()) ?? []
        var listener: Listener?
        var targets = config.targets
        if targets.isEmpty {
            do { listener = try Listener(config: config.listener, defaultCPUs: config.cpus ?? allowed) } catch {
                return .failure(Failure(description: error.description))
            }
            targets = listener.map { [$0.address] } ?? []
        }
        let parts = Parts()
        var session = Session(parts: parts, signals: signals)
        do throws(Failure) {
            for c in shares(of: config, processes: processes, allowedCPUs: allowed, targets: targets) {
                let k: Int
                do { k = try parts.start(["run-part"]) } catch { throw Failure(description: "cannot start a part: posix_spawn failed: \(error.name)") }
                parts.send(.config(c), to: k)
            }
            try session.awaitReady()
        } catch {
            session.stopAll()
            listener?.stop()
            return .failure(error)
        }
        let go = MonotonicClock.now() + startLead(config)
        parts.sendAll(.go(atNs: go))
        status("\(processes) processes started; each runs its share")
        session.collect(until: go + config.warmupNs + config.durationNs + config.timeoutNs + 60_000_000_000)
        let killed = parts.reapAll(graceNs: 10_000_000_000)
        listener?.stop()
        let info = listener?.info(close: config.listener.close)
        return merge(session, config: config, processes: processes, listener: info, killed: killed)
    }

    /// Until `--start-at` (wall clock), else a moment for the go to reach every part.
    static func startLead(_ config: RunConfig) -> UInt64 {
        let lead: UInt64 = 100_000_000
        guard let at = config.startAtEpochNs else { return lead }
        let now = WallClock.nowNanoseconds()
        return at > now ? Swift.max(lead, at - now) : lead
    }

    static func merge(_ session: Session, config: RunConfig, processes: Int, listener: ListenerInfo?, killed: [Int]) -> Result<Outcome, Failure> {
        let reports = session.reports.keys.sorted().compactMap { session.reports[$0] }
        guard let first = reports.first else {
            return .failure(Failure(description: "no part reported" + (session.notes.first.map { ": \($0)" } ?? "")))
        }
        var merged: RunReport
        if reports.count > 1 {
            do { merged = try RunMerge.merge(reports) } catch { return .failure(Failure(description: "the parts did not merge: \(error.description)")) }
        } else {
            merged = first
        }
        // The run as asked for: the whole rate and CPUs, the built-in listener if it was
        // one, and the number of processes (a share of the whole run: part 0 of them).
        merged.setup.config.tag = config.tag
        merged.setup.config.targets = config.targets
        merged.setup.config.share = RunShare(part: 0, parts: processes)
        merged.setup.cpus = Array(Set(reports.flatMap(\.setup.cpus))).sorted()
        merged.setup.config.startAtEpochNs = config.startAtEpochNs
        merged.interrupted = merged.interrupted || session.interrupted
        if let listener { merged.listener = listener }
        merged.notes += session.notes
        let missing = (0..<processes).filter { session.reports[$0] == nil }
        if !missing.isEmpty { merged.notes.append("part(s) \(missing.map(String.init).joined(separator: ", ")) did not report: the figures are the others'") }
        if !killed.isEmpty { merged.notes.append("part(s) \(killed.map(String.init).joined(separator: ", ")) did not exit; killed") }
        return .success(Outcome(merged: merged, parts: reports))
    }

    /// What the parts said while the run went on.
    struct Session {
        let parts: Parts
        let signals: StopSignals
        var reports: [Int: RunReport] = [:]
        var notes: [String] = []
        var interrupted = false

        mutating func awaitReady() throws(Failure) {
            for k in 0..<parts.count {
                switch parts.next(from: k, timeoutNs: 60_000_000_000) {
                case .message(.ready)?: continue
                case .message(.error(let why))?: throw Failure(description: "part \(k): \(why)")
                case nil: throw Failure(description: "part \(k) (pid \(parts.children[k].pid)) did not start")
                default: throw Failure(description: "part \(k) said something other than ready")
                }
            }
        }

        /// Until every part has reported or ended (or `deadline`); a signal stops them all.
        mutating func collect(until deadline: UInt64) {
            while reports.count + parts.ended.subtracting(reports.keys).count < parts.count, MonotonicClock.now() < deadline {
                if !interrupted, signals.wait(nanoseconds: 0) != nil {
                    interrupted = true
                    parts.sendAll(.stop)
                }
                parts.poll(timeoutMs: 50) { k, said in take(k, said) }
            }
        }

        mutating func take(_ k: Int, _ said: PartSaid<RunPartMessage>) {
            switch said {
            case .message(.report(let r)): reports[k] = r
            case .message(.error(let why)): notes.append("part \(k): \(why)")
            case .message(.ended), .message(.ready): break
            case .notAMessage(let line): notes.append("part \(k) said '\(line)', not a message")
            }
        }

        func stopAll() {
            parts.sendAll(.stop)
            _ = parts.reapAll(graceNs: 5_000_000_000)
        }
    }
}
