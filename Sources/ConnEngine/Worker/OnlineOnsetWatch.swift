import ConnSys
import ConnModel
import ConnAnalysis

/// `--until-exhausted`: the online detector, fed each bucket once it has closed, and when
/// the run stops — `tailNs` after the detector fired or the first exhaustion errno came,
/// so the report still shows the rate after onset.
struct OnlineOnsetWatch {
    let enabled: Bool
    let tailNs: UInt64
    var detector: OnsetDetector
    /// Buckets fed so far.
    var fed = 0
    var stopNs: UInt64 = .max
    var fired: OnsetDetector.Fired?

    mutating func feed(_ bucket: OnsetBucket, now: UInt64) {
        if let f = detector.feed(bucket) {
            fired = f
            stopNs = Swift.min(stopNs, now + tailNs)
        }
        fed += 1
    }

    /// An exhaustion errno is onset by itself: the stop comes `tailNs` after the first.
    @inline(__always)
    mutating func noteErrno(_ errno: Errno, site: SyscallSite, at t: UInt64) {
        if enabled && stopNs == .max && site != .timeout && OnsetBucket.isExhaustion(errno) { stopNs = t + tailNs }
    }
}

/// Loopback targets inside the ephemeral range: a connect to one can be given that very
/// port as its source and connect to itself (simultaneous open). Only while nothing
/// listens there — connect() never picks a port that something is bound to — and then
/// nearly every attempt is refused. So the check (one getsockname per established
/// connect) is armed by the first ECONNREFUSED, not paid on every attempt of a healthy run.
struct SelfConnectCheck {
    let ports: [UInt16]
    var armed = false
}
