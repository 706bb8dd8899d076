import ConnModel
/// The numbers a non-errno onset was decided on, over the bad windows that fired it,
/// set against the detector's baseline. Kept as numbers so the detector builds no text
/// in the worker's hot loop; the text is made only when a report asks for it.
package struct OnsetEvidence: Sendable, Equatable {
    /// Length of the bad windows summed here (`sustain` × the window).
    package var spanNs: UInt64
    package var established: UInt64
    /// What the baseline's median rate would have established over the same span.
    package var establishedAtBaseline: Double
    /// Mean connect() call cost over the span; nil when no call ended in it.
    package var costMeanNs: Double?
    package var costBaselineNs: Double
    /// Port-parity samples over the span and over the baseline. A share from fewer than
    /// ``OnsetDetector/Parameters/paritySamplesMin`` is not trusted, so it is nil.
    package var paritySamples: UInt64
    package var paritySamplesBaseline: UInt64
    package var oddShareWindow: Double?
    package var oddShareBaseline: Double?
    /// The fewest samples a share is taken from (``OnsetDetector/Parameters/paritySamplesMin``).
    package var paritySamplesNeeded: UInt64
    /// io_uring: the cost is the submission's time per chain, not a connect() call's.
    package var costIsSubmission: Bool
    /// An earlier cost rise the detector could not call an onset for want of parity.
    package var undecidedBefore: Undecided?

    package init(spanNs: UInt64, established: UInt64, establishedAtBaseline: Double, costMeanNs: Double?,
                costBaselineNs: Double, paritySamples: UInt64, paritySamplesBaseline: UInt64,
                oddShareWindow: Double?, oddShareBaseline: Double?, paritySamplesNeeded: UInt64 = 16,
                costIsSubmission: Bool = false, undecidedBefore: Undecided? = nil) {
        self.spanNs = spanNs
        self.established = established
        self.establishedAtBaseline = establishedAtBaseline
        self.costMeanNs = costMeanNs
        self.costBaselineNs = costBaselineNs
        self.paritySamples = paritySamples
        self.paritySamplesBaseline = paritySamplesBaseline
        self.oddShareWindow = oddShareWindow
        self.oddShareBaseline = oddShareBaseline
        self.paritySamplesNeeded = paritySamplesNeeded
        self.costIsSubmission = costIsSubmission
        self.undecidedBefore = undecidedBefore
    }

    /// A run of dear windows whose source-port parity could not be judged: a connect()
    /// that dear is the odd-port search or a preempted call, and only the parity tells
    /// them apart. Numbers, like the evidence, so the detector keeps one without text.
    package struct Undecided: Sendable, Equatable {
        package var startNs: UInt64
        package var spanNs: UInt64
        package var costFactor: Double
        package var paritySamples: UInt64
        package var paritySamplesBaseline: UInt64
        package var paritySamplesNeeded: UInt64
        package var costIsSubmission: Bool

        package init(startNs: UInt64, spanNs: UInt64, costFactor: Double, paritySamples: UInt64,
                    paritySamplesBaseline: UInt64, paritySamplesNeeded: UInt64, costIsSubmission: Bool = false) {
            self.startNs = startNs
            self.spanNs = spanNs
            self.costFactor = costFactor
            self.paritySamples = paritySamples
            self.paritySamplesBaseline = paritySamplesBaseline
            self.paritySamplesNeeded = paritySamplesNeeded
            self.costIsSubmission = costIsSubmission
        }

        /// e.g. `connect() 10.2× the baseline from 1.000 s for 150.0 ms, undecided: …`.
        package var description: String {
            let cost = costIsSubmission ? "io_uring submission" : "connect()"
            let why = paritySamplesBaseline < paritySamplesNeeded
                ? "the baseline had too few port-parity samples (\(paritySamplesBaseline), \(paritySamplesNeeded) needed)"
                : "too few port-parity samples (\(paritySamples), \(paritySamplesNeeded) needed)"
            return "\(cost) \(Num.f1(costFactor))× the baseline from \(String(fixed: Double(startNs) / 1e9, digits: 3)) s "
                + "for \(OnsetEvidence.duration(Double(spanNs))), undecided: \(why) to tell the odd-port search from CPU contention"
        }
    }

    /// How many times the baseline's connect() cost the span's mean was.
    package var costFactorSeen: Double? {
        costMeanNs.map { $0 / Swift.max(costBaselineNs, 1) }
    }

    /// One line a reader can check the decision against, e.g.
    /// `established 40 in 150 ms vs 3000 at baseline rate; connect() mean 4.1 ms vs 25.0 µs (164×); odd ports 48% vs 2%`.
    package var description: String {
        var parts = ["established \(established) in \(Self.duration(Double(spanNs))) vs \(Num.whole(establishedAtBaseline)) at baseline rate"]
        let cost = costIsSubmission ? "io_uring submission per chain" : "connect() mean"
        if let mean = costMeanNs, let factor = costFactorSeen {
            parts.append("\(cost) \(Self.duration(mean)) vs \(Self.duration(costBaselineNs)) (\(Num.f1(factor))×)")
        } else {
            parts.append(costIsSubmission ? "no chain submitted" : "no connect() call ended")
        }
        switch (oddShareWindow, oddShareBaseline) {
        case (nil, _) where costIsSubmission:
            parts.append("no port parity on io_uring (no descriptor to ask)")
        case let (w?, b?):
            parts.append("odd ports \(Self.percent(w)) vs \(Self.percent(b))")
        case (nil, _) where paritySamples == 0 && paritySamplesBaseline == 0:
            parts.append("no port parity sampled")
        default:
            parts.append("odd ports: too few parity samples to judge (\(paritySamples), \(paritySamplesNeeded) needed; \(paritySamplesBaseline) at baseline)")
        }
        if let u = undecidedBefore { parts.append("before it, " + u.description) }
        return parts.joined(separator: "; ")
    }

    package static func duration(_ ns: Double) -> String {
        if ns >= 1e9 { return Num.f1(ns / 1e9) + " s" }
        if ns >= 1e6 { return Num.f1(ns / 1e6) + " ms" }
        return Num.f1(ns / 1e3) + " µs"
    }

    package static func percent(_ share: Double) -> String { Num.whole(share * 100) + "%" }
}
