import Histogram
import ConnModel

/// The part of a worker's record that merges across workers by adding: tallies, whole-run
/// histograms and counters. Recorded in ``WorkerRecorders``, handed back in
/// ``WorkerResult``, added up by the report builder — one type, so a new figure is
/// declared, carried and merged in one place.
struct WorkerFigures: Sendable {
    var measured = Tally()
    var warmup = Tally()
    var latency = LatencyHistogram.make()
    var service = LatencyHistogram.make()
    var connectCall = LatencyHistogram.make()
    /// A sample of connect() calls and of their service times with the worker's own CPU
    /// wait inside them taken out (``SchedulerTrack``): what the kernel and the path cost
    /// while the worker ran.
    var callRunning = LatencyHistogram.make()
    var serviceRunning = LatencyHistogram.make()
    /// SYN retransmits of the measured attempts (TCP_INFO, epoll only).
    var syn = SynRetransmits()
    var startLag = LatencyHistogram.make()
    /// Time from one epoll poll's return to the next poll's call, while epoll holds
    /// connects: how long a completion can wait unseen because the loop was busy.
    var gap = LatencyHistogram.make()
    var late: UInt64 = 0
    /// Attempts that were due while every slot was busy (open loop), and for how long.
    var capStalls: UInt64 = 0
    var capStallNs: UInt64 = 0
    var selfConnects: UInt64 = 0
    /// Connects whose deadline passed but whose socket was found connected or failed.
    var timeoutsFoundEstablished: UInt64 = 0
    var timeoutsFoundFailed: UInt64 = 0
    /// Time spent in zero-timeout polls instead of sleeping (`--spin`).
    var spinNs: UInt64 = 0
    /// Attempts whose end the poll right after connect() already saw (no epoll, no gap).
    var settledAtOnce: UInt64 = 0
    /// io_uring only: how the connects' deadlines were armed.
    var uringTimers: UringTimerCounts?

    mutating func add(_ o: WorkerFigures) {
        measured = measured + o.measured
        warmup = warmup + o.warmup
        latency.add(o.latency)
        service.add(o.service)
        connectCall.add(o.connectCall)
        callRunning.add(o.callRunning)
        serviceRunning.add(o.serviceRunning)
        syn = syn + o.syn
        startLag.add(o.startLag)
        gap.add(o.gap)
        late += o.late
        capStalls += o.capStalls
        capStallNs += o.capStallNs
        selfConnects += o.selfConnects
        timeoutsFoundEstablished += o.timeoutsFoundEstablished
        timeoutsFoundFailed += o.timeoutsFoundFailed
        spinNs += o.spinNs
        settledAtOnce += o.settledAtOnce
        if let t = o.uringTimers { uringTimers = (uringTimers ?? UringTimerCounts()) + t }
    }
}
