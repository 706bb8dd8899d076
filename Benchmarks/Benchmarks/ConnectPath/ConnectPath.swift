// Benchmarks of connbench's hot path: the whole connect cycle as the engine runs it, and
// the pieces of it that are deterministic enough to time alone.
//
// Network safety: every connect goes to 127.0.0.1 (connbench's own `Listener`, started
// here); every run is bounded by count (`maxAttemptsPerWorker`) and by time (`durationNs`,
// `timeoutNs`); every benchmark by `maxIterations` and `maxDuration`.
//
// Malloc counts are process-wide (the interposer counts every thread), so a connect-cycle
// figure includes the worker, the listener's accept thread and the runner's own setup and
// report building.
//
// Modules: only the root package's products (ConnEngine) and the packages declared in
// Package.swift. ConnSys (SocketAddress, MonotonicClock, CPUAffinity, the FileDescriptor
// socket calls) is a target of the root package, not a product, and ConnEngine does not
// re-export it. `import ConnSys` happens to compile (SwiftPM puts every module of the graph
// in one directory) but is an undeclared dependency, so it is not used here; values of its
// types are only handled as ConnEngine's public API hands them out (`Listener.address`).

import Benchmark
import ConnEngine
import ConnModel
import Histogram

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// MARK: - the listener the connect cycles dial

/// connbench's built-in accept loop, started once per benchmark (in `setup`) instead of once
/// per run: `Listener.stop()` waits up to 50 ms for its thread to notice, which would add a
/// random 0–50 ms to every measured run. One accept thread, pinned to CPU 1 when the
/// process may use it, so the measured worker has CPU 0 to itself.
nonisolated(unsafe) var sharedListener: Listener?

func startListener() throws {
    if sharedListener != nil { return }
    var config = ListenerConfig()  // 127.0.0.1, a free port below the ephemeral range; the
    config.close = .immediate      // benchmark measures the connect path, not the peer wait
    config.threads = 1
    let allowed = allowedCPUs()
    config.cpus = allowed.contains(1) ? [1] : nil
    sharedListener = try Listener(config: config, defaultCPUs: allowed.contains(0) ? [0] : [])
}

/// The CPUs this process may run on, from `Cpus_allowed_list` in /proc/self/status (ConnSys's
/// `CPUAffinity.allowedCPUs()` is not reachable, and Swift's Glibc module lacks the GNU-only
/// `sched_getaffinity`). Empty if it cannot be read: then nothing is pinned by hand.
func allowedCPUs() -> [Int] {
    guard let file = fopen("/proc/self/status", "r") else { return [] }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0, let line {
        let text = String(cString: line)
        guard text.hasPrefix("Cpus_allowed_list:") else { continue }
        var cpus: [Int] = []
        for part in text.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0.filter(\.isNumber)) }
            if bounds.count == 1 { cpus.append(bounds[0]) }
            if bounds.count == 2, bounds[0] <= bounds[1] { cpus.append(contentsOf: bounds[0]...bounds[1]) }
        }
        return cpus
    }
    return []
}

func stopListener() {
    sharedListener?.stop()
    sharedListener = nil
}

/// One bounded closed-loop run: 1 worker pinned to CPU 0, RST close, `attempts` connects,
/// dialling the shared listener.
func connectCycleConfig(attempts: Int, listener: Listener, engine: EngineChoice = .epoll) -> RunConfig {
    var config = RunConfig()
    config.engine = engine
    config.targets = [listener.address]
    config.rate = .max
    config.workers = 1
    config.cpus = [0]
    config.concurrency = 16  // closed-loop rate stops rising past ~16–32 here (RunConfig)
    config.close = .rst      // no TIME_WAIT: the ports are free again for the next iteration
    config.maxAttemptsPerWorker = UInt64(attempts)
    config.durationNs = 10_000_000_000  // time bound; the count bound ends the run long before
    config.timeoutNs = 1_000_000_000
    return config
}

/// Runs one bounded connect cycle; only `BenchmarkRunner.run` is measured (building the
/// config before, checking the report after are not).
func measureConnectCycle(_ benchmark: Benchmark, attempts: Int, engine: EngineChoice = .epoll) {
    guard let listener = sharedListener else {
        benchmark.error("the loopback listener did not start")
        return
    }
    let config = connectCycleConfig(attempts: attempts, listener: listener, engine: engine)
    // `String(describing:)` (CustomStringConvertible), not ConnSys's `isLoopback`: see the top.
    precondition(config.targets.allSatisfy { String(describing: $0).hasPrefix("127.") },
                 "connect benchmarks dial loopback (127.0.0.0/8) only")
    // `ConnEngine.BenchmarkRunner`: the benchmark plugin generates a `BenchmarkRunner` (the
    // @main type) in this module, which shadows the engine's.
    let result: Result<RunReport, ConnEngine.BenchmarkRunner.Failure>
    benchmark.startMeasurement()
    do throws(ConnEngine.BenchmarkRunner.Failure) {
        result = .success(try ConnEngine.BenchmarkRunner.run(config))
    } catch {
        result = .failure(error)
    }
    benchmark.stopMeasurement()
    switch result {
    case .failure(let error):
        benchmark.error("run failed: \(error)")
    case .success(let report):
        // Every attempt must have connected, or the figures measure something else.
        if report.tally.established != UInt64(attempts) || report.tally.attempts != UInt64(attempts) {
            benchmark.error("expected \(attempts) established, got \(report.tally) \(report.errors.map(\.name))")
        }
        blackHole(report)
    }
}

// MARK: - deterministic inputs for the micro-benchmarks

/// xorshift64: the same latency-like sequence on every run, no allocation, ~1 ns a value.
struct Xorshift {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    @inline(__always)
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

// MARK: - the benchmarks

// Not asked for, because on this machine they come back empty and the column is silently
// left out: `.syscalls` and `.contextSwitches` (package-benchmark 1.38.1 does not support
// them on Linux), `.instructions` (perf_event_open has no hardware PMU in this VM:
// /sys/bus/event_source/devices has no `cpu`). Nor ARC counts (they crash with this trait).
// CPU times come from the process's tick-based accounting: 10 ms resolution.
let connectMetrics: [BenchmarkMetric] = [
    .throughput, .wallClock, .cpuTotal, .cpuUser, .cpuSystem, .mallocCountTotal,
]

let microMetrics: [BenchmarkMetric] = [
    .throughput, .wallClock, .cpuTotal, .mallocCountTotal,
]

let benchmarks: @Sendable () -> Void = {
    // MARK: 1. the connect cycle, closed loop
    //
    // How to read these three:
    //
    // * "connect cycle, 1K attempts" runs 1000 connects per iteration with scalingFactor
    //   .kilo, so scaledIterations == attempts: its throughput column is connects per second
    //   and its time/malloc columns are per connect — including each run's fixed
    //   cost (the runner's 20 ms start line, thread spawn and pinning, report building)
    //   spread over the 1000 connects.
    //
    // * "... per run, 1000" and "... per run, 2000" are the same run at N and 2N attempts
    //   with scalingFactor .one, so every column is per run, unrounded. The claim "the
    //   per-connect path does not allocate" reads as: mallocs(2000) == mallocs(1000). A run's
    //   allocations are all fixed cost; if a connect allocated even once, the 2000 row would
    //   show ~1000 more. Likewise (wall(2000) - wall(1000)) / 1000 is the marginal time of
    //   one connect with the fixed cost cancelled out.
    let connectSetup: Benchmark.BenchmarkSetupHook = { try startListener() }
    let connectTeardown: Benchmark.BenchmarkTeardownHook = { stopListener() }

    Benchmark(
        "connect cycle, closed loop, RST, 1K attempts",
        configuration: .init(
            metrics: connectMetrics, warmupIterations: 2, scalingFactor: .kilo,
            maxDuration: .seconds(3), maxIterations: 40,
            setup: connectSetup, teardown: connectTeardown)
    ) { benchmark in
        measureConnectCycle(benchmark, attempts: benchmark.scaledIterations.count)
    }

    // The same pair on the io_uring engine: its per-connect path (the linked SQE chain,
    // the completions, the batched closes) must not allocate either.
    for engine in [EngineChoice.epoll, .ioUring] {
        for attempts in [1000, 2000] {
            Benchmark(
                "connect cycle, closed loop, RST, per run, \(attempts) attempts" + (engine == .epoll ? "" : ", io_uring"),
                configuration: .init(
                    metrics: connectMetrics, warmupIterations: 2, scalingFactor: .one,
                    maxDuration: .seconds(3), maxIterations: 40,
                    setup: connectSetup, teardown: connectTeardown)
            ) { benchmark in
                measureConnectCycle(benchmark, attempts: attempts, engine: engine)
            }
        }
    }

    // MARK: 2. pieces of the hot path, alone

    // The latency record the worker does twice per established connect (latency, service)
    // plus once per connect call: LatencyHistogram's layout (1 ns..1 h, 3 digits), values
    // spread over 1 µs..~1 ms like loopback connect latencies. Expect 0 mallocs.
    Benchmark(
        "HdrHistogram record, LatencyHistogram layout",
        configuration: .init(metrics: microMetrics, scalingFactor: .mega, maxDuration: .seconds(2), maxIterations: 200)
    ) { benchmark in
        var histogram = LatencyHistogram.make()
        var random = Xorshift()
        histogram.record(0)  // first write before measuring: no copy-on-write in the loop
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            histogram.record(1_000 + random.next() & 0xF_FFFF)
        }
        benchmark.stopMeasurement()
        blackHole(histogram.totalCount)
    }

    // Not here, because ConnSys is not a product of the root package (see the top):
    // `MonotonicClock.now()`, `SocketAddress(ip:port:)` against a reused address's
    // `withSockaddr`. Their replacements below: the public parser that builds a
    // SocketAddress (ConnEngine's TargetParser), and socket()+close() through Glibc.

    // Why the worker parses its targets once: `TargetParser.parse` (what `--target` goes
    // through: string split, port parse, inet_pton into a sockaddr_storage) per call.
    Benchmark(
        "TargetParser.parse(\"127.0.0.1:PORT\")",
        configuration: .init(metrics: microMetrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 2000)
    ) { benchmark in
        let texts = (0..<1000).map { "127.0.0.1:\(1024 + $0)" }  // built before measuring
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            do throws(TargetParser.Failure) {
                blackHole(try TargetParser.parse(texts[i % texts.count]))
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
        benchmark.stopMeasurement()
    }

    // The socket()+close() pair every attempt pays besides connect itself: a nonblocking
    // TCP socket that is never connected, so no packet leaves. Called through Glibc with the
    // flags ConnSys's `FileDescriptor.socket(domain:)` uses (SOCK_STREAM | SOCK_CLOEXEC |
    // SOCK_NONBLOCK); that wrapper is @inlinable and compiles to the same call. Bounded:
    // 1000 pairs per iteration.
    Benchmark(
        "socket() + close(), TCP nonblocking, no connect",
        configuration: .init(metrics: microMetrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 500)
    ) { benchmark in
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        for _ in benchmark.scaledIterations {
            let fd = socket(AF_INET, type, 0)
            if fd < 0 {
                let e = errno
                benchmark.error("socket failed: errno \(e) (\(String(cString: strerror(e))))")
                return
            }
            close(fd)
        }
    }
}
