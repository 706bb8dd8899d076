import ConnModel
import ConnSys

// What the engine reads of the running kernel, through ConnSys's file reads: the
// values these fill in are ConnModel's, which reads nothing itself.

extension EphemeralPorts {
    /// The calling thread's namespace's range; an unreadable one is an error, not a default.
    package static func current() throws(Unreadable) -> EphemeralPorts {
        guard let text = ProcFiles.read("/proc/sys/net/ipv4/ip_local_port_range") else { throw Unreadable(text: nil) }
        guard let range = parse(text) else { throw Unreadable(text: text) }
        return range
    }
}

extension NumaTopology {
    /// This machine's, or nil where sysfs has no node directory (a kernel without NUMA).
    package static func read(root: String = "/sys/devices/system/node") -> NumaTopology? {
        var lists: [(node: Int, text: String)] = []
        for entry in ProcFiles.directoryEntries(root) where entry.hasPrefix("node") {
            guard let id = Int(entry.dropFirst(4)), let text = ProcFiles.read("\(root)/\(entry)/cpulist") else { continue }
            lists.append((id, text))
        }
        return lists.isEmpty ? nil : parse(cpuLists: lists)
    }
}

extension KernelContext {
    /// Reads the tunables of the calling thread's namespace.
    package static func readTunables() -> [RunReport.Setting] {
        tunableKeys.map { key in
            let raw = ProcFiles.read(ProcFiles.sysctlPath(key))?.trimmingWhitespace() ?? "n/a"
            return RunReport.Setting(key, String(raw.map { $0 == "\t" ? " " : $0 }))
        }
    }
}

extension HoldSnapshot {
    /// Reads everything now. Call from a thread in the parts' namespace.
    package static func take(generatorPIDs: [Int32], listenerPIDs: [Int32]) -> HoldSnapshot {
        var s = HoldSnapshot()
        let counters = NetCounters.read()
        s.tcpInUse = counters[counter: .tcpInUse] ?? 0
        s.tcpAlloc = counters[counter: .tcpAllocated] ?? 0
        s.timeWait = counters[counter: .tcpTimeWait] ?? 0
        s.tcpMemPages = counters[counter: .tcpMemoryPages] ?? 0
        s.listenOverflows = counters[counter: .listenOverflows] ?? 0
        s.listenDrops = counters[counter: .listenDrops] ?? 0
        s.slabs = SlabInfo.read()
        s.generatorRSSKB = generatorPIDs.reduce(0) { $0 + (ProcessMemory.residentKB(pid: $1) ?? 0) }
        s.listenerRSSKB = listenerPIDs.reduce(0) { $0 + (ProcessMemory.residentKB(pid: $1) ?? 0) }
        return s
    }
}
