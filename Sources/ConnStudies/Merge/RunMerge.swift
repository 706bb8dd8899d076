import ConnSys
import Histogram
import ConnModel
import ConnEngine
import ConnAnalysis

/// `connbench merge`: one report from runs made at the same time on several generators
/// (pods of an Indexed Job, hosts over ssh), each against the same system.
///
/// Exact where the runs saved enough to be exact: the whole-run histograms are added
/// (HdrHistogram add, never an average of percentiles) and the percentiles recomputed from
/// the sum; counters, errors and interval counts are summed. Intervals are aligned by
/// wall-clock time (each run's start, `startEpochMs`) in whole intervals. What the parts
/// saved only as figures (start lag, observation gap: no histograms) is the worst part's,
/// an upper bound, and the merged report's notes say so.
package enum RunMerge {
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    /// The parts merged field by field, each by its rule in ``reportRules``.
    package static func merge(_ parts: [RunReport]) throws(Failure) -> RunReport {
        guard let first = parts.first, parts.count >= 2 else { throw Failure(description: "needs at least two runs") }
        guard parts.count <= ReadLimits.maxParts else { throw Failure(description: "\(parts.count) runs: merge adds up at most \(ReadLimits.maxParts) at once") }
        let named = parts.enumerated().map { i, p in p.setup.config.tag.isEmpty ? "run\(i + 1)" : p.setup.config.tag }
        let identified = parts.allSatisfy { $0.identity != nil }
        // Runs with an identity are told apart by it; their tags are names to print, made
        // unique where two collide (two untagged runs of one host).
        let tags = identified ? uniqueNames(named) : named
        try check(parts, tags: tags)
        let clock = try CommonClock(parts, tags: tags)
        var notes = ["merged \(parts.count) runs: " + tags.joined(separator: ", ")] + clock.notes
        if let skew = startSkew(parts, tags: tags) { notes.append(skew) }
        var r = first
        r.mergedFrom = tags
        r.identity = identified ? mergedIdentity(parts) : nil
        mergeSettings(&r, parts)
        mergeCounts(&r, parts)
        mergeHistograms(&r, parts, clock: clock, notes: &notes)
        r.errors = mergedErrors(parts, offsets: clock.offsetSeconds)
        r.intervalHistograms = mergedLog(parts, shifts: clock.shifts, origin: clock.origin)
        r.intervals = mergedIntervals(parts, shifts: clock.shifts, log: r.intervalHistograms)
        mergeOneGeneratorViews(&r, parts, tags: tags, notes: &notes)
        for (i, p) in parts.enumerated() { notes += p.notes.map { "[\(tags[i])] \($0)" } }
        r.notes = notes
        guard r.tally.isBalanced else { throw Failure(description: "the sum breaks the accounting identity: \(r.tally.imbalanceText)") }
        r.warnings = FigureWarnings.warnings(r)
        r.verdict = VerdictAssessment.assess(r, concurrency: r.setup.concurrency)
        return r
    }

    /// The parts' starts on one wall clock, in whole intervals of the time series.
    struct CommonClock {
        let origin: UInt64
        let shifts: [Int]
        let offsetSeconds: [Double]
        let notes: [String]

        /// Rows apart two merged runs may start: a merged time series is one array of them.
        static let maxShift = 1_000_000

        init(_ parts: [RunReport], tags: [String]) throws(Failure) {
            let starts = parts.map { $0.intervalHistograms?.startEpochMs ?? 0 }
            let origin = starts.min() ?? 0
            let stepMs = Double(parts[0].setup.config.intervalNs) / 1e6
            guard stepMs > 0 else { throw Failure(description: "\(tags[0]) has an interval of 0: its time series cannot be aligned") }
            var notes: [String] = [], shifts: [Int] = []
            for (i, s) in starts.enumerated() {
                let offsetMs = Double(s - origin)
                guard offsetMs / stepMs <= Double(Self.maxShift) else {
                    throw Failure(description: "\(tags[i]) started \(Num.f3(offsetMs / 1000)) s after the first, more than \(Self.maxShift) intervals: merge runs made at once")
                }
                let k = Int((offsetMs / stepMs).rounded())
                shifts.append(k)
                let rest = offsetMs - Double(k) * stepMs
                if k != 0 || abs(rest) >= 1 {
                    notes.append("\(tags[i]) started \(Num.whole(offsetMs.rounded(.towardZero))) ms after the first: its intervals shifted by \(k) whole interval(s), \(Num.whole(rest)) ms left unaligned")
                }
            }
            self.origin = origin
            self.shifts = shifts
            offsetSeconds = starts.map { Double($0 - origin) / 1000 }
            self.notes = notes
        }
    }

    /// `.settings`: rates and workers summed, targets united; the rest was checked equal.
    static func mergeSettings(_ r: inout RunReport, _ parts: [RunReport]) {
        r.setup.config.tag = "merged"
        if case .fixed = r.setup.config.rate {
            r.setup.config.rate = .fixed(perSecond: parts.reduce(0) { $0 + ($1.rate.perSecond ?? 0) })
        }
        r.setup.workers = parts.reduce(0) { $0 + $1.setup.workers }
        r.setup.cpus = []
        let targets = parts.map(\.setup.targetText)
        if Set(targets).count > 1 {
            var seen = Set<String>()
            r.setup.config.targetsAsTyped = targets.flatMap { $0.split(separator: " ").map(String.init) }.filter { seen.insert($0).inserted }
        }
        r.startedAtUTC = parts.map(\.startedAtUTC).min() ?? r.startedAtUTC
        r.measuredSeconds = parts.map(\.measuredSeconds).max() ?? 0
        r.interrupted = parts.contains { $0.interrupted }
        r.openFilesLimit = parts.map(\.openFilesLimit).min() ?? 0
        r.workers = []
        for p in parts { for w in p.workers { var w = w; w.id = r.workers.count; r.workers.append(w) } }
    }

    /// `.sum`, `.largest` and `.anyPart` of the counts and shares.
    static func mergeCounts(_ r: inout RunReport, _ parts: [RunReport]) {
        r.scheduled = sumOptional(parts.map(\.scheduled))
        r.notStarted = sumOptional(parts.map(\.notStarted))
        r.lastStartSeconds = parts.map(\.lastStartSeconds).max() ?? 0
        r.settledAtOnce = parts.reduce(0) { $0 + $1.settledAtOnce }
        r.uringTimers = parts.compactMap(\.uringTimers).reduce(nil) { ($0 ?? UringTimerCounts()) + $1 }
        r.spinShare = parts.map(\.spinShare).max() ?? 0
        r.timeoutsFoundEstablished = parts.reduce(0) { $0 + $1.timeoutsFoundEstablished }
        r.timeoutsFoundFailed = parts.reduce(0) { $0 + $1.timeoutsFoundFailed }
        r.tally = parts.dropFirst().reduce(parts[0].tally) { $0 + $1.tally }
        r.warmup = parts.dropFirst().reduce(parts[0].warmup) { $0 + $1.warmup }
        r.lateStarts = parts.reduce(0) { $0 + $1.lateStarts }
        r.capStalls = parts.reduce(0) { $0 + $1.capStalls }
        r.capStallSeconds = parts.reduce(0) { $0 + $1.capStallSeconds }
        r.selfConnects = parts.reduce(0) { $0 + $1.selfConnects }
        r.synRetransmits = sumOptional(parts.map(\.synRetransmits))
        let details = parts.compactMap(\.synRetransmitDetail)
        r.synRetransmitDetail = details.count == parts.count ? details.reduce(SynRetransmits(), +) : nil
        r.endedAtOnset = parts.contains { $0.endedAtOnset }
        let listeners = parts.compactMap(\.listener)
        if var l = listeners.first {
            l.accepted = listeners.reduce(0) { $0 + $1.accepted }
            l.threads = listeners.reduce(0) { $0 + $1.threads }
            r.listener = l
        }
    }

    /// `.histogramSum` and what is recomputed from it; `.worstPart` where no histogram was
    /// saved; the kernel clock is dropped.
    static func mergeHistograms(_ r: inout RunReport, _ parts: [RunReport], clock: CommonClock, notes: inout [String]) {
        var h = parts[0].histograms
        for p in parts.dropFirst() {
            h.latency.add(p.histograms.latency)
            h.service.add(p.histograms.service)
            h.connectCall.add(p.histograms.connectCall)
        }
        h.callRunning = addAll(parts.map(\.histograms.callRunning))
        h.serviceRunning = addAll(parts.map(\.histograms.serviceRunning))
        r.histograms = h
        r.generatorTime = mergedGeneratorTime(parts, histograms: h, offsets: clock.offsetSeconds)
        if parts.contains(where: { $0.kernelTrace != nil }) {
            r.kernelTrace = nil
            notes.append("the kernel clock (--trace-kernel) is each part's own and is not merged: read it in the parts")
        }
        r.latency = LatencySummary(h.latency)
        r.service = LatencySummary(h.service)
        r.connectCall = LatencySummary(h.connectCall)
        r.startLag = worst(parts.map(\.startLag))
        r.observationGap = worst(parts.map(\.observationGap))
        notes.append("start lag and observation gap are the worst part's figures (the runs keep no histograms of them)")
    }

    /// `.firstPart`, `.earliestPart` and `.dropped`: what each generator saw on its own.
    static func mergeOneGeneratorViews(_ r: inout RunReport, _ parts: [RunReport], tags: [String], notes: inout [String]) {
        r.numa = nil
        r.cpuBusy = nil
        r.portBudget = nil
        notes.append("kernel, listener side and port samples are \(tags[0])'s (each generator has its own)")
        if let (i, o) = parts.enumerated().compactMap({ i, p in p.onset.map { (i, $0) } }).min(by: { $0.1.seconds < $1.1.seconds }) {
            r.onset = o
            notes.append("exhaustion onset is \(tags[i])'s, the earliest part's")
        }
    }

    /// Runs that differ in these measure different things and are refused: loop kind,
    /// duration, warm-up, interval, close mode, timeout; an exhaust row; a run that breaks
    /// the accounting identity itself; two runs with one tag (the same run twice?).
    static func check(_ parts: [RunReport], tags: [String]) throws(Failure) {
        let c0 = parts[0].setup.config
        for (i, p) in parts.enumerated() {
            let c = p.setup.config
            func differ(_ what: String, _ a: String, _ b: String) -> Failure {
                Failure(description: "\(tags[i]) has \(what) \(b), \(tags[0]) has \(a): only runs of the same kind merge")
            }
            if (c.rate.perSecond == nil) != (c0.rate.perSecond == nil) { throw differ("rate", c0.rate.description, c.rate.description) }
            if c.durationNs != c0.durationNs { throw differ("duration", DurationParser.format(c0.durationNs), DurationParser.format(c.durationNs)) }
            if c.warmupNs != c0.warmupNs { throw differ("warmup", DurationParser.format(c0.warmupNs), DurationParser.format(c.warmupNs)) }
            if c.intervalNs != c0.intervalNs { throw differ("interval", DurationParser.format(c0.intervalNs), DurationParser.format(c.intervalNs)) }
            if c.close != c0.close { throw differ("close", c0.close.rawValue, c.close.rawValue) }
            if c.timeoutNs != c0.timeoutNs { throw differ("timeout", DurationParser.format(c0.timeoutNs), DurationParser.format(c.timeoutNs)) }
            if p.matrixCase != nil { throw Failure(description: "\(tags[i]) is a row of `connbench exhaust`, not a run to merge") }
            if p.intervalHistograms == nil { throw Failure(description: "\(tags[i]) has no interval histograms (a report older than latency.hlog)") }
            guard p.tally.isBalanced else { throw Failure(description: "\(tags[i]) breaks the accounting identity itself") }
            try checkAddable(p, to: parts[0], tag: tags[i])
        }
        try checkDistinct(parts, tags: tags)
        // The time series' rows count in 32 bits and wrap when added past that (a row's
        // count then disagrees with its buckets, and HdrHistogram's iterators run off them).
        let rowCounts = parts.map { ($0.intervalHistograms?.rows ?? []).map { max($0.latency.totalCount, $0.service.totalCount, $0.connectCall.totalCount) }.max() ?? 0 }
        guard rowCounts.reduce(0, +) <= UInt64(UInt32.max) else {
            throw Failure(description: "the runs' latency.hlog rows hold more than 2^32 connects in one interval together; a row counts in 32 bits")
        }
    }

    /// HdrHistogram traps when histograms of different layouts are added.
    static func checkAddable(_ p: RunReport, to first: RunReport, tag: String) throws(Failure) {
        let a = first.histograms, b = p.histograms
        let pairs: [(String, Histogram<UInt64>?, Histogram<UInt64>?)] = [
            ("latency", a.latency, b.latency), ("service", a.service, b.service), ("connectCall", a.connectCall, b.connectCall),
            ("callRunning", a.callRunning, b.callRunning), ("serviceRunning", a.serviceRunning, b.serviceRunning),
        ]
        for (name, x, y) in pairs {
            guard let x, let y else { continue }
            guard LatencyHistogram.canAdd(y, to: x) else { throw Failure(description: "\(tag)'s \(name) histogram has another layout than the first run's") }
        }
        let template = LatencyHistogram.makeLogInterval()
        for row in p.intervalHistograms?.rows ?? [] {
            for h in [row.latency, row.service, row.connectCall] where !LatencyHistogram.canAdd(h, to: template) {
                throw Failure(description: "\(tag)'s latency.hlog rows have another layout than connbench's")
            }
        }
    }

    /// The same run twice is refused by its identity (a copy of its folder keeps it); runs
    /// saved before runs had one can only be told apart by their tags.
    static func checkDistinct(_ parts: [RunReport], tags: [String]) throws(Failure) {
        var seen: [String: Int] = [:]
        for (i, p) in parts.enumerated() {
            guard let identity = p.identity else { continue }
            for run in identity.runs {
                if let j = seen[run.id] {
                    throw Failure(description: "\(tags[i]) and \(tags[j]) are the same run (id \(run.id.prefix(12)), \(run.host) pid \(run.pid)): a run merges once, and a copied folder keeps its id")
                }
                seen[run.id] = i
            }
        }
        guard !parts.allSatisfy({ $0.identity != nil }) else { return }
        var names = Set<String>()
        for t in tags where !names.insert(t).inserted {
            throw Failure(description: "tag \(t) appears twice among reports saved without a run id: the same run given twice? (give such runs distinct --tag)")
        }
    }

    /// Names as given, a collision numbered: vm, vm-2, vm-3.
    static func uniqueNames(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { name in
            var candidate = name, n = 1
            while used.contains(candidate) {
                n += 1
                candidate = "\(name)-\(n)"
            }
            used.insert(candidate)
            return candidate
        }
    }

    /// Each part's start against the earliest, on the wall clock its identity saved.
    static func startSkew(_ parts: [RunReport], tags: [String]) -> String? {
        let starts = parts.map { $0.identity?.startEpochNs }
        guard let earliest = starts.compactMap({ $0 }).min(), !starts.contains(where: { $0 == nil }) else { return nil }
        let each = zip(tags, starts).map { tag, start in "\(tag) +\(Num.f3(Double((start ?? earliest) - earliest) / 1e6)) ms" }
        return "start skew against the earliest start (wall clock): " + each.joined(separator: ", ")
    }

    /// A merged report is a run of its own, made of its parts' runs.
    static func mergedIdentity(_ parts: [RunReport]) -> RunIdentity {
        let runs = parts.flatMap { $0.identity?.runs ?? [] }
        return .new(startEpochNs: runs.map(\.startEpochNs).min() ?? 0, parts: runs)
    }

    /// The histograms added up, or nil unless every part has one.
    static func addAll(_ hs: [Histogram<UInt64>?]) -> Histogram<UInt64>? {
        guard var total = hs.first ?? nil, !hs.contains(where: { $0 == nil }) else { return nil }
        for h in hs.dropFirst() { if let h { total.add(h) } }
        return total
    }

    /// The parts' generator figures together: wait weighted by each part's workers, the
    /// running rows from the added histograms, every stall on the common clock.
    static func mergedGeneratorTime(_ parts: [RunReport], histograms h: RunReport.Histograms, offsets: [Double]) -> GeneratorTime? {
        let timed = parts.enumerated().compactMap { i, p in p.generatorTime.map { (i, p, $0) } }
        guard timed.count == parts.count, let first = timed.first?.2 else { return nil }
        let workers = timed.reduce(0) { $0 + Swift.max(1, $1.1.setup.workers) }
        let wait = timed.reduce(0.0) { $0 + $1.2.cpuWaitShare * Double(Swift.max(1, $1.1.setup.workers)) } / Double(Swift.max(1, workers))
        let stalls = timed.flatMap { i, _, g in
            g.stalls.map { s in var s = s; s.startSeconds += offsets[i]; return s }
        }.sorted { $0.startSeconds < $1.startSeconds }
        var merged = GeneratorTime(cpuWaitShare: wait, preemptions: timed.reduce(0) { $0 + $1.2.preemptions }, sampleEvery: first.sampleEvery,
                             callRunning: h.callRunning.map { LatencySummary($0) }, serviceRunning: h.serviceRunning.map { LatencySummary($0) },
                             stalls: stalls, sharedCPUs: Array(Set(timed.flatMap(\.2.sharedCPUs))).sorted(),
                             listenerThreads: timed.map(\.2.listenerThreads).max() ?? 0,
                             otherLoadShare: timed.compactMap(\.2.otherLoadShare).max())
        let notListed = timed.reduce(0) { $0 + ($1.2.stallsNotListed ?? 0) }
        merged.stallsNotListed = notListed > 0 ? notListed : nil
        return merged
    }

    static func sumOptional(_ xs: [UInt64?]) -> UInt64? {
        xs.contains(nil) ? nil : xs.reduce(0) { $0 + ($1 ?? 0) }
    }

    static func worst(_ xs: [LatencySummary]) -> LatencySummary {
        var w = xs[0]
        for x in xs.dropFirst() {
            w.count += x.count
            w.p50 = max(w.p50, x.p50); w.p90 = max(w.p90, x.p90); w.p99 = max(w.p99, x.p99)
            w.p999 = max(w.p999, x.p999); w.p9999 = max(w.p9999, x.p9999); w.max = max(w.max, x.max)
            w.mean = max(w.mean, x.mean)
        }
        return w
    }

    /// Summed by errno and call; the first occurrence is the earliest on the common clock
    /// (its attempt number is the part's own).
    static func mergedErrors(_ parts: [RunReport], offsets: [Double]) -> [ErrorRow] {
        let shifted = zip(parts, offsets).flatMap { p, offset in
            p.errors.map { e in var e = e; e.firstSeconds += offset; return e }
        }
        return shifted.mergedByErrnoAndCall().sorted { ($0.firstSeconds, $0.name) < ($1.firstSeconds, $1.name) }
    }

    /// The latency.hlog rows added, row `j` of a part landing on row `j + shift`.
    static func mergedLog(_ parts: [RunReport], shifts: [Int], origin: UInt64) -> IntervalHistograms {
        var rows: [IntervalHistograms.Row] = []
        for (p, shift) in zip(parts, shifts) {
            for (j, row) in (p.intervalHistograms?.rows ?? []).enumerated() {
                let at = j + shift
                while rows.count <= at {
                    let n = rows.count
                    let template = p.intervalHistograms!.rows[0]
                    rows.append(.init(startSeconds: template.startSeconds + Double(n) * template.seconds, seconds: template.seconds,
                                      latency: LatencyHistogram.makeLogInterval(), service: LatencyHistogram.makeLogInterval(),
                                      connectCall: LatencyHistogram.makeLogInterval()))
                }
                rows[at].latency.add(row.latency)
                rows[at].service.add(row.service)
                rows[at].connectCall.add(row.connectCall)
                rows[at].seconds = max(rows[at].seconds, row.seconds)
            }
        }
        return IntervalHistograms(startEpochMs: origin, rows: rows)
    }

    /// Counts summed on the common clock; each interval's percentiles from the merged hlog
    /// row that covers it when the two series line up (warm-up a whole number of
    /// intervals, hlog rows one interval long), else the worst part's (an upper bound).
    static func mergedIntervals(_ parts: [RunReport], shifts: [Int], log: IntervalHistograms?) -> [IntervalRow] {
        var rows: [IntervalRow] = []
        let c0 = parts[0].setup.config
        for (p, shift) in zip(parts, shifts) {
            for row in p.intervals {
                let at = row.index + shift
                while rows.count <= at {
                    let n = rows.count
                    let step = Double(c0.intervalNs) / 1e9
                    rows.append(IntervalRow(index: n, startSeconds: Double(n) * step, seconds: 0,
                                            warmup: UInt64(n) * c0.intervalNs < c0.warmupNs,
                                            started: 0, established: 0, failed: 0, timedOut: 0,
                                            p50: 0, p90: 0, p99: 0, max: 0, connectCallP50: 0, connectCallP99: 0,
                                            portsInUse: 0, timeWait: 0, evenPorts: 0, oddPorts: 0, errors: [:],
                                            preemptions: 0, synRetransmits: 0))
                }
                var m = rows[at]
                m.seconds = max(m.seconds, row.seconds)
                m.started += row.started; m.established += row.established
                m.failed += row.failed; m.timedOut += row.timedOut
                m.p50 = max(m.p50, row.p50); m.p90 = max(m.p90, row.p90); m.p99 = max(m.p99, row.p99); m.max = max(m.max, row.max)
                m.connectCallP50 = max(m.connectCallP50, row.connectCallP50); m.connectCallP99 = max(m.connectCallP99, row.connectCallP99)
                m.portsInUse = sum(m.portsInUse, row.portsInUse)
                m.timeWait = sum(m.timeWait, row.timeWait)
                m.evenPorts += row.evenPorts; m.oddPorts += row.oddPorts
                m.preemptions = sum(m.preemptions, row.preemptions)
                m.synRetransmits = sum(m.synRetransmits, row.synRetransmits)
                for (k, v) in row.errors { m.errors[k, default: 0] += v }
                rows[at] = m
            }
        }
        // Exact percentiles where an hlog row is this interval.
        guard let log, let lead = log.rows.first, c0.warmupNs % c0.intervalNs == 0,
              abs(lead.seconds - Double(c0.intervalNs) / 1e9) < 1e-9 else { return rows }
        let warmupRows = Int(c0.warmupNs / c0.intervalNs)
        for (j, l) in log.rows.enumerated() where warmupRows + j < rows.count {
            let lat = LatencySummary(l.latency), call = LatencySummary(l.connectCall)
            var m = rows[warmupRows + j]
            m.p50 = lat.p50; m.p90 = lat.p90; m.p99 = lat.p99; m.max = lat.max
            m.connectCallP50 = call.p50; m.connectCallP99 = call.p99
            rows[warmupRows + j] = m
        }
        return rows
    }
}

/// Nil when either part did not sample.
private func sum<T: BinaryInteger>(_ a: T?, _ b: T?) -> T? {
    guard let a, let b else { return nil }
    return a + b
}
