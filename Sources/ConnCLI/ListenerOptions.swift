import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `run`'s options, section "Built-in listener" of its help: The loopback listener connbench starts when no --target is given.
struct ListenerOptions: ParsableArguments {
    @Option(name: .customLong("listener-address"), help: "Address of the built-in listener (127.0.0.1, ::1).", transform: ParseValue.address)
    var listenerAddress: SocketAddress?

    @Option(name: .customLong("listener-threads"), help: "Accept threads of the built-in listener (default: one per worker CPU).", transform: { try ParseValue.positiveInt($0, max: 1024) })
    var listenerThreads: Int?

    @Option(name: .customLong("listener-cpus"), help: "CPUs for the built-in listener's threads (default: the workers' CPUs).", transform: ParseValue.cpus)
    var listenerCPUs: [Int]?

    @Option(name: .customLong("listener-mode"), help: "Built-in listener: accept-close, wait-fin, hold or never-accept (see `connbench listen --help`). Default: wait-fin, so that with --close fin the client always holds TIME_WAIT.")
    var listenerMode: ListenerMode?

    @Option(name: .customLong("listener-close"), help: "Older name for --listener-mode: immediate = accept-close, peer = wait-fin.")
    var listenerClose: ListenerClose?

    @Option(name: .customLong("listener-hold-limit"), help: "Built-in listener in hold mode: connections held open at once.", transform: { try ParseValue.positiveInt($0, max: 1 << 30) })
    var listenerHoldLimit: Int = ListenerConfig.defaultHoldLimit

    @Option(name: .customLong("listener-backlog"), help: "The built-in listener's listen backlog (the kernel caps it at net.core.somaxconn of the listener's namespace).", transform: { try ParseValue.positiveInt($0, max: 1 << 20) })
    var listenerBacklog: Int?

    @Option(name: .customLong("listener-stats"), help: "IP:PORT of a `connbench listen --stats-port`: read its side report before and after the run and print a 'listener side' section.", transform: ParseValue.numericTarget)
    var listenerStats: SocketAddress?
}
