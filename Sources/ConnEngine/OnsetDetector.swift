/// Decides when a run started running out of connects, from buckets fed in time order.
///
/// Two kinds of evidence, whichever comes first:
/// - an **errno** of exhaustion (EADDRNOTAVAIL, EADDRINUSE, EAGAIN) in a bucket;
/// - a **sharp change without an errno**: once the even half of the ephemeral range is
///   used up, connect() walks the range for a free odd port and its cost jumps by orders
///   of magnitude (kernel-facts: ~0.025 ms → ~4.6 ms), and the rate collapses with it.
///   The detector learns a baseline over the first `baselineNs` (after `settleNs`), then
///   looks at tumbling windows of `windowNs`: a window is bad when its mean connect() call
///   costs `costFactor` × the baseline, or when it established at most `rateFactor` × the
///   baseline's rate. `sustain` bad windows in a row fire, dated at the first of them;
///   one bad window (a VM hiccup, a page-cache stall) does not.
///
/// The same code runs online in each worker (for `--until-exhausted`) and offline on the
/// merged buckets (for the report), so what the report says is what stopped the run.
public struct OnsetDetector: Sendable {
    public struct Parameters: Sendable, Codable, Equatable {
        public var settleNs: UInt64 = 50_000_000
        public var baselineNs: UInt64 = 200_000_000
        public var baselineCalls: UInt64 = 200
        public var windowNs: UInt64 = 50_000_000
        public var costFactor: Double = 5
        public var rateFactor: Double = 0.5
        public var sustain = 3
        public init() {}
    }

    public enum Signal: String, Sendable, Codable {
        case connectCallCost = "connect-call-cost"
        case rateDrop = "rate-drop"
        case errno
    }

    public struct Fired: Sendable, Equatable {
        public var bucket: Int
        public var signal: Signal
        public init(bucket: Int, signal: Signal) { self.bucket = bucket; self.signal = signal }
    }

    let p: Parameters
    let bucketNs: UInt64
    let windowBuckets: Int
    let settleBuckets: Int
    let baselineBuckets: Int
    var seen = 0
    // Baseline.
    var baseCosts: [Double] = []
    var baseRates: [Double] = []
    var baseCalls: UInt64 = 0
    public private(set) var baselineCostNs: Double?
    public private(set) var baselineEstablishedPerBucket: Double?
    // Current window.
    var window = OnsetBucket()
    var windowFill = 0
    var windowStart = 0
    var badRun = 0
    var badRunStart = 0
    var badRunSignal: Signal = .connectCallCost
    public private(set) var fired: Fired?

    public init(bucketNs: UInt64, parameters: Parameters = Parameters()) {
        p = parameters
        self.bucketNs = bucketNs
        windowBuckets = Swift.max(1, Int((parameters.windowNs + bucketNs - 1) / bucketNs))
        settleBuckets = Int(parameters.settleNs / bucketNs)
        baselineBuckets = Swift.max(1, Int((parameters.baselineNs + bucketNs - 1) / bucketNs))
        baseCosts.reserveCapacity(baselineBuckets)
        baseRates.reserveCapacity(baselineBuckets)
    }

    /// Feeds the next bucket; returns what fired, once.
    @discardableResult
    public mutating func feed(_ b: OnsetBucket) -> Fired? {
        guard fired == nil else { return nil }
        let index = seen
        seen += 1
        if b.exhaustion > 0 {
            fired = Fired(bucket: index, signal: .errno)
            return fired
        }
        if index < settleBuckets { return nil }
        if baselineCostNs == nil {
            if b.calls > 0 { baseCosts.append(Double(b.callNs) / Double(b.calls)) }
            baseRates.append(Double(b.established))
            baseCalls += UInt64(b.calls)
            if baseRates.count >= baselineBuckets && baseCalls >= p.baselineCalls && !baseCosts.isEmpty {
                baselineCostNs = Self.median(baseCosts)
                baselineEstablishedPerBucket = Self.median(baseRates)
            }
            return nil
        }
        if windowFill == 0 { windowStart = index }
        window = window + b
        windowFill += 1
        guard windowFill == windowBuckets else { return nil }
        defer { window = OnsetBucket(); windowFill = 0 }
        var signal: Signal?
        if let base = baselineCostNs, window.calls > 0,
           Double(window.callNs) / Double(window.calls) >= p.costFactor * Swift.max(base, 1) {
            signal = .connectCallCost
        } else if let rate = baselineEstablishedPerBucket, rate > 0,
                  Double(window.established) <= p.rateFactor * rate * Double(windowBuckets) {
            signal = .rateDrop
        }
        guard let signal else { badRun = 0; return nil }
        if badRun == 0 { badRunStart = windowStart; badRunSignal = signal }
        badRun += 1
        if badRun >= p.sustain {
            fired = Fired(bucket: badRunStart, signal: badRunSignal)
            return fired
        }
        return nil
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }
}
