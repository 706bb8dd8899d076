import ConnSys
import Histogram

/// One step of open count: the connects whose global attempt number fell in
/// `first ..< end`, and their latency.
package struct HoldBucket: Sendable, Codable, Equatable {
    package var first: Int
    package var end: Int
    /// Connections established by earlier buckets: the open count when this one began
    /// (equal to `first` when nothing failed).
    package var openBefore: UInt64
    package var established: UInt64
    package var p50Ns: UInt64, p90Ns: UInt64, p99Ns: UInt64, p999Ns: UInt64, maxNs: UInt64
    package var serviceP50Ns: UInt64, serviceP99Ns: UInt64
}

/// The merged result of a hold: every part's counts summed, every bucket's histograms
/// added, the supervisor's snapshots, and what stopped the build-up.
package struct HoldReport: Sendable, Codable {
    package var plan: HoldPlan
    /// The sum of the parts (`part` is -1), with the merged histograms.
    package var total: HoldPartResult
    package var parts: [HoldPartResult]
    package var listeners: [HoldListenerResult]
    /// Before the build-up (parts started, nothing connected), when every part was built
    /// (the peak), at the end of the hold, and after everything closed and exited.
    package var before = HoldSnapshot()
    package var peak: HoldSnapshot?
    package var holdEnd: HoldSnapshot?
    package var after: HoldSnapshot?
    package var buildNs: UInt64 = 0
    package var heldNs: UInt64 = 0
    package var startedAtNs: UInt64 = 0
    package var namespace: String = ""
    /// Set when Ctrl-C or SIGTERM ended the run: the phase it came in.
    package var interrupted: String?
    package var limit: HoldLimitFinding?
    /// The build-up as a run: the parts' runs merged (``HoldPartMessage/generatorRun(_:)``).
    /// Nil when no part sent one.
    package var build: RunReport?
    /// Parts that did not report (died, or were killed after not answering).
    package var missingParts: [Int] = []
    package var notes: [String] = []

    package init(plan: HoldPlan) {
        self.plan = plan
        total = HoldPartResult(part: -1, planned: plan.options.connections)
        parts = []
        listeners = []
    }

    /// Adds the parts: counts summed, histograms added bucket by bucket (exact: an
    /// HdrHistogram sum is the histogram of the union), errors summed per (call, errno)
    /// with the earliest first occurrence.
    /// The limit that stopped it is ConnAnalysis's ``HoldReport/merge(parts:)``.
    package mutating func mergeCounts(parts: [HoldPartResult]) {
        self.parts = parts.sorted { $0.part < $1.part }
        var t = HoldPartResult(part: -1, planned: plan.options.connections)
        t.latency = (0..<plan.bucketCount).map { _ in LatencyHistogram.make() }
        t.service = (0..<plan.bucketCount).map { _ in LatencyHistogram.make() }
        t.goNs = parts.map(\.goNs).filter { $0 > 0 }.min() ?? 0
        t.stop = .complete
        for p in self.parts {
            t.attempts += p.attempts; t.established += p.established; t.failed += p.failed
            t.timedOut += p.timedOut; t.inFlight += p.inFlight; t.lateStarts += p.lateStarts
            t.lostDuringHold += p.lostDuringHold; t.closed += p.closed
            t.closeNs = Swift.max(t.closeNs, p.closeNs)
            t.builtNs = Swift.max(t.builtNs, p.builtNs)
            if t.stop == .complete || p.stop == .interrupted { t.stop = p.stop == .complete ? t.stop : p.stop }
            for (b, h) in p.latency.enumerated() where b < t.latency.count { t.latency[b].add(h) }
            for (b, h) in p.service.enumerated() where b < t.service.count { t.service[b].add(h) }
        }
        t.errors = self.parts.flatMap(\.errors).mergedByErrnoAndCall().sorted { $0.firstNs < $1.firstNs }
        total = t
    }

    /// attempts = established + failed + timed out + in flight, for the sum and each part.
    package var balanced: Bool { total.balanced && parts.allSatisfy(\.balanced) }

    /// Attempts never begun: the build-up stopped (limit, deadline, interrupt) first.
    package var notStarted: UInt64 { UInt64(plan.options.connections) - Swift.min(UInt64(plan.options.connections), total.attempts) }

    /// Latency per step of open count, from the merged histograms.
    package var buckets: [HoldBucket] {
        var out: [HoldBucket] = []
        var open: UInt64 = 0
        for (b, h) in total.latency.enumerated() {
            let s = b < total.service.count ? total.service[b] : LatencyHistogram.make()
            let n = h.totalCount
            out.append(HoldBucket(
                first: b * plan.options.step, end: Swift.min(plan.options.connections, (b + 1) * plan.options.step),
                openBefore: open, established: n,
                p50Ns: n > 0 ? h.valueAtPercentile(50) : 0, p90Ns: n > 0 ? h.valueAtPercentile(90) : 0,
                p99Ns: n > 0 ? h.valueAtPercentile(99) : 0, p999Ns: n > 0 ? h.valueAtPercentile(99.9) : 0,
                maxNs: n > 0 ? h.max : 0,
                serviceP50Ns: s.totalCount > 0 ? s.valueAtPercentile(50) : 0,
                serviceP99Ns: s.totalCount > 0 ? s.valueAtPercentile(99) : 0))
            open += n
        }
        return out
    }

    /// All connects' latency together.
    package var overall: Histogram<UInt64> {
        var h = LatencyHistogram.make()
        for b in total.latency { h.add(b) }
        return h
    }

    // MARK: memory per connection (nil when a figure is missing or nothing was held)

    private var peakDeltaBase: UInt64 { total.established }

    /// sockstat TCP mem pages × 4096 per connection (peak − before).
    package var tcpMemBytesPerConnection: Double? {
        guard let peak, total.established > 0 else { return nil }
        return Double(peak.tcpMemPages - before.tcpMemPages) * 4096 / Double(total.established)
    }

    /// Slab bytes of the connection caches per connection (both ends; host-wide caches).
    package var slabBytesPerConnection: Double? {
        guard let p = peak?.slabBytes, let b = before.slabBytes, total.established > 0 else { return nil }
        return Double(p - b) / Double(total.established)
    }

    package func slabDeltaPerConnection(_ name: String) -> Double? {
        guard let p = peak?.slab(name), let b = before.slab(name), total.established > 0 else { return nil }
        return Double(p.activeBytes - b.activeBytes) / Double(total.established)
    }

    package var generatorRSSBytesPerConnection: Double? {
        guard let peak, total.established > 0 else { return nil }
        return (Double(peak.generatorRSSKB) - Double(before.generatorRSSKB)) * 1024 / Double(total.established)
    }

    package var listenerRSSBytesPerConnection: Double? {
        guard let peak, total.established > 0 else { return nil }
        return (Double(peak.listenerRSSKB) - Double(before.listenerRSSKB)) * 1024 / Double(total.established)
    }
}
