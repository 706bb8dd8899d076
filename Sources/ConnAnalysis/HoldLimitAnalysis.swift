import ConnModel
import ConnSys

/// Which limit an errno of a hold's build-up points at. The mapping is the kernel's:
/// EMFILE/ENFILE are the descriptor limits, EADDRNOTAVAIL/EADDRINUSE the ephemeral ports
/// of a 4-tuple (connect's and bind's errno for it, kernel-facts.md), ENOBUFS/ENOMEM
/// socket memory (tcp_mem, or memory itself); a connect that times out while the
/// listener's queue overflows ran into somaxconn or the backlog.
extension HoldLimit {
    package static func named(site: SyscallSite, errno: Int32, listenOverflows: Int64) -> HoldLimit? {
        if site == .timeout { return listenOverflows > 0 ? .listenBacklog : nil }
        switch Errno(rawValue: errno) {
        case .tooManyOpenFiles: return .descriptorsPerProcess
        case .tooManyOpenFilesInSystem: return .descriptorsSystem
        case .addressNotAvailable, .addressInUse: return .ephemeralPorts
        case .noBufferSpace, .noMemory: return .socketMemory
        default: return nil
        }
    }
}

extension HoldLimitFinding {
    /// The earliest error (by CLOCK_MONOTONIC, one clock for all parts) that names a limit;
    /// then any other error or timeout, reported as such. Nil when nothing failed.
    package static func first(errors: [HoldErrorCount], listenOverflows: Int64) -> HoldLimitFinding? {
        let byTime = errors.sorted { $0.firstNs < $1.firstNs }
        func evidence(_ e: HoldErrorCount) -> String {
            let what = e.site == .timeout ? "connect timed out" : "\(e.errnoName) from \(e.site)"
            return "\(what), first at attempt \(e.firstAttempt + 1), \(e.count) in all"
        }
        for e in byTime {
            if let limit = HoldLimit.named(site: e.site, errno: e.errno, listenOverflows: listenOverflows) {
                return HoldLimitFinding(limit: limit, evidence: evidence(e))
            }
        }
        guard let e = byTime.first else { return nil }
        return HoldLimitFinding(limit: .unnamed(e.site == .timeout ? "timeouts without listen overflows" : e.errnoName),
                                evidence: evidence(e))
    }
}

extension HoldReport {
    /// Adds the parts (``HoldReport/mergeCounts(parts:)``) and names the limit that
    /// stopped the build-up when it fell short of the plan.
    package mutating func merge(parts: [HoldPartResult]) {
        mergeCounts(parts: parts)
        let overflows = (peak ?? holdEnd ?? after).map { $0.listenOverflows - before.listenOverflows } ?? 0
        limit = total.established < UInt64(plan.options.connections)
            ? HoldLimitFinding.first(errors: total.errors, listenOverflows: overflows) : nil
    }
}
