import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// `run`'s options, section "Load" of its help: What load to make: the rate or closed loop, for how long, from how many workers on which CPUs, and how each attempt is made and ended.
struct LoadOptions: ParsableArguments {
    @Option(help: "Connects per second over all workers (50000, 50k), or 'max' for closed loop.", transform: ParseValue.rate)
    var rate: Rate = .fixed(perSecond: 1000)

    @Option(help: "Measured time: 10s, 500ms, 2m (default 10s; sweep: 3s per step).", transform: ParseValue.positiveDuration)
    var duration: UInt64?

    @Option(help: "Time before measuring starts, excluded from the figures (default 0; sweep: 500ms per step).", transform: ParseValue.duration)
    var warmup: UInt64?

    @Option(help: "Worker threads (default: one per CPU in --cpus, or per CPU this process may use). sweep: a list or range of them (1..4) to fit scalability.", transform: { try ParseValue.loadList($0, flag: "--workers", max: 1024) })
    var workers: [Int]?

    @Option(help: "CPUs to pin workers to through libnuma: 0,1 or 0-3.", transform: ParseValue.cpus)
    var cpus: [Int]?

    @Option(help: "Connects in flight per worker, at most (default: 16 with --rate max, 1024 with a fixed rate). sweep: a list or range (1..64/x2) to fit scalability.", transform: { try ParseValue.loadList($0, flag: "--concurrency", max: 1 << 20) })
    var concurrency: [Int]?

    @Option(help: "Per-connect timeout; counted as ETIMEDOUT (call 'timeout').", transform: ParseValue.positiveDuration)
    var timeout: UInt64 = 3_000_000_000

    @Option(help: "fin (normal close, TIME_WAIT on the closer) or rst (SO_LINGER 0, no TIME_WAIT).")
    var close: CloseMode = .fin

    @Option(help: "epoll, io_uring (socket, options, connect and a kernel timeout as one linked chain per attempt; stops with one line where io_uring is unavailable) or auto (io_uring if available, else epoll, noted in the report).")
    var engine: EngineChoice = .epoll

    @Option(name: .customLong("uring-socket"), help: "io_uring only: ring (socket, options and bind in the chain), syscalls (socket(), setsockopt() and bind() as on epoll, then the connect by the ring) or auto (ring where this kernel can do every step, else syscalls, noted in the report).")
    var uringSocket: UringSocketSetup = .auto

    @Option(name: .customLong("max-attempts"), help: "Stop each worker after this many attempts.", transform: { try ParseValue.positiveInt($0, max: Int.max) })
    var maxAttempts: Int?

    @Option(help: "Open loop: spin (poll without sleeping) through waits shorter than this, e.g. 200us, for µs-exact starts; costs a core per worker. Default 0: sleep.", transform: ParseValue.duration)
    var spin: UInt64 = 0

    @Flag(name: .customLong("until-exhausted"), help: "End the run at exhaustion onset (plus --tail) instead of at --duration.")
    var untilExhausted = false

    @Option(help: "With --until-exhausted: how long to keep measuring after onset.", transform: ParseValue.duration)
    var tail: UInt64 = 300_000_000
}
