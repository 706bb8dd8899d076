/// The readers of outside input, each as one function of bytes, for libFuzzer and for the
/// corpus replay in the unit tests.
///
/// A reader may refuse its input — that is the answer to bad input — but it must never
/// trap. So a target feeds its bytes to a reader and then to everything the reader's value
/// reaches when a user runs the command (a report's every file, a merge of it), because a
/// value read without complaint but out of range traps downstream, in a formatter or an
/// integer conversion, not in the reader.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `report.json` as `connbench report`, `merge` and `compare --saved` read it.
    case reportJSON = "report-json"
    /// An HdrHistogram interval log (`latency.hlog`).
    case histogramLog = "hlog"
    /// What `--trace-kernel`'s bpftrace printed.
    case kernelTrace = "kernel-trace"
    /// The /proc and /sys files connbench reads; the first byte picks which.
    case procFiles = "proc"
    /// Command-line option values; the first line names the option.
    case commandLine = "command-line"
    /// The JSON lines a part process and its supervisor exchange.
    case partMessages = "messages"

    /// Feeds `bytes` to the target's readers; returning at all is the pass.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .reportJSON: ReportFuzzing.reportJSON(bytes)
        case .histogramLog: ReportFuzzing.histogramLog(bytes)
        case .kernelTrace: ProcFuzzing.kernelTrace(bytes)
        case .procFiles: ProcFuzzing.procFile(bytes)
        case .commandLine: CommandLineFuzzing.value(bytes)
        case .partMessages: ProcFuzzing.partMessage(bytes)
        }
    }

    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as text, invalid UTF-8 repaired, as every reader sees a file.
    var text: String { String(decoding: self, as: UTF8.self) }
}
