/// The kernel counters connbench reads, each with its name as `NetCounters.read()` keys
/// it (`/proc/net/snmp`, `/proc/net/netstat`, `/proc/net/sockstat`). This is the one place
/// those names are written: a counter asked for by a misspelt name would read as "not
/// there" and its row, column or verdict evidence would vanish without a word.
package enum KernelCounter: String, CaseIterable, Sendable, Codable {
    /// Accept queue full: the SYN (or the final ACK) was dropped.
    case listenOverflows = "TcpExt.ListenOverflows"
    /// Every drop at a listener, overflows included.
    case listenDrops = "TcpExt.ListenDrops"
    case timeWaitOverflow = "TcpExt.TCPTimeWaitOverflow"
    /// TIME_WAIT sockets that ended by their timer.
    case timeWaitEnded = "TcpExt.TW"
    /// TIME_WAIT sockets the kernel reused for a new connect (tcp_tw_reuse).
    case timeWaitRecycled = "TcpExt.TWRecycled"
    case timeWaitKilled = "TcpExt.TWKilled"
    /// SYN queue full, no cookies: the SYN was dropped.
    case requestQueueFullDrop = "TcpExt.TCPReqQFullDrop"
    case requestQueueFullCookies = "TcpExt.TCPReqQFullDoCookies"
    case syncookiesSent = "TcpExt.SyncookiesSent"
    case abortOnClose = "TcpExt.TCPAbortOnClose"
    case activeOpens = "Tcp.ActiveOpens"
    case passiveOpens = "Tcp.PassiveOpens"
    case attemptFails = "Tcp.AttemptFails"
    case establishedResets = "Tcp.EstabResets"
    case retransmittedSegments = "Tcp.RetransSegs"
    /// SYNs and SYN-ACKs retransmitted.
    case synRetransmits = "TcpExt.TCPSynRetrans"
    case resetsSent = "Tcp.OutRsts"
    /// sockstat's gauges: what exists now, not a count of events.
    case tcpInUse = "sockstat.TCP.inuse"
    case tcpTimeWait = "sockstat.TCP.tw"
    case tcpOrphans = "sockstat.TCP.orphan"
    case tcpAllocated = "sockstat.TCP.alloc"
    /// Pages of TCP buffer memory.
    case tcpMemoryPages = "sockstat.TCP.mem"

    /// The listen-queue counters a listener's side reports: overflows of the accept queue,
    /// drops for any reason, SYN-queue-full drops, and SYN cookies sent instead of dropping.
    package static let listenQueue: [KernelCounter] = [.listenOverflows, .listenDrops, .requestQueueFullDrop, .syncookiesSent]

    /// A gauge's value is shown even when it did not move.
    package var isGauge: Bool { rawValue.hasPrefix("sockstat.") }
}

extension Dictionary where Key == String, Value == Int64 {
    /// A counter of what `NetCounters.read()` returned, by its type rather than its name.
    package subscript(counter counter: KernelCounter) -> Int64? { self[counter.rawValue] }
}
