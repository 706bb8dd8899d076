import ConnModel
/// Decides when a run started running out of connects, from buckets fed in time order.
///
/// Two kinds of evidence, whichever comes first:
/// - an **errno** of exhaustion (EADDRNOTAVAIL, EADDRINUSE, EAGAIN) in a bucket;
/// - a **sharp change without an errno**: once the even half of the ephemeral range is
///   used up, connect() walks the range for a free odd port and its cost jumps by orders
///   of magnitude (kernel-facts: ~0.025 ms → ~4.6 ms), and the rate collapses with it.
///   The detector learns a baseline over the first `baselineNs` (after `settleNs`), then
///   looks at tumbling windows of `windowNs`. `sustain` bad windows in a row fire, dated
///   at the first of them; one bad window (a VM hiccup, a page-cache stall) does not.
///
/// A slow connect() or a falling rate alone is also what CPU contention looks like (two
/// busy loops on two cores fired both signals), so a window is bad only with something
/// contention cannot produce: the share of odd source ports moving away from the
/// baseline's (the port search has left the even half), or a connect() cost far beyond
/// what a preempted call costs. See ``Parameters`` for the thresholds and why.
///
/// Parity is sampled, so at a few thousand connects per second one window holds too few
/// samples to judge: a dearer window with its parity unknown is *undecided*, and the
/// parity is pooled over the run of dear windows until there are enough. Moved: the run
/// is bad from its first window (the cost rose there). Steady: the run was contention and
/// starts over. A run that never gathers enough is kept as ``undecided``, so a report can
/// say why a cost rise it saw was not called an onset.
///
/// The same code runs online in each worker (for `--until-exhausted`, once per bucket in
/// the hot loop, so `feed` allocates nothing) and offline on the merged buckets (for the
/// report), so what the report says is what stopped the run.
package struct OnsetDetector: Sendable {
    package struct Parameters: Sendable, Codable, Equatable {
        package var settleNs: UInt64 = 50_000_000
        package var baselineNs: UInt64 = 200_000_000
        package var baselineCalls: UInt64 = 200
        package var windowNs: UInt64 = 50_000_000
        /// A connect() this many times the baseline's is the start of the odd-port search
        /// (~180× on this kernel) — but a few × is also a call preempted by a busy loop,
        /// so this alone is enough only when the target has no ports to sample (unix
        /// sockets); otherwise it needs `paritySamplesMin` parity evidence or
        /// `costFactorWithoutParity`.
        package var costFactor: Double = 5
        /// A window this much dearer is suspect and its parity decides (pooled over the
        /// suspect windows in a row); contention (3.9× measured) never moves the parity. The
        /// walk over a 500-port used half (4 destinations × 1000) measured 4.5–4.7×, which
        /// the port budget leaves to the errno (``PortBudget/visibleHalfPorts``), so the
        /// factor stays at 5: the walk over a 1000-port half (~5×) is then found in some
        /// runs only, and from 2000 used ports (~10×) on in every one.
        package var costFactorWithParity: Double = 5
        /// Far more than contention explains: a 25 µs call preempted for a whole time slice
        /// (~3 ms) now and then raises the mean a few ×, not 50×; the odd-port search costs
        /// ~4.6 ms against ~25 µs (~180×). Fires without parity evidence, which the worker
        /// samples too sparsely to have in a window once connects slow to milliseconds.
        package var costFactorWithoutParity: Double = 50
        /// Established in a window at most this share of the baseline's rate.
        package var rateFactor: Double = 0.5
        /// A rate drop counts only with connect() at least this many times dearer in the
        /// same window (or parity evidence): a rate that falls while connect() stays cheap
        /// is the generator starved of CPU or the listener slowing, not a port search.
        /// And never while the window's parity is known and where the baseline's was:
        /// busy loops started mid-run halved the rate with connect() 3.9× (preempted
        /// calls) and the odd share still 0% — contention, which this used to call onset.
        package var costFactorWithRateDrop: Double = 2
        /// Port parity is sampled (1 in 8 attempts in the worker), so a window's or the
        /// baseline's odd share is used only from this many samples: with 16 a share
        /// moves by 0.2 by chance about once in ten windows at worst (p = 0.5), and the
        /// baseline shares this matters for sit near 0 or 1, where chance moves it far less.
        package var paritySamplesMin: UInt64 = 16
        /// Parity evidence: the window's odd share differs from the baseline's by at least
        /// this. Absolute, because the shift goes either way: connect() prefers even
        /// ports, bind() odd ones, and exhaustion makes either take the other half.
        package var parityShift: Double = 0.2
        package var sustain = 3
        /// A bucket at least this many times the baseline's cost belongs to a rise: the
        /// onset is dated at the first bucket of the dear buckets leading into the run's
        /// first bad window (at most one window before it), not at the window's edge —
        /// 50 ms is 10% of a 1000-port half at 2000/s. Below `costFactorWithParity`,
        /// because a window judged dearer has buckets from before the rise in it; a
        /// preempted call raises one bucket now and then, never a run of them.
        package var riseBucketFactor: Double = 2
        /// io_uring: the cost is the submission's time per chain (``SubmitCost``), not a
        /// connect() call's, and it fires as its own signal so no report calls it one.
        package var costIsSubmission = false
        /// Whether the engine samples source ports at all. io_uring cannot (its sockets
        /// are fixed files with no descriptor to ask), so there the absence of parity
        /// says nothing about the target having ports, and a cost rise must be the
        /// odd-port search's size (`costFactorWithoutParity`) to count, alone or with a
        /// rate drop: contention slows a submission a few times over, never 50×.
        package var paritySampled = true
        package init() {}

        /// On io_uring the cost is CPU time (``SubmitCost``), which a preempted
        /// submission does not inflate: contention moves it by cache effects, not by
        /// whole time slices, so 10× needs no parity to back it. The odd-port search
        /// measured 36–40× the baseline submission here (1.8 ms against ~48 µs).
        package init(engine: Engine) {
            guard engine == .ioUring else { return }
            costIsSubmission = true
            paritySampled = false
            costFactorWithoutParity = 10
        }
    }

    package enum Signal: String, Sendable, Codable {
        case connectCallCost = "connect-call-cost"
        /// io_uring: the submission's time per chain rose (the connect runs inline in it).
        case submitCost = "submit-cost"
        case rateDrop = "rate-drop"
        case errno

        /// As the report names it; the detector's errno signal says only that exhaustion
        /// errnos were counted (the errors table dates which).
        package var onsetSignal: OnsetSignal {
            switch self {
            case .connectCallCost: .connectCallCost
            case .submitCost: .submitCost
            case .rateDrop: .rateDrop
            case .errno: .undatedErrno
            }
        }
    }

    package struct Fired: Sendable, Equatable {
        package var bucket: Int
        package var signal: Signal
        /// The numbers over the bad windows; nil for an errno, which needs none.
        package var measured: OnsetEvidence?

        package init(bucket: Int, signal: Signal, measured: OnsetEvidence? = nil) {
            self.bucket = bucket
            self.signal = signal
            self.measured = measured
        }

        /// Why it fired, for a reader: the rate, cost and odd-port share against the baseline.
        package var evidence: String {
            measured?.description ?? "an exhaustion errno (EADDRNOTAVAIL, EADDRINUSE or EAGAIN) in bucket \(bucket)"
        }
        package var costFactorSeen: Double? { measured?.costFactorSeen }
        package var oddShareBaseline: Double? { measured?.oddShareBaseline }
        package var oddShareWindow: Double? { measured?.oddShareWindow }
    }

    package let p: Parameters
    package let bucketNs: UInt64
    package let windowBuckets: Int
    package let settleBuckets: Int
    package let baselineBuckets: Int
    package var seen = 0
    package var learner: BaselineLearner
    /// Any parity sample at all, ever: without one the target has no ports (unix).
    package var sawParity = false
    package private(set) var baselineCostNs: Double?
    package private(set) var baselineEstablishedPerBucket: Double?
    package private(set) var baselineOddShare: Double?
    // Current window, and the bad windows in a row so far.
    package var window = OnsetBucket()
    package var windowFill = 0
    package var windowStart = 0
    /// The bad (or undecided) windows in a row so far; nil after a fine one.
    package var run: BadRun?
    /// First bucket of the current unbroken run of dear buckets (`riseBucketFactor`).
    package var dearSince: Int?
    /// The first run of dear windows, `sustain` long or more, that parity could not
    /// decide (too few samples pooled): what a report says when no cost rise fired.
    package private(set) var undecided: OnsetEvidence.Undecided?
    /// Where the run `undecided` describes began.
    package var undecidedRunStart: Int?
    package private(set) var fired: Fired?

    package init(bucketNs: UInt64, parameters: Parameters = Parameters()) {
        p = parameters
        self.bucketNs = bucketNs
        windowBuckets = Swift.max(1, Int((parameters.windowNs + bucketNs - 1) / bucketNs))
        settleBuckets = Int(parameters.settleNs / bucketNs)
        baselineBuckets = Swift.max(1, Int((parameters.baselineNs + bucketNs - 1) / bucketNs))
        learner = BaselineLearner(buckets: baselineBuckets)
    }

    /// The baseline: the last `buckets` costs and rates, in fixed storage (a slow baseline
    /// that takes longer to reach `baselineCalls` overwrites, never grows), and the
    /// parity samples.
    package struct BaselineLearner: Sendable {
        var costs: [Double]
        var rates: [Double]
        var costCount = 0
        var rateCount = 0
        var calls: UInt64 = 0
        var even: UInt64 = 0
        var odd: UInt64 = 0

        init(buckets: Int) {
            costs = Array(repeating: 0, count: buckets)
            rates = Array(repeating: 0, count: buckets)
        }

        mutating func add(_ b: OnsetBucket) {
            if b.calls > 0 {
                costs[costCount % costs.count] = Double(b.callNs) / Double(b.calls)
                costCount += 1
            }
            rates[rateCount % rates.count] = Double(b.established)
            rateCount += 1
            calls += UInt64(b.calls)
            even += UInt64(b.evenPorts)
            odd += UInt64(b.oddPorts)
        }

        func ready(minimumCalls: UInt64) -> Bool { rateCount >= rates.count && calls >= minimumCalls && costCount > 0 }
    }

    /// Bad (or dear, undecided) windows in a row: where they began, how many, what they
    /// are named for, and their buckets added up.
    package struct BadRun: Sendable {
        var start: Int
        var windows = 0
        var signal: Signal = .connectCallCost
        var sum = OnsetBucket()
        /// Dear windows whose parity is not yet known (none is bad yet).
        var undecided = true
    }

    /// Feeds the next bucket; returns what fired, once.
    @discardableResult
    package mutating func feed(_ b: OnsetBucket) -> Fired? {
        guard fired == nil else { return nil }
        let index = seen
        seen += 1
        if b.exhaustion > 0 {
            fired = Fired(bucket: index, signal: .errno)
            return fired
        }
        if b.evenPorts > 0 || b.oddPorts > 0 { sawParity = true }
        if index < settleBuckets { return nil }
        if baselineCostNs == nil {
            learnBaseline(b)
            return nil
        }
        if windowFill == 0 { windowStart = index }
        noteDear(b, at: index)
        window = window + b
        windowFill += 1
        guard windowFill == windowBuckets else { return nil }
        defer { window = OnsetBucket(); windowFill = 0 }
        return closeWindow()
    }

    /// Tracks the unbroken run of dear buckets; a bucket with no call ending in it
    /// neither extends nor breaks it.
    package mutating func noteDear(_ b: OnsetBucket, at index: Int) {
        guard b.calls > 0, let base = baselineCostNs else { return }
        if Double(b.callNs) / Double(b.calls) >= p.riseBucketFactor * Swift.max(base, 1) {
            if dearSince == nil { dearSince = index }
        } else {
            dearSince = nil
        }
    }

    /// Judges the window just filled against the run it may extend.
    package mutating func closeWindow() -> Fired? {
        let pooled = run.map { $0.sum + window } ?? window
        let verdict = judge(window, pooled: pooled)
        if verdict == .contention, let r = run, undecidedRunStart == r.start {
            // The run parity could not decide is decided now: not a port search.
            undecided = nil
            undecidedRunStart = nil
        }
        guard verdict != .fine && verdict != .contention else { run = nil; return nil }
        // The rise began where the dear buckets leading into this window began.
        var r = run ?? BadRun(start: Swift.max(dearSince ?? windowStart, windowStart - windowBuckets))
        r.windows += 1
        r.sum = r.sum + window
        if case .bad(let signal) = verdict, r.undecided || (r.signal == .rateDrop && signal != .rateDrop) {
            // Named for the cost once any window shows it: the rate falls because each
            // connect() costs more, and the generator cannot keep up.
            r.signal = signal
            r.undecided = false
        }
        run = r
        if r.undecided {
            if r.windows >= p.sustain { noteUndecided(r) }
            return nil
        }
        guard r.windows >= p.sustain else { return nil }
        var measured = evidence(r.sum, windows: r.windows)
        if undecidedRunStart != r.start { measured.undecidedBefore = undecided }
        fired = Fired(bucket: r.start, signal: r.signal, measured: measured)
        return fired
    }

    /// Keeps the first run parity could not decide, and how far it went.
    package mutating func noteUndecided(_ r: BadRun) {
        guard undecided == nil || undecidedRunStart == r.start else { return }
        undecidedRunStart = r.start
        let e = evidence(r.sum, windows: r.windows)
        undecided = OnsetEvidence.Undecided(
            startNs: UInt64(r.start) * bucketNs, spanNs: e.spanNs, costFactor: e.costFactorSeen ?? 0,
            paritySamples: e.paritySamples, paritySamplesBaseline: e.paritySamplesBaseline,
            paritySamplesNeeded: Swift.max(p.paritySamplesMin, 1), costIsSubmission: p.costIsSubmission)
    }

    package mutating func learnBaseline(_ b: OnsetBucket) {
        learner.add(b)
        guard learner.ready(minimumCalls: p.baselineCalls) else { return }
        baselineCostNs = Self.medianInPlace(&learner.costs, count: Swift.min(learner.costCount, baselineBuckets))
        baselineEstablishedPerBucket = Self.medianInPlace(&learner.rates, count: baselineBuckets)
        baselineOddShare = share(even: learner.even, odd: learner.odd)
    }

    package enum Verdict: Equatable {
        case fine
        /// Dearer by `costFactorWithParity`, parity not known yet: neither onset nor contention.
        case undecided
        /// Dearer by `costFactorWithParity` with the parity where the baseline's was.
        case contention
        case bad(Signal)
    }

    /// What this window says, given `pooled`: the window added to the run it may extend.
    /// Its parity is its own if it has enough samples, else the run's pooled.
    package func judge(_ w: OnsetBucket, pooled: OnsetBucket) -> Verdict {
        guard let baseCost = baselineCostNs else { return .fine }
        let factor: Double? = w.calls > 0 ? Double(w.callNs) / Double(w.calls) / Swift.max(baseCost, 1) : nil
        let dear = factor.map { $0 >= p.costFactorWithParity } ?? false
        var oddShare = share(even: UInt64(w.evenPorts), odd: UInt64(w.oddPorts))
        if oddShare == nil { oddShare = share(even: UInt64(pooled.evenPorts), odd: UInt64(pooled.oddPorts)) }
        var parityMoved = false
        var paritySteady = false
        if let base = baselineOddShare, let now = oddShare {
            parityMoved = abs(now - base) >= p.parityShift
            paritySteady = !parityMoved
        }
        let cost: Signal = p.costIsSubmission ? .submitCost : .connectCallCost
        if let f = factor, dear, parityMoved || f >= p.costFactorWithoutParity || (f >= p.costFactor && !sawParity && p.paritySampled) {
            return .bad(cost)
        }
        if let rate = baselineEstablishedPerBucket, rate > 0,
           Double(w.established) <= p.rateFactor * rate * Double(windowBuckets),
           parityMoved || (!paritySteady && (factor ?? 0) >= (p.paritySampled ? p.costFactorWithRateDrop : p.costFactorWithoutParity)) {
            return .bad(.rateDrop)
        }
        guard dear && p.paritySampled && sawParity else { return .fine }
        return paritySteady ? .contention : .undecided
    }

    /// The odd share, or nil from fewer than `paritySamplesMin` samples.
    package func share(even: UInt64, odd: UInt64) -> Double? {
        let n = even + odd
        return n >= Swift.max(p.paritySamplesMin, 1) ? Double(odd) / Double(n) : nil
    }

    package func evidence(_ s: OnsetBucket, windows: Int) -> OnsetEvidence {
        OnsetEvidence(
            spanNs: UInt64(windows * windowBuckets) * bucketNs,
            established: UInt64(s.established),
            establishedAtBaseline: (baselineEstablishedPerBucket ?? 0) * Double(windows * windowBuckets),
            costMeanNs: s.calls > 0 ? Double(s.callNs) / Double(s.calls) : nil,
            costBaselineNs: baselineCostNs ?? 0,
            paritySamples: UInt64(s.evenPorts) + UInt64(s.oddPorts),
            paritySamplesBaseline: learner.even + learner.odd,
            oddShareWindow: share(even: UInt64(s.evenPorts), odd: UInt64(s.oddPorts)),
            oddShareBaseline: baselineOddShare,
            paritySamplesNeeded: Swift.max(p.paritySamplesMin, 1),
            costIsSubmission: p.costIsSubmission)
    }

    /// The upper median of the first `count` values, sorted in place by insertion (at
    /// most `baselineBuckets`, ~40): `sorted()` would allocate inside `feed`.
    package static func medianInPlace(_ xs: inout [Double], count: Int) -> Double {
        guard count > 0 else { return 0 }
        for i in 1..<count {
            let x = xs[i]
            var j = i
            while j > 0 && xs[j - 1] > x { xs[j] = xs[j - 1]; j -= 1 }
            xs[j] = x
        }
        return xs[count / 2]
    }
}
