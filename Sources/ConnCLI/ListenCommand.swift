import ArgumentParser
import ConnEngine
import ConnSys

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

    @Option(help: "peer (wait for the client's FIN; the default, so that a client closing first always holds TIME_WAIT) or immediate (close after accept: cheaper, but which end holds TIME_WAIT is a race).")
    var close: ListenerClose = .peer

    @Option(help: "Stop after this long (default: until Ctrl-C).", transform: ParseValue.positiveDuration)
    var duration: UInt64?

    @Flag(name: .customLong("no-accept"), help: "Listen but never accept, so the backlog fills (for studying SYN drops and ListenOverflows).")
    var noAccept = false

    func run() throws {
        var config = ListenerConfig()
        config.address = address
        config.address.port = port
        config.threads = threads
        config.cpus = cpus
        config.backlog = Int32(backlog)
        config.close = close
        config.accepts = !noAccept
        let signals = StopSignals()
        signals.block()
        let listener: Listener
        do { listener = try Listener(config: config) } catch { throw CLIFailure(error.description) }
        Console.status("listening on \(listener.address), \(listener.threadCount) thread(s), backlog \(listener.effectiveBacklog); Ctrl-C stops")
        let end = duration.map { MonotonicClock.now() + $0 }
        while end.map({ MonotonicClock.now() < $0 }) ?? true {
            if signals.wait(nanoseconds: 100_000_000) != nil { break }
        }
        listener.stop()
        Console.out("accepted=\(listener.acceptedCount)\n")
    }
}
