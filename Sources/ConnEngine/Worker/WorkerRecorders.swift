import ConnSys
import Histogram
import ConnModel
import ConnAnalysis

/// Everything one worker records: tallies, histograms, the 1 s series, the onset
/// buckets, errno counts and the loop's own observation gap.
///
/// Owned by the worker and reached through `inout`, so recording is plain stores into
/// memory allocated before the first connect; merged with the other workers' after they
/// stop. The driver and the schedule never touch it: an io_uring engine records the
/// same things the same way.
struct WorkerRecorders: ~Copyable {
    var startNs: UInt64 = 0
    var measureStartNs: UInt64 = 0
    var f = WorkerFigures()
    let lateThresholdNs: UInt64
    var capStallSince: UInt64 = 0
    let errors = ErrorTable()
    var series: IntervalSeries
    /// The measured window's per-interval histograms, for `latency.hlog`.
    var logged: LoggedIntervals
    var onset: OnsetTrack
    var marks: ProgressMarks
    var lastStartNs: UInt64 = 0
    private var intervalIndex = 0
    private var intervalEndNs: UInt64 = 0

    init(totalNs: UInt64, durationNs: UInt64, intervalNs: UInt64, lateThresholdNs: UInt64, progressMarks: Bool) {
        series = IntervalSeries(totalNs: totalNs, intervalNs: intervalNs)
        logged = LoggedIntervals(durationNs: durationNs, intervalNs: intervalNs)
        onset = OnsetTrack(totalNs: totalNs)
        marks = ProgressMarks(totalNs: totalNs, enabled: progressMarks)
        self.lateThresholdNs = lateThresholdNs
    }

    mutating func begin(_ t: Timeline) {
        startNs = t.startNs
        measureStartNs = t.measureStartNs
        intervalIndex = 0
        intervalEndNs = t.startNs + series.intervalNs
    }

    /// The series interval of `t`; cached because times mostly move forward, exact when
    /// they do not (a timeout dated at its deadline).
    @inline(__always)
    mutating func interval(at t: UInt64) -> Int {
        if t >= intervalEndNs || t + series.intervalNs < intervalEndNs {
            intervalIndex = series.index(t > startNs ? t - startNs : 0)
            intervalEndNs = startNs + UInt64(intervalIndex + 1) * series.intervalNs
        }
        return intervalIndex
    }

    /// The `latency.hlog` interval of `t`: one division, only for measured values.
    @inline(__always)
    func loggedInterval(at t: UInt64) -> Int { logged.index(t > measureStartNs ? t - measureStartNs : 0) }

    @inline(__always)
    func bucket(at t: UInt64) -> Int { onset.index(t > startNs ? t - startNs : 0) }

    @inline(__always)
    mutating func started(measured isMeasured: Bool, at t: UInt64) {
        if isMeasured { f.measured.attempts += 1 } else { f.warmup.attempts += 1 }
        series.started[interval(at: t)] += 1
        onset.buckets[bucket(at: t)].started &+= 1
        lastStartNs = t
    }

    @inline(__always)
    mutating func connectCalled(measured isMeasured: Bool, intendedNs: UInt64?, callNs: UInt64, returnNs: UInt64) {
        let cost = returnNs - callNs
        if isMeasured {
            f.connectCall.recordClamped(cost)
            logged.connectCall[loggedInterval(at: callNs)].recordClamped(cost)
            if let intendedNs {
                let lag = callNs > intendedNs ? callNs - intendedNs : 0
                f.startLag.recordClamped(lag)
                if lag > lateThresholdNs { f.late += 1 }
            }
        }
        series.connectCall[interval(at: callNs)].recordClampedMicros(cost)
        let b = bucket(at: callNs)
        onset.buckets[b].calls &+= 1
        onset.buckets[b].callNs &+= cost
    }

    /// A sampled connect() call, less the CPU wait the thread had inside it.
    @inline(__always)
    mutating func callRunning(measured isMeasured: Bool, callNs: UInt64, returnNs: UInt64, waitNs: UInt64) {
        guard isMeasured else { return }
        let wall = returnNs - callNs
        let running = wall > waitNs ? wall - waitNs : 0
        f.callRunning.recordClamped(running)
        logged.callRunning[loggedInterval(at: callNs)].recordClamped(running)
    }

    /// A sampled attempt's service time, less the thread's CPU wait from its call to now
    /// (and, in `waitNs`, the sample's own bookkeeping inside that window).
    @inline(__always)
    mutating func serviceRunning(_ slot: ConnSlot, at now: UInt64, waitNs: UInt64) {
        guard slot.measured else { return }
        let wall = now - slot.callNs
        f.serviceRunning.recordClamped(wall > waitNs ? wall - waitNs : 0)
    }

    /// An attempt that lasted long enough to have retransmitted its SYN was asked before
    /// its socket was closed.
    @inline(__always)
    mutating func synChecked(retransmits: UInt32, ending: SynRetransmits.Ending, measured isMeasured: Bool, at t: UInt64) {
        if isMeasured { f.syn.count(retransmits, ending: ending) }
        if retransmits > 0 { series.synRetransmits[interval(at: t)] += 1 }
    }

    /// io_uring: the chain was queued at `submitNs`. Only the start lag is recorded; the
    /// connect() call histogram and the onset's call cost stay empty (there is no call).
    @inline(__always)
    mutating func submitted(measured isMeasured: Bool, intendedNs: UInt64?, submitNs: UInt64) {
        guard isMeasured, let intendedNs else { return }
        let lag = submitNs > intendedNs ? submitNs - intendedNs : 0
        f.startLag.recordClamped(lag)
        if lag > lateThresholdNs { f.late += 1 }
    }

    /// io_uring: the onset's cost is the submission's time over the chains it carried.
    /// Nothing else records it: it is not a connect() call time.
    @inline(__always)
    mutating func submissionCost(_ c: SubmitCost) {
        let b = bucket(at: c.atNs)
        onset.buckets[b].calls &+= UInt32(truncatingIfNeeded: c.chains)
        onset.buckets[b].callNs &+= c.ns
    }

    @inline(__always)
    mutating func sourcePort(_ port: UInt16, at t: UInt64) {
        let b = bucket(at: t)
        if port & 1 == 0 { onset.buckets[b].evenPorts &+= 1 } else { onset.buckets[b].oddPorts &+= 1 }
    }

    @inline(__always)
    mutating func established(_ slot: ConnSlot, at now: UInt64) {
        if slot.measured {
            f.measured.established += 1
            f.latency.recordClamped(now - slot.intendedNs)
            f.service.recordClamped(now - slot.callNs)
            let l = loggedInterval(at: now)
            logged.latency[l].recordClamped(now - slot.intendedNs)
            logged.service[l].recordClamped(now - slot.callNs)
        } else {
            f.warmup.established += 1
        }
        let i = interval(at: now)
        series.established[i] += 1
        series.latency[i].recordClampedMicros(now - slot.intendedNs)
        onset.buckets[bucket(at: now)].established &+= 1
    }

    /// Counts a failed attempt; returns whether its errno means "no port left".
    @inline(__always) @discardableResult
    mutating func failed(errno: Errno, site: SyscallSite, measured isMeasured: Bool, localAttempt: UInt64, at t: UInt64) -> Bool {
        let i = interval(at: t)
        // The series counts a timeout once, as timed out: its ETIMEDOUT is connbench's,
        // not an errno a call returned.
        if site == .timeout {
            series.timedOut[i] += 1
            if isMeasured { f.measured.timedOut += 1 } else { f.warmup.timedOut += 1 }
        } else {
            series.errors[i * ErrorTable.errnoSlots + ErrorTable.slot(errno)] += 1
            series.failed[i] += 1
            if isMeasured { f.measured.failed += 1 } else { f.warmup.failed += 1 }
        }
        if isMeasured { errors.count(errno, at: site, nowNs: t - startNs, localAttempt: localAttempt) }
        let b = bucket(at: t)
        onset.buckets[b].failed &+= 1
        guard site != .timeout && OnsetBucket.isExhaustion(errno) else { return false }
        onset.buckets[b].exhaustion &+= 1
        return true
    }

    mutating func inFlight(measured isMeasured: Bool) {
        if isMeasured { f.measured.inFlight += 1 } else { f.warmup.inFlight += 1 }
    }

    @inline(__always)
    mutating func capStall(begins now: UInt64) {
        if capStallSince == 0 { capStallSince = now; f.capStalls += 1 }
    }

    @inline(__always)
    mutating func capStall(ends now: UInt64) {
        if capStallSince != 0 { f.capStallNs += now - capStallSince; capStallSince = 0 }
    }
}
