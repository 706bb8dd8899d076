@preconcurrency import Glibc

/// Busy and total jiffies of chosen CPUs, from /proc/stat.
///
/// A generator's own CPU time does not show softirq work done for it on another thread's
/// time, nor the listener's share of the same cores. Whether the cores a run used were
/// saturated is the question that tells "the machine is full" from "connbench is slow".
public struct CPUStat: Sendable, Equatable {
    public var busy: UInt64
    public var total: UInt64
    /// Time the hypervisor ran something else while a vCPU wanted to run (`steal`): a
    /// trial slowed by a noisy neighbour shows it here and nowhere else.
    public var steal: UInt64 = 0
    /// user + nice + system: task time, without irq, softirq and steal. Compared with
    /// this process's CPU time it bounds what other processes took.
    public var task: UInt64 = 0

    public static func read(cpus: [Int]) -> CPUStat? {
        ProcFiles.read("/proc/stat").flatMap { parse($0, cpus: cpus) }
    }

    /// Every CPU of the machine (the `cpu ` line), for what happened around a run rather
    /// than on its cores.
    public static func readAll() -> CPUStat? {
        ProcFiles.read("/proc/stat").flatMap { parse($0, cpus: nil) }
    }

    /// The sum of the `cpuN` lines of `cpus`, or the all-CPU `cpu ` line when nil.
    package static func parse(_ text: String, cpus: [Int]?) -> CPUStat? {
        var out = CPUStat(busy: 0, total: 0)
        var found = 0
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") {
            let fields = line.split(separator: " ")
            if let cpus {
                guard let id = Int(fields[0].dropFirst(3)), cpus.contains(id) else { continue }
            } else if fields[0] != "cpu" {
                continue
            }
            guard let one = parse(fields) else { continue }
            out.add(one)
            found += 1
            if cpus == nil { break }
        }
        return found > 0 ? out : nil
    }

    /// One line's jiffies; nil unless it has the five fields every kernel writes, and
    /// sums that fit (the kernel's counters are 64-bit; their sum over lines is too).
    private static func parse(_ fields: [Substring]) -> CPUStat? {
        let values = fields.dropFirst().compactMap { UInt64($0) }
        guard values.count >= 5 else { return nil }
        var total: UInt64 = 0  // user…steal; guest is inside user
        for v in values.prefix(8) {
            let (sum, over) = total.addingReportingOverflow(v)
            guard !over else { return nil }
            total = sum
        }
        let idle = values[3] + values[4]  // idle + iowait: both are inside total
        return CPUStat(busy: total - idle, total: total, steal: values.count >= 8 ? values[7] : 0,
                       task: values[0] + values[1] + values[2])
    }

    /// Wrapping, as the kernel's counters do: only differences of readings are used.
    private mutating func add(_ o: CPUStat) {
        busy &+= o.busy; total &+= o.total; steal &+= o.steal; task &+= o.task
    }

    /// Busy share between two readings, 0…1.
    public func busyShare(since start: CPUStat) -> Double {
        let t = total &- start.total
        return t > 0 ? Double(busy &- start.busy) / Double(t) : 0
    }

    /// Steal share between two readings, 0…1 of all CPU time.
    public func stealShare(since start: CPUStat) -> Double {
        let t = total &- start.total
        return t > 0 ? Double(steal &- start.steal) / Double(t) : 0
    }

    /// Share (0…1 of all CPU time) of task time not spent by this process: other load.
    /// `processNs` is this process's CPU time over the same span. A lower bound: where the
    /// kernel charges softirq ticks to the interrupted task, this process's time includes
    /// softirq that the `task` fields do not, and the difference comes out smaller.
    public func otherShare(since start: CPUStat, processNs: UInt64) -> Double {
        let t = total &- start.total
        guard t > 0 else { return 0 }
        let tick = Double(1_000_000_000) / Double(Swift.max(1, sysconf(Int32(_SC_CLK_TCK))))
        let taskNs = Double(task &- start.task) * tick
        return Swift.max(0, taskNs - Double(processNs)) / (Double(t) * tick)
    }

    /// CPU time of the whole process (every thread), in nanoseconds.
    public static func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 else { return 0 }
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
