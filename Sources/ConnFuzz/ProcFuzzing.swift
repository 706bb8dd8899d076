import ConnCLI
import ConnEngine
import ConnModel
import ConnSys

/// Files the kernel writes: /proc and /sys, and the output of `--trace-kernel`'s bpftrace;
/// the lines part processes write to their supervisor, and a remote listener's stats.
enum ProcFuzzing {
    /// Which /proc or /sys reader the first byte of an input picks.
    enum ProcFile: UInt8, CaseIterable {
        case netstat, sockstat, schedstat, slabinfo, portRange, reservedPorts, stat, cpuList, integer
    }

    static func procFile(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let kind = ProcFile.allCases[Int(first) % ProcFile.allCases.count]
        let rest = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        reading(kind, rest)
    }

    static func reading(_ kind: ProcFile, _ bytes: UnsafeRawBufferPointer) {
        let text = bytes.text
        switch kind {
        case .netstat:
            var counters: [String: Int64] = [:]
            NetCounters.parseHeaderValuePairs(text, into: &counters)
        case .sockstat:
            _ = Sockstat.parseTCP(text)
        case .schedstat:
            _ = ThreadSchedStat.parse(bytes.assumingMemoryBound(to: UInt8.self))
        case .slabinfo:
            _ = SlabInfo.parse(text, names: SlabInfo.connectionCaches)
        case .portRange:
            if let ports = EphemeralPorts.parse(text) { _ = ports.count }
        case .reservedPorts:
            _ = ReservedPorts.parse(text).count(in: 1024...65535)
        case .stat:
            if let a = CPUStat.parse(text, cpus: [0, 1]), let b = CPUStat.parse(text, cpus: nil) {
                _ = a.busyShare(since: b)
                _ = a.stealShare(since: b)
            }
        case .cpuList:
            if let cpus = CPUListParser.parse(text) { _ = CPUListText.format(cpus) }
            _ = NumaTopology.parse(cpuLists: [(0, text)])
        case .integer:
            _ = ProcFiles.integer(text)
        }
    }

    static func kernelTrace(_ bytes: UnsafeRawBufferPointer) {
        _ = KernelTraceOutput.parse(bytes.text)
    }

    static func partMessage(_ bytes: UnsafeRawBufferPointer) {
        let line = bytes.text
        _ = MessageChannel.decode(line, as: HoldPartMessage.self)
        _ = MessageChannel.decode(line, as: HoldSupervisorMessage.self)
        _ = MessageChannel.decode(line, as: RunPartMessage.self)
        _ = MessageChannel.decode(line, as: RunSupervisorMessage.self)
        // What `run --listener-stats` reads from a remote listener, and prints.
        if let stats = ListenerStatsClient.decode(Array(bytes)), let at = SocketAddress(ip: "127.0.0.1", port: 9100) {
            var before = stats
            before.accepted /= 2
            before.counters = stats.counters.map { var c = $0; c.after = $0.before; return c }
            _ = ListenerStatsClient.render(before: before, after: stats, from: at)
            _ = stats.keyValues
        }
    }
}
