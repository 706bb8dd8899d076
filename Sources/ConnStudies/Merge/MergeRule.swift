import ConnModel

/// How one field of a run report becomes the merged report's. ``RunMerge`` follows
/// ``RunMerge/reportRules`` and ``RunMerge/intervalRules``; a test holds those lists to the
/// stored properties of `RunReport` and `IntervalRow`, so a field added to either without
/// saying how it merges fails there instead of silently keeping the first part's value.
package enum MergeRule: String, Sendable, Equatable, CaseIterable {
    /// Added up over the parts (nil unless every part has it).
    case sum
    /// The largest part's: a span of time, the worst share.
    case largest
    /// The smallest part's: the earliest start, the tightest limit.
    case smallest
    /// True when any part's is.
    case anyPart
    /// Histograms added (HdrHistogram add); figures are recomputed from the sum.
    case histogramSum
    /// Recomputed from the merged fields (summaries of the added histograms, warnings,
    /// verdict).
    case recomputed
    /// Placed on the common wall clock, each part shifted by its start (series, first
    /// occurrences, stalls).
    case commonClock
    /// Each part's entries, one after another (workers, notes, tags).
    case concatenated
    /// Saved only as figures, without histograms: the worst part's, an upper bound; the
    /// merged notes say so.
    case worstPart
    /// The earliest part's (the onset); the notes name it.
    case earliestPart
    /// One generator's own view (its kernel, its namespace, its port samples): the first
    /// part's; the notes say so.
    case firstPart
    /// Meaningless for a merged run (one machine's placement, one part's model, per-part
    /// CPU shares): left out.
    case dropped
    /// Must be the same in every part, or the merge is refused (``RunMerge/check(_:tags:)``).
    case sameOrRefused
    /// The settings: rates and workers summed, targets united, the loop's shape the same in
    /// every part or refused.
    case settings
}

extension RunMerge {
    /// Every stored property of `RunReport`, by name, with its rule.
    package static let reportRules: [String: MergeRule] = [
        "setup": .settings, "startedAtUTC": .smallest, "measuredSeconds": .largest, "interrupted": .anyPart,
        "scheduled": .sum, "notStarted": .sum, "lastStartSeconds": .largest, "observationGap": .worstPart,
        "settledAtOnce": .sum, "uringTimers": .sum, "spinShare": .largest, "timeoutsFoundEstablished": .sum,
        "timeoutsFoundFailed": .sum, "numa": .dropped, "warnings": .recomputed, "tally": .sum, "warmup": .sum,
        "latency": .recomputed, "service": .recomputed, "connectCall": .recomputed, "startLag": .worstPart,
        "lateStarts": .sum, "capStalls": .sum, "capStallSeconds": .sum, "errors": .commonClock,
        "intervals": .commonClock, "workers": .concatenated, "listener": .sum, "openFilesLimit": .smallest,
        "cpuBusy": .dropped, "selfConnects": .sum, "kernel": .firstPart, "listenerNamespace": .firstPart,
        "ports": .firstPart, "onset": .earliestPart, "endedAtOnset": .anyPart, "portBudget": .dropped,
        "matrixCase": .sameOrRefused, "notes": .concatenated, "verdict": .recomputed, "histograms": .histogramSum,
        "intervalHistograms": .commonClock, "generatorTime": .commonClock, "synRetransmits": .sum,
        "synRetransmitDetail": .sum, "kernelTrace": .dropped, "mergedFrom": .concatenated, "identity": .recomputed,
    ]

    /// Every stored property of `IntervalRow`: rows of the parts that fall on one interval
    /// of the common clock merge by these.
    package static let intervalRules: [String: MergeRule] = [
        "index": .commonClock, "startSeconds": .commonClock, "seconds": .largest, "warmup": .sameOrRefused,
        "started": .sum, "established": .sum, "failed": .sum, "timedOut": .sum,
        "p50": .histogramSum, "p90": .histogramSum, "p99": .histogramSum, "max": .histogramSum,
        "connectCallP50": .histogramSum, "connectCallP99": .histogramSum, "portsInUse": .sum, "timeWait": .sum,
        "evenPorts": .sum, "oddPorts": .sum, "errors": .sum, "cpuWaitPct": .dropped, "preemptions": .sum,
        "synRetransmits": .sum,
    ]
}
