import ConnCLI

/// Command lines: one argument per line of the input (`run`, `--rate`, `1e309`), parsed,
/// validated and turned into the run's values as a command would before it starts;
/// nothing is run.
enum CommandLineFuzzing {
    static func value(_ bytes: UnsafeRawBufferPointer) {
        let arguments = bytes.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard arguments.count <= 64 else { return }
        CommandLineCheck.check(arguments)
    }
}
