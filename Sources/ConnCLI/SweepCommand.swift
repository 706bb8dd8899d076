import ArgumentParser
import ConnEngine
import ConnReport
import ConnSys
import ConnModel
import ConnStudies
import ConnAnalysis

/// `connbench sweep`: many runs over one axis, and the one number a planner wants from
/// them: the knee (open-loop rates) or the scalability law's peak (closed-loop load).
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Step over rates (the knee: the highest rate held within the SLO and error budget) or over load (--concurrency/--workers lists: a Universal Scalability Law fit).",
        discussion: """
        Every step is a whole run (its own warm-up and window; with --fresh its own network namespace, so TIME_WAIT \
        does not carry over). Examples:
          connbench sweep --rates auto --slo p99=1ms --close rst
          connbench sweep --rates 5k..50k/5k --slo p99=1ms --slo p99.9=5ms --error-budget 0.1%
          connbench sweep --rate max --concurrency 1..64/x2 --workers 1 --close rst
        """
    )

    @OptionGroup var base: RunOptions

    @Option(help: "Open-loop rates: auto (ramp ×2 from 5000/s, then bisection; auto:2% sets the resolution, default 5%), a list 5k,10k,20k, or a range 5k..50k/5k.")
    var rates: String?

    @Option(help: "Latency objective on the corrected latency, repeatable: p99=1ms, p99.9=5ms, p50=200us.")
    var slo: [String] = []

    @Option(name: .customLong("error-budget"), help: "Failed + timed-out attempts allowed, as a share of attempts: 0.1% or 0.001.")
    var errorBudget: String = "0.1%"

    @Flag(help: "Give every step a fresh network namespace (needs root), so ports in TIME_WAIT from one step do not slow the next.")
    var fresh = false

    /// Per-step defaults, shorter than a run's: a sweep is many runs.
    static let stepDurationNs: UInt64 = 3_000_000_000
    static let stepWarmupNs: UInt64 = 500_000_000

    struct Parsed {
        var axis: SweepAxis
        var criteria: KneeCriteria
    }

    func parse() throws(ConfigError) -> Parsed {
        var criteria = KneeCriteria()
        criteria.objectives = try slo.map { s throws(ConfigError) in try KneeCriteria.parseObjective(s) }
        criteria.errorBudget = try KneeCriteria.parseBudget(errorBudget)
        let loadAxes = [(base.load.concurrency ?? []).count > 1, (base.load.workers ?? []).count > 1].filter { $0 }.count
        if loadAxes > 1 { throw ConfigError("sweep: step over --concurrency or over --workers, not both") }
        if let rates {
            if loadAxes > 0 { throw ConfigError("sweep: --rates steps over open-loop rates; a --concurrency/--workers list steps over closed-loop load: give one") }
            return Parsed(axis: try SweepRatesParser.parse(rates), criteria: criteria)
        }
        if let c = base.load.concurrency, c.count > 1 {
            guard base.load.rate == .max else { throw ConfigError("sweep --concurrency LIST is closed loop: add --rate max") }
            return Parsed(axis: .concurrency(c), criteria: criteria)
        }
        if let w = base.load.workers, w.count > 1 {
            guard base.load.rate == .max else { throw ConfigError("sweep --workers LIST is closed loop: add --rate max") }
            return Parsed(axis: .workers(w), criteria: criteria)
        }
        throw ConfigError("sweep: give --rates (auto, 5k,10k or 5k..50k/5k), or --rate max with a --concurrency or --workers list")
    }

    func validate() throws {
        do { _ = try parse() } catch { throw ValidationError(error.description) }
        if base.load.untilExhausted { throw ValidationError("sweep: --until-exhausted ends a run at onset; a sweep step runs its whole window") }
    }

    func run() throws {
        let parsed: Parsed
        do { parsed = try parse() } catch { throw CLIFailure(error.description, code: 64) }
        var config = base.makeConfig()
        if base.hasNames {
            do { try base.resolveTargets(into: &config) } catch { throw CLIFailure(error.description, code: 64) }
        }
        config.durationNs = base.load.duration ?? Self.stepDurationNs
        config.warmupNs = base.load.warmup ?? Self.stepWarmupNs
        if fresh { config.isolation.netns = true }
        if parsed.axis.isLoad { config.rate = .max }
        if config.isolation.netns {
            do { try NamespaceRun.check(sysctls: config.isolation.sysctls) } catch { throw CLIFailure(error.description) }
        }
        let directory = base.report.output ?? "Results/" + WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds(), compact: true) + "-sweep"
        do { try ReportWriter.prepare(directory: directory) } catch { throw CLIFailure("--output: \(error.description)") }
        var settings: [RunReport.Setting] = [
            .init(parsed.axis.isLoad ? "load" : "rates", axisText(parsed.axis)),
            .init("step", "\(DurationParser.format(config.warmupNs)) warm-up + \(DurationParser.format(config.durationNs))"),
            .init("close", config.close.rawValue),
            .init("target", config.targets.isEmpty ? "builtin" : config.targets.map(\.description).joined(separator: " ")),
            .init("fresh", config.isolation.netns ? "yes" : "no"),
        ]
        if parsed.axis.isLoad {
            if case .concurrency = parsed.axis { settings.append(.init("workers", config.workers.map(String.init) ?? "per CPU")) }
            if case .workers = parsed.axis { settings.append(.init("concurrency", String(config.resolvedConcurrency))) }
        }
        if !config.isolation.sysctls.isEmpty { settings.append(.init("sysctl", config.isolation.sysctls.map(\.description).joined(separator: " "))) }
        let signals = StopSignals()
        signals.block()
        Console.status("sweep: \(settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); Ctrl-C stops and still reports the steps that ran")
        let plan = SweepRunner.Plan(base: config, axis: parsed.axis, criteria: parsed.criteria, settings: settings)
        let report: SweepReport
        do {
            report = try SweepRunner.run(plan, signals: signals) { s in
                let what = s.requestedRate.map { "\(Num.rate($0))/s" } ?? "N=\(s.load ?? 0)"
                let verdict = s.requestedRate == nil ? "" : (s.passed ? " pass" : " FAIL (\(s.missed.first ?? ""))")
                Console.status("step \(s.index): \(what): \(Num.rate(s.establishedPerSecond)) established/s, p99 \(Num.latency(s.p99Ns))\(verdict)")
            }
        } catch {
            throw CLIFailure(error.description)
        }
        let text = SweepReporter.text(report)
        Console.out(text)
        do { try ReportWriter.write([("sweep.txt", text), ("sweep.csv", SweepReporter.csv(report)),
                                   ("sweep.html", HTMLReporter.render(report))], to: directory) } catch {
            throw CLIFailure(error.description)
        }
        Console.status("wrote \(directory)/sweep.txt, sweep.csv, sweep.html")
    }

    func axisText(_ axis: SweepAxis) -> String {
        switch axis {
        case .rates(let r): r.map(Num.rate).joined(separator: ",")
        case .autoRates(let s): "auto (×\(Num.rate(s.factor)) from \(Num.rate(s.start))/s until two fail, then bisection to \(Num.f1(100 * s.resolution))%)"
        case .concurrency(let c): "concurrency " + c.map(String.init).joined(separator: ",")
        case .workers(let w): "workers " + w.map(String.init).joined(separator: ",")
        }
    }
}
