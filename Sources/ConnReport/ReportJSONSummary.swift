import ConnModel

extension ReportJSON {
    /// The stable part of report.json: what the text report's figures say, named for tools
    /// (units in the names). Derived from the ``RunReport``; see docs/report-schema.md.
    ///
    /// Its stored properties are the keys of report.json's `summary` object, one each, as the
    /// schema names them.
    struct Summary: Codable {
        var startedAtUTC: String
        var startEpochMs: UInt64?
        var kernelRelease: String
        var target: String
        var workers: Int
        var concurrency: Int
        var requestedPerS: Double?
        var attemptedPerS: Double
        var establishedPerS: Double
        var measuredS: Double
        var plannedS: Double
        var interrupted: Bool
        var counts: Counts
        var latencyCorrectedUs: Latency
        var latencyServiceUs: Latency
        var latencyCallUs: Latency
        var startLagUs: Latency
        var observationGapUs: Latency
        var errors: [ErrorEntry]
        var intervals: [Interval]
        var onset: OnsetEntry?
        var verdict: VerdictEntry
        var latencyCallRunningUs: Latency?
        var latencyServiceRunningUs: Latency?
        var generator: GeneratorEntry?
        var synRetransmits: UInt64?
        var synRetransmitSegments: UInt64?
        var kernelCallUs: Latency?
        var kernelHandshakeUs: Latency?
        var kernelRunQueueUs: Latency?

        enum CodingKeys: String, CodingKey {
            case startedAtUTC = "started_at_utc", startEpochMs = "start_epoch_ms", kernelRelease = "kernel_release"
            case target, workers, concurrency
            case requestedPerS = "requested_per_s", attemptedPerS = "attempted_per_s", establishedPerS = "established_per_s"
            case measuredS = "measured_s", plannedS = "planned_s", interrupted, counts
            case latencyCorrectedUs = "latency_corrected_us", latencyServiceUs = "latency_service_us"
            case latencyCallUs = "latency_call_us", startLagUs = "start_lag_us", observationGapUs = "observation_gap_us"
            case errors, intervals, onset, verdict
            case latencyCallRunningUs = "latency_call_running_us", latencyServiceRunningUs = "latency_service_running_us"
            case generator, synRetransmits = "syn_retransmits", synRetransmitSegments = "syn_retransmit_segments"
            case kernelCallUs = "kernel_call_us", kernelHandshakeUs = "kernel_handshake_us", kernelRunQueueUs = "kernel_runq_us"
        }

        /// Where the generator's own time went (see ``GeneratorTime``).
        struct GeneratorEntry: Codable {
            var cpuWaitPct: Double
            var preemptions: UInt64
            var runningSampleEvery: UInt64
            var stalls: [StallEntry]
            var listenerSharedCPUs: [Int]
            var otherLoadPct: Double?
            enum CodingKeys: String, CodingKey {
                case cpuWaitPct = "cpu_wait_pct", preemptions, runningSampleEvery = "running_sample_every", stalls
                case listenerSharedCPUs = "listener_shared_cpus", otherLoadPct = "other_load_pct"
            }
        }

        struct StallEntry: Codable {
            var atS, lengthMs: Double
            var workers: Int
            var cause: String
            enum CodingKeys: String, CodingKey { case atS = "at_s", lengthMs = "length_ms", workers, cause }
        }

        struct Counts: Codable {
            var attempts, established, failed, timedOut, inFlight: UInt64
            var scheduled, notStarted: UInt64?
            var warmupAttempts: UInt64
            enum CodingKeys: String, CodingKey {
                case attempts, established, failed, timedOut = "timed_out", inFlight = "in_flight"
                case scheduled, notStarted = "not_started", warmupAttempts = "warmup_attempts"
            }
        }

        struct Latency: Codable {
            var count: UInt64
            var p50, p90, p99, p99_9, p99_99, max, mean: Double
            init(_ s: LatencySummary) {
                count = s.count
                p50 = Self.us(s.p50); p90 = Self.us(s.p90); p99 = Self.us(s.p99)
                p99_9 = Self.us(s.p999); p99_99 = Self.us(s.p9999); max = Self.us(s.max)
                mean = s.mean / 1000
            }
            static func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
        }

        struct ErrorEntry: Codable {
            var errno: String
            var call: String
            var count: UInt64
            var firstS: Double
            var firstAttempt: UInt64
            enum CodingKeys: String, CodingKey { case errno, call, count, firstS = "first_s", firstAttempt = "first_attempt" }
        }

        struct Interval: Codable {
            var startS, lengthS: Double
            var warmup: Bool
            var started, established, failed, timedOut: UInt64
            var p50Us, p90Us, p99Us, maxUs, callP50Us, callP99Us: Double
            var errors: FailureCounts
            var cpuWaitPct: Double?
            var preemptions: UInt64?
            var synRetransmits: UInt64?
            enum CodingKeys: String, CodingKey {
                case startS = "start_s", lengthS = "length_s", warmup, started, established, failed, timedOut = "timed_out"
                case p50Us = "p50_us", p90Us = "p90_us", p99Us = "p99_us", maxUs = "max_us"
                case callP50Us = "call_p50_us", callP99Us = "call_p99_us", errors
                case cpuWaitPct = "cpu_wait_pct", preemptions, synRetransmits = "syn_retransmits"
            }
        }

        struct OnsetEntry: Codable {
            var signal: String
            var call: String?
            var atS: Double
            var attempt: UInt64
            enum CodingKeys: String, CodingKey { case signal, call, atS = "at_s", attempt }
        }

        struct VerdictEntry: Codable {
            var held: Bool?
            var shortfallPercent: Double
            /// Why the rate was not held (or what failed), as a fixed word.
            var cause: String?
            var line: String
            enum CodingKeys: String, CodingKey { case held, shortfallPercent = "shortfall_percent", cause, line }
        }

        init(_ r: RunReport) {
            startedAtUTC = r.startedAtUTC
            startEpochMs = r.intervalHistograms?.startEpochMs
            kernelRelease = r.kernelRelease
            target = r.setup.targetText
            workers = r.setup.workers
            concurrency = r.setup.concurrency
            requestedPerS = r.rate.perSecond
            attemptedPerS = r.achievedRate
            establishedPerS = r.establishedPerSecond
            measuredS = r.measuredSeconds
            plannedS = r.plannedSeconds
            interrupted = r.interrupted
            counts = Counts(attempts: r.tally.attempts, established: r.tally.established, failed: r.tally.failed,
                            timedOut: r.tally.timedOut, inFlight: r.tally.inFlight, scheduled: r.scheduled,
                            notStarted: r.notStarted, warmupAttempts: r.warmup.attempts)
            latencyCorrectedUs = Latency(r.latency)
            latencyServiceUs = Latency(r.service)
            latencyCallUs = Latency(r.connectCall)
            startLagUs = Latency(r.startLag)
            observationGapUs = Latency(r.observationGap)
            errors = r.errors.map { ErrorEntry(errno: $0.name, call: $0.site.description, count: $0.count,
                                               firstS: $0.firstSeconds, firstAttempt: $0.firstAttempt) }
            intervals = r.intervals.map { i in
                Interval(startS: i.startSeconds, lengthS: i.seconds, warmup: i.warmup, started: i.started,
                         established: i.established, failed: i.failed, timedOut: i.timedOut,
                         p50Us: Latency.us(i.p50), p90Us: Latency.us(i.p90), p99Us: Latency.us(i.p99), maxUs: Latency.us(i.max),
                         callP50Us: Latency.us(i.connectCallP50), callP99Us: Latency.us(i.connectCallP99), errors: i.errors,
                         cpuWaitPct: i.cpuWaitPct, preemptions: i.preemptions, synRetransmits: i.synRetransmits)
            }
            onset = r.onset.map { OnsetEntry(signal: $0.signal.description, call: $0.call?.description, atS: $0.seconds, attempt: $0.attempt) }
            verdict = VerdictEntry(held: r.verdict.held, shortfallPercent: r.verdict.shortfallPercent,
                                   cause: r.verdict.causeKind?.rawValue, line: r.verdict.line)
            latencyCallRunningUs = r.generatorTime?.callRunning.map(Latency.init)
            latencyServiceRunningUs = r.generatorTime?.serviceRunning.map(Latency.init)
            synRetransmits = r.synRetransmits
            synRetransmitSegments = r.synRetransmitDetail?.segments
            kernelCallUs = r.kernelTrace?.call.map(Latency.init)
            kernelHandshakeUs = r.kernelTrace?.handshake.map(Latency.init)
            kernelRunQueueUs = r.kernelTrace?.runQueue.map(Latency.init)
            generator = r.generatorTime.map { g in
                GeneratorEntry(cpuWaitPct: g.cpuWaitShare * 100, preemptions: g.preemptions, runningSampleEvery: g.sampleEvery,
                               stalls: g.stalls.map { StallEntry(atS: $0.startSeconds, lengthMs: $0.seconds * 1000, workers: $0.workers, cause: $0.cause.rawValue) },
                               listenerSharedCPUs: g.sharedCPUs, otherLoadPct: g.otherLoadShare.map { $0 * 100 })
            }
        }
    }
}
