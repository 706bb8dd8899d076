@preconcurrency import Glibc
import ConnFuzz

// libFuzzer's own driver, entered from this main rather than libFuzzer's: SwiftPM names an
// executable's entry point after its module, so libFuzzer's `main` never links in. The
// target is the environment's CONNBENCH_FUZZ_TARGET; libFuzzer reads the arguments.

typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: TestOneInput) -> Int32

let chosen = getenv("CONNBENCH_FUZZ_TARGET").map { String(cString: $0) } ?? ""
guard let target = FuzzTarget(rawValue: chosen) else {
    fputs("connbench-fuzz: set CONNBENCH_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n", stderr)
    exit(64)
}
nonisolated(unsafe) var selected = target

var argc = CommandLine.argc
var argv = Optional(CommandLine.unsafeArgv)
let status = withUnsafeMutablePointer(to: &argv) { argvPointer in
    LLVMFuzzerRunDriver(&argc, argvPointer) { data, size in
        selected.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
exit(status)
