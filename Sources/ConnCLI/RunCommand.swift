import ArgumentParser
import Glibc
import ConnEngine
import ConnReport
import ConnSys
import ConnModel
import ConnStudies

/// `connbench [run]`: the benchmark. Parses, builds a `RunConfig`, runs, prints, writes.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open connections at a fixed rate (open loop) or as fast as possible (closed loop) and report what connect() cost."
    )

    @OptionGroup var options: RunOptions
    @OptionGroup(title: "Runs to merge") var label: RunLabelOptions

    @Option(help: "Generator processes on this host, each with its share of the rate and the CPUs and its own RLIMIT_NOFILE; one merged report, the parts' under parts/.",
            transform: { try ParseValue.positiveInt($0, max: 64) })
    var processes: Int = 1

    /// The `--sysctl` check is here and not in ``RunOptions``: `compare` parses the same
    /// `--sysctl` and always runs in fresh namespaces, so only `run` needs `--netns`
    /// spelled out. `run` takes one value of `--workers` and `--concurrency`.
    func validate() throws {
        try options.requireSingleLoad(for: "run")
        if processes > 1 && options.isolation.topology == .veth {
            throw ValidationError("--processes: not with --topology veth (use --netns, or --target)")
        }
        if processes > 1 && options.isolation.traceKernel {
            throw ValidationError("--processes: not with --trace-kernel (one bpftrace per part would load the run)")
        }
        if !options.isolation.sysctl.isEmpty && !options.isolation.netns && options.isolation.topology != .veth {
            throw ValidationError("--sysctl needs --netns (or --topology veth): connbench sets tunables only inside a namespace it created, never on the host")
        }
    }

    func run() throws {
        var config = options.makeConfig()
        label.apply(to: &config)
        if options.hasNames {
            // A name that does not resolve is a bad --target value: one line, exit 64,
            // like every other invalid value.
            do { try options.resolveTargets(into: &config) } catch { throw CLIFailure(error.description, code: 64) }
            let allowed = (try? CPUAffinity.allowedCPUs()) ?? []
            do { _ = try config.validate(allowedCPUs: allowed) } catch { throw CLIFailure(error.description, code: 64) }
        }
        let directory = options.report.output ?? "Results/" + WallClock.utcStamp(nanoseconds: WallClock.nowNanoseconds(), compact: true)
        if config.createsNamespace {
            do { try NamespaceRun.check(sysctls: config.isolation.sysctls) } catch { throw CLIFailure(error.description) }
        }
        if config.topology == .veth {
            do { try VethLabCheck.check(config.veth) } catch { throw CLIFailure(error.description) }
        }
        if config.traceKernel {
            do { try KernelTrace.preflight() } catch { throw CLIFailure("--trace-kernel: \(error.description)") }
        }
        do { try ReportWriter.prepare(directory: directory) } catch { throw CLIFailure("--output: \(error.description)") }
        let signals = StopSignals()
        signals.block()
        let statsBefore = options.listener.listenerStats.map { ListenerStatsClient.fetch($0) }
        if case .failure(let f)? = statsBefore { throw f }
        let what = config.topology == .veth ? "the built-in listener across a veth lab (IPv\(config.veth.family))"
            : config.targets.isEmpty ? "the built-in loopback listener"
            : config.targets.map(\.description).joined(separator: ", ") + config.resolvedNames.map { " (\($0.lineText))" }.joined()
        // The progress line: on a terminal, or when asked; never with --quiet.
        let showProgress = !options.report.quiet && (options.report.progress || isatty(2) == 1)
        let status: (String) -> Void = { [quiet = options.report.quiet] text in if !quiet { Console.status(text) } }
        status("running \(DurationParser.format(config.durationNs)) at \(config.rate)\(config.rate == .max ? "" : "/s") against \(what); Ctrl-C stops early and still reports")
        let report: RunReport
        var partFiles: [(name: String, contents: String)] = []
        if processes > 1 {
            let outcome: ProcessRun.Outcome
            let quiet = options.report.quiet
            do throws(ProcessRun.Failure) {
                outcome = try ProcessRun.run(config, processes: processes, signals: signals) { if !quiet { Console.status($0) } }
            } catch {
                throw CLIFailure(error.description)
            }
            report = outcome.merged
            for (k, part) in outcome.parts.enumerated() {
                partFiles += RunFiles.files(for: part).map { ("parts/part-\(k)/" + $0.name, $0.contents) }
            }
        } else {
            let progress: (@Sendable (ProgressLine) -> Void)? = showProgress ? { @Sendable line in Console.status(ProgressFormatter.line(line)) } : nil
            do { report = try BenchmarkRunner.run(config, signals: signals, progress: progress) } catch { throw CLIFailure(error.description) }
        }
        Console.out(TextReporter.render(report))
        if let listenerStats = options.listener.listenerStats, case .success(let before)? = statsBefore {
            switch ListenerStatsClient.fetch(listenerStats) {
            case .success(let after):
                Console.out(ListenerStatsClient.render(before: before, after: after, from: listenerStats))
            case .failure(let f):
                status("listener side: \(f.message)")
            }
        }
        let files = RunFiles.files(for: report)
        do { try ReportWriter.write(files + partFiles, to: directory) } catch { throw CLIFailure(error.description) }
        status("wrote \(directory)/" + files.map(\.name).joined(separator: ", ") + (partFiles.isEmpty ? "" : "; each part's under parts/"))
    }
}
