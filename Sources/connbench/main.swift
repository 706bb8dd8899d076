import ConnCLI
@preconcurrency import Glibc

exit(Connbench.execute(Array(CommandLine.arguments.dropFirst())))
