import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `run`'s options, section "Output" of its help: Where the report goes and what is printed while the run goes.
struct OutputOptions: ParsableArguments {
    @Option(help: "Length of one time-series interval.", transform: ParseValue.positiveDuration)
    var interval: UInt64 = 1_000_000_000

    @Option(help: "Folder for summary.txt, summary.csv, timeseries.csv, errors.csv, report.html (default: Results/<UTC time>).")
    var output: String?

    @Flag(help: "No status lines on stderr: no progress line, no 'running'/'wrote' lines (the report still goes to stdout and the files).")
    var quiet = false

    @Flag(help: "Print the progress line (one per --interval on stderr) even when stderr is not a terminal. By default it is on for a terminal only.")
    var progress = false
}
