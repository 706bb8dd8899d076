import ConnModel
import ConnSys
/// Turns the merged onset buckets, the errors table and the sockstat samples into the
/// report's ``Onset``: which signal came first, when, at which attempt, with how many
/// ports held, and what the run sustained afterwards.
package struct OnsetAnalysis {
    package var buckets: [OnsetBucket]
    package var bucketNs: UInt64
    package var feedUpTo: Int
    package var errors: [ErrorRow]
    package var ports: PortSamples
    package var parameters = OnsetDetector.Parameters()
    /// What the workers' online detectors fired on (`--until-exhausted`). The report
    /// takes the earliest of these and its own, so a run that ended at an onset always
    /// reports one, dated where the detector that stopped it saw it.
    package var online: [OnsetDetector.Fired] = []

    package func onset() -> Onset? {
        let firstErrno = errors.filter { OnsetBucket.isExhaustion(Errno(rawValue: $0.errno)) && $0.site != .timeout }
            .min { ($0.firstSeconds, $0.firstAttempt) < ($1.firstSeconds, $1.firstAttempt) }
        var detector = OnsetDetector(bucketNs: bucketNs, parameters: parameters)
        var fired: OnsetDetector.Fired?
        for i in 0..<Swift.min(feedUpTo, buckets.count) {
            var b = buckets[i]
            b.exhaustion = 0  // errnos are dated exactly from the errors table below
            if let f = detector.feed(b) { fired = f; break }
        }
        // An errno the workers saw is dated exactly by the errors table; their other
        // signals compete with this analysis' own.
        for f in online where (f.signal != .errno || firstErrno == nil) && (fired == nil || f.bucket < fired!.bucket) { fired = f }
        let signalSeconds = fired.map { Double(UInt64($0.bucket) * bucketNs) / 1e9 }
        var onset: Onset
        let onsetBucket: Int
        if let e = firstErrno, signalSeconds == nil || e.firstSeconds <= signalSeconds! {
            onsetBucket = Int(UInt64(saturating: e.firstSeconds * 1e9) / bucketNs)
            var evidence = "\(e.name) from \(e.site) at attempt \(e.firstAttempt): an exhaustion errno is onset by itself"
            // A cost rise before it that parity could not decide is the likelier onset;
            // the reader is told it was seen and why it was not called one.
            if let u = detector.undecided, Double(u.startNs) / 1e9 < e.firstSeconds { evidence += "; before it, " + u.description }
            onset = Onset(signal: .errno(Errno(rawValue: e.errno)), call: e.site, seconds: e.firstSeconds, attempt: e.firstAttempt,
                          rateBefore: 0, sustainedRate: 0, errorsPerSecond: 0, evidence: evidence)
        } else if let fired, let signalSeconds {
            onsetBucket = fired.bucket
            let attempt = buckets[0..<fired.bucket].reduce(UInt64(0)) { $0 + UInt64($1.started) } + 1
            onset = Onset(signal: fired.signal.onsetSignal, call: nil, seconds: signalSeconds, attempt: attempt,
                          laterErrno: firstErrno?.name, laterErrnoSeconds: firstErrno?.firstSeconds,
                          rateBefore: 0, sustainedRate: 0, errorsPerSecond: 0,
                          evidence: fired.evidence, costFactorSeen: fired.costFactorSeen,
                          oddShareBaseline: fired.oddShareBaseline, oddShareWindow: fired.oddShareWindow)
        } else {
            return nil
        }
        onset.portsInUse = ports.portsInUse(atNs: UInt64(saturating: onset.seconds * 1e9))
        let settle = 0
        let before = sum(settle..<onsetBucket)
        let end = Swift.max(onsetBucket, Swift.min(buckets.count, Swift.max(feedUpTo, onsetBucket + 1)))
        // After: from the bucket following onset, so connects that completed in the onset
        // bucket before the first failure do not count as sustained.
        let afterStart = Swift.min(onsetBucket + 1, end)
        let after = sum(afterStart..<end)
        let beforeSeconds = Double(onsetBucket - settle) * Double(bucketNs) / 1e9
        let afterSeconds = Double(end - afterStart) * Double(bucketNs) / 1e9
        onset.rateBefore = beforeSeconds > 0 ? Double(before.established) / beforeSeconds : 0
        onset.sustainedRate = afterSeconds > 0 ? Double(after.established) / afterSeconds : 0
        onset.errorsPerSecond = afterSeconds > 0 ? Double(after.failed) / afterSeconds : 0
        let meanBefore = before.calls > 0 ? Double(before.callNs) / Double(before.calls) : nil
        let meanAfter = after.calls > 0 ? Double(after.callNs) / Double(after.calls) : nil
        if parameters.costIsSubmission {
            onset.submitMeanBeforeNs = meanBefore
            onset.submitMeanAfterNs = meanAfter
        } else {
            onset.callMeanBeforeNs = meanBefore
            onset.callMeanAfterNs = meanAfter
        }
        onset.oddShareBefore = oddShare(before)
        onset.oddShareAfter = oddShare(after)
        return onset
    }

    package func sum(_ r: Range<Int>) -> OnsetBucket {
        guard r.lowerBound < r.upperBound, r.upperBound <= buckets.count else { return OnsetBucket() }
        return buckets[r].reduce(OnsetBucket(), +)
    }

    package func oddShare(_ b: OnsetBucket) -> Double? {
        let n = b.evenPorts + b.oddPorts
        return n > 0 ? Double(b.oddPorts) / Double(n) : nil
    }

    package init(buckets: [OnsetBucket], bucketNs: UInt64, feedUpTo: Int, errors: [ErrorRow], ports: PortSamples, parameters: OnsetDetector.Parameters = OnsetDetector.Parameters(), online: [OnsetDetector.Fired] = []) {
        self.buckets = buckets
        self.bucketNs = bucketNs
        self.feedUpTo = feedUpTo
        self.errors = errors
        self.ports = ports
        self.parameters = parameters
        self.online = online
    }
}
