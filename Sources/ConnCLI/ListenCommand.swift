import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `connbench listen`: the built-in listener alone, for a generator on another host.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Run the built-in accept loop on a port until Ctrl-C (or --duration)."
    )

    @Option(help: "Port to listen on.", transform: ParseValue.port)
    var port: UInt16

    @Option(help: "Address to listen on (127.0.0.1, ::1, 0.0.0.0).", transform: ParseValue.address)
    var address: SocketAddress = SocketAddress(ip: "127.0.0.1", port: 0)!

    @Option(help: "Accept threads, each with its own SO_REUSEPORT socket.", transform: { try ParseValue.positiveInt($0, max: 1024) })
    var threads: Int = 1

    @Option(help: "CPUs for the accept threads: 0,1 or 0-3.", transform: ParseValue.cpus)
    var cpus: [Int]?

    @Option(help: "Listen backlog (the kernel caps it at net.core.somaxconn).", transform: { try ParseValue.positiveInt($0, max: 1 << 30) })
    var backlog: Int = 65535

    @Option(help: "accept-close (close right after accept: cheapest, but which end holds TIME_WAIT is a race), wait-fin (read until the client's FIN or RST, then close: the client always holds TIME_WAIT), hold (keep open without reading until the client closes, up to --hold-limit) or never-accept (listen only: the backlog fills). Default: wait-fin.")
    var mode: ListenerMode?

    @Option(help: "Older name for --mode: immediate = accept-close, peer = wait-fin.")
    var close: ListenerClose?

    @Option(name: .customLong("hold-limit"), help: "With --mode hold: connections held open at once; past it a new one is closed at once and counted.", transform: { try ParseValue.positiveInt($0, max: 1 << 30) })
    var holdLimit: Int = ListenerConfig.defaultHoldLimit

    @Option(help: "Stop after this long (default: until Ctrl-C).", transform: ParseValue.positiveDuration)
    var duration: UInt64?

    @Option(name: .customLong("stats-port"), help: "Also answer every TCP connection to this port (on the listener's address) with the JSON of the listener's side report, then close: for `connbench run --listener-stats`.", transform: ParseValue.port)
    var statsPort: UInt16?

    @Flag(name: .customLong("no-accept"), help: "Older name for --mode never-accept.")
    var noAccept = false

    func resolvedMode() throws -> ListenerMode {
        try ListenerModeArguments.resolve(mode: mode, modeFlag: "--mode", close: close, closeFlag: "--close", noAccept: noAccept)
    }

    func validate() throws { _ = try resolvedMode() }

    func run() throws {
        var config = ListenerConfig()
        config.address = address
        config.address.port = port
        config.threads = threads
        config.cpus = cpus
        config.backlog = Int32(backlog)
        config.mode = try resolvedMode()
        config.holdLimit = holdLimit
        let signals = StopSignals()
        signals.block()
        let listener: Listener
        do { listener = try Listener(config: config) } catch { throw CLIFailure(error.description) }
        var stats: ListenerStatsServer?
        if let statsPort {
            do { stats = try ListenerStatsServer(listener: listener, port: statsPort) } catch {
                listener.stop()
                throw CLIFailure("--stats-port \(statsPort): \(error.name) (\(error))")
            }
            Console.status("listener side report as JSON on \(stats!.address)")
        }
        Console.status("listening on \(listener.address), mode \(listener.mode.rawValue), \(listener.threadCount) thread(s), backlog \(listener.effectiveBacklog); Ctrl-C stops")
        let end = duration.map { MonotonicClock.now() + $0 }
        while end.map({ MonotonicClock.now() < $0 }) ?? true {
            if signals.wait(nanoseconds: 100_000_000) != nil { break }
        }
        // Read before stop: stop closes what is still held, and the counters and
        // TIME_WAIT table are of this thread's namespace, the listener's.
        let held = listener.heldConnections
        stats?.stop()
        listener.stop()
        var report = listener.sideReport()
        report.heldNow = held
        Console.out(report.keyValues.map { "\($0.key)=\($0.value)\n" }.joined())
    }
}
