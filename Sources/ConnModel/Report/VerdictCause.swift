/// Why the generator did not keep its schedule, or (a held rate) what failed: what code
/// compares, beside the sentence the verdict shows (``Verdict/cause``).
package enum VerdictCause: String, Sendable, Codable, CaseIterable {
    /// An exhaustion onset: the ephemeral ports ran short.
    case portsRanShort = "ports-ran-short"
    /// More than 1% of attempts failed; the sentence names the dominant errno.
    case failures
    /// Every in-flight slot was busy (`--concurrency`).
    case inFlightCap = "in-flight-cap"
    /// connect() itself took over a millisecond at the median.
    case slowConnectCall = "slow-connect-call"
    /// The workers waited for a CPU.
    case waitingForCPU = "waiting-for-cpu"
    /// The run's cores were busy.
    case coresBusy = "cores-busy"
    /// The busiest worker used most of its core.
    case workerCoreBusy = "worker-core-busy"
    /// Behind without errors, a full cap or a busy CPU.
    case scheduleBehind = "schedule-behind"
}
