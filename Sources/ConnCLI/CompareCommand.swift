import ArgumentParser
import ConnEngine
import ConnReport
import ConnSys
import ConnModel
import ConnStudies
import ConnAnalysis

/// `connbench compare`: the same benchmark under several settings, trials interleaved,
/// each in a fresh namespace, and a statistical verdict per setting against the first.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run the same benchmark under several settings (--sysctl KEY=V1,V2, --vary FLAG=V1,V2) and say, with statistics, which differ. Needs root.",
        discussion: """
        Every run option below is the base each setting starts from. Here --sysctl takes a list, \
        KEY=V1,V2,… (a comma inside one value is written \\,), and every trial runs in a fresh \
        network namespace (--netns is implied). Settings are the cross product of all lists; the \
        first is the baseline. Trials run interleaved, A B C A B C, after --warmup-trials discarded \
        rounds. --output names the folder for compare.txt and compare.csv.
        """
    )

    @OptionGroup var base: RunOptions

    @Option(help: "FLAG=V1,V2,…, repeatable: a run flag to vary (\(CompareVary.names)); flags on/off for reuseaddr and bind-no-port.")
    var vary: [String] = []

    @Option(help: "Measured trials per setting (2 to 50).", transform: { try ParseValue.positiveInt($0, max: 50) })
    var trials: Int = 5

    @Option(name: .customLong("warmup-trials"), help: "Rounds of every setting run first and discarded (0 to 10).")
    var warmupTrials: Int = 1

    @Option(help: "NAME=DIR[,DIR…], repeatable: compare runs already made (a DIR is a run folder or a folder of run folders), each set's runs its trials; the first set is the baseline. Nothing is run.")
    var saved: [String] = []

    @Option(help: "The figure settings are compared by: \(CompareFigure.allCases.map(\.rawValue).joined(separator: ", ")).")
    var by: CompareFigure = .establishedPerSecond

    func validate() throws {
        if !saved.isEmpty {
            guard vary.isEmpty && base.isolation.sysctl.isEmpty else {
                throw ValidationError("--saved compares runs already made; --vary and --sysctl make new ones")
            }
            if saved.count < 2 { throw ValidationError("--saved: give at least two sets, NAME=DIR[,DIR…] each") }
            return
        }
        try base.requireSingleLoad(for: "compare (vary it with --vary workers=1,2)")
        if trials < 2 { throw ValidationError("--trials must be at least 2: one trial per setting has no spread to compare") }
        if !(0...10).contains(warmupTrials) { throw ValidationError("--warmup-trials must be 0 to 10") }
        if !base.targets.target.isEmpty {
            throw ValidationError("--target: compare runs every trial in a fresh namespace against its built-in listener; nothing else is reachable there")
        }
        if base.listener.listenerStats != nil { throw ValidationError("--listener-stats: compare uses only the built-in listener") }
        _ = try makePlan()
    }

    /// The settings: every `--sysctl` list and `--vary` list crossed, each applied to a
    /// copy of the base options and checked as `run` would check it.
    func makePlan() throws -> ComparePlan {
        var axes: [ComparePlan.Axis] = []
        var seen: Set<String> = []
        for s in base.isolation.sysctl {
            guard let values = ComparePlan.splitValues(s.value) else { throw ValidationError("--sysctl \(s.key): an empty value in '\(s.value)'") }
            for v in values { _ = try ParseValue.sysctl("\(s.key)=\(v)") }
            guard seen.insert(s.key).inserted else { throw ValidationError("--sysctl \(s.key) given twice: list its values once, \(s.key)=V1,V2") }
            axes.append(.init(name: s.key, values: values))
        }
        for text in vary {
            guard let eq = text.firstIndex(of: "=") else { throw ValidationError("--vary: expected FLAG=V1,V2,… (got '\(text)')") }
            let name = String(text[..<eq]).trimmingWhitespace(), list = String(text[text.index(after: eq)...])
            let flag = name.hasPrefix("--") ? String(name.dropFirst(2)) : name
            guard let apply = CompareVary.apply(flag) else {
                throw ValidationError("--vary: '\(name)' cannot be varied; supported: \(CompareVary.names)")
            }
            guard let values = ComparePlan.splitValues(list) else { throw ValidationError("--vary \(flag): an empty value in '\(list)'") }
            var scratch = base
            for v in values {
                do { try apply(&scratch, v) } catch { throw ValidationError("--vary \(flag)=\(v): \(Self.message(error))") }
            }
            guard seen.insert(flag).inserted else { throw ValidationError("--vary \(flag) given twice: list its values once, \(flag)=V1,V2") }
            axes.append(.init(name: flag, values: values))
        }
        let varied = axes.filter { $0.values.count > 1 }
        guard !varied.isEmpty else {
            throw ValidationError("nothing to compare: give --sysctl KEY=V1,V2 or --vary FLAG=V1,V2 with at least two values")
        }
        // Lists of one value are part of every setting, not a difference between them.
        let common = axes.filter { $0.values.count == 1 }
        let combos = ComparePlan.crossProduct(varied)
        guard combos.count <= 64 else { throw ValidationError("\(combos.count) settings: at most 64 (the lists' cross product)") }
        let settings = try combos.enumerated().map { i, values in
            var o = base
            o.isolation.sysctl = []
            var sysctls: [SysctlSetting] = []
            for (name, value) in (common.map { ($0.name, $0.values[0]) } + values.map { ($0.key, $0.value) }) {
                if name.hasPrefix("net.") {
                    sysctls.append(SysctlSetting(key: name, value: value))
                } else {
                    try CompareVary.apply(name)?(&o, value)
                }
            }
            let label = ComparePlan.label(i)
            do { try o.validate() } catch {
                throw ValidationError("setting \(label) (\(values.map { "\($0.key)=\($0.value)" }.joined(separator: " "))): \(Self.message(error))")
            }
            var config = o.makeConfig()
            config.isolation = Isolation(netns: true, sysctls: sysctls)
            return ComparePlan.Setting(label: label, values: values, config: config)
        }
        return ComparePlan(settings: settings, trials: trials, warmupTrials: warmupTrials)
    }

    static func message(_ error: Error) -> String {
        (error as? ValidationError)?.message ?? "\(error)"
    }

    func run() throws {
        if !saved.isEmpty { return try CompareSaved.run(saved, figure: by, output: base.report.output) }
        let plan = try makePlan()
        let directory = base.report.output ?? "Results/" + WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds(), compact: true) + "-compare"
        // Every setting's namespace and sysctls, tried once before anything runs.
        for s in plan.settings {
            do { try NamespaceRun.check(sysctls: s.config.isolation.sysctls) } catch { throw CLIFailure(error.description) }
        }
        do { try ReportWriter.prepare(directory: directory) } catch { throw CLIFailure("--output: \(error.description)") }
        let signals = StopSignals()
        signals.block()
        let started = WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds())
        let per = DurationParser.format(base.load.duration ?? RunOptions.defaultDurationNs)
        Console.status("\(plan.settings.count) settings × \(plan.trials) trials of \(per) (+\(plan.warmupTrials) warm-up round(s)), each in a fresh namespace; Ctrl-C stops and reports the trials completed")
        let outcome: CompareRunner.Outcome
        do {
            outcome = try CompareRunner.run(plan, signals: signals) { step, i, n in
                let s = plan.settings[step.setting]
                Console.status("\(i)/\(n): \(s.label) \(s.description)\(step.warmup ? " (warm-up, discarded)" : ", trial \(step.round + 1)")")
            }
        } catch {
            throw CLIFailure(error.description)
        }
        let report = CompareReport(figure: by, labels: plan.settings.map { ($0.label, $0.description) },
                                   trials: outcome.trials, plannedTrials: plan.trials, warmupTrials: plan.warmupTrials,
                                   interrupted: outcome.interrupted, base: Self.typedCommand(),
                                   kernelRelease: KernelInfo.release(), startedAtUTC: started)
        try Self.printAndWrite(report, to: directory)
    }

    /// compare.txt on the terminal, and compare.txt, .csv and .html into `directory`.
    static func printAndWrite(_ report: CompareReport, to directory: String) throws {
        let text = CompareReporter.text(report)
        Console.out(text)
        do {
            try ReportWriter.write([("compare.txt", text), ("compare.csv", CompareReporter.csv(report)),
                                    ("compare.html", HTMLReporter.render(report))], to: directory)
        } catch {
            throw CLIFailure(error.description)
        }
        Console.status("wrote \(directory)/compare.txt, compare.csv, compare.html")
    }

    /// The command as typed, quoted where a shell would need it: enough to repeat it.
    static func typedCommand() -> String {
        (["connbench"] + CommandLine.arguments.dropFirst()).map { a in
            a.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" }) ? "'" + a + "'" : a
        }.joined(separator: " ")
    }
}

extension CompareFigure: ExpressibleByArgument {}
