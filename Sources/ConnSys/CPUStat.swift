/// Busy and total jiffies of chosen CPUs, from /proc/stat.
///
/// A generator's own CPU time does not show softirq work done for it on another thread's
/// time, nor the listener's share of the same cores. Whether the cores a run used were
/// saturated is the question that tells "the machine is full" from "connbench is slow".
public struct CPUStat: Sendable, Equatable {
    public var busy: UInt64
    public var total: UInt64

    public static func read(cpus: [Int]) -> CPUStat? {
        guard let text = ProcFiles.read("/proc/stat") else { return nil }
        var out = CPUStat(busy: 0, total: 0)
        var found = 0
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ")
            guard let id = Int(fields[0].dropFirst(3)), cpus.contains(id) else { continue }
            let values = fields.dropFirst().compactMap { UInt64($0) }
            guard values.count >= 5 else { continue }
            let total = values.prefix(8).reduce(0, +)  // user…steal; guest is inside user
            let idle = values[3] + values[4]  // idle + iowait
            out.total += total
            out.busy += total - idle
            found += 1
        }
        return found > 0 ? out : nil
    }

    /// Busy share between two readings, 0…1.
    public func busyShare(since start: CPUStat) -> Double {
        let t = total &- start.total
        return t > 0 ? Double(busy &- start.busy) / Double(t) : 0
    }
}
