import CConnShim
import CNuma
import SystemPackage

/// Where worker threads may run, and pinning them there.
///
/// libnuma pins and sets local allocation, so the memory a worker touches after pinning
/// (its slots, histograms, event buffer) lands on its own node. Where `numa_available()`
/// fails every other libnuma call is undefined, so connbench falls back to plain
/// `sched_setaffinity` and says so once.
public enum CPUAffinity {
    /// The CPUs this process may run on (its affinity mask), ascending.
    public static func allowedCPUs() throws(Errno) -> [Int] {
        var buf = [Int32](repeating: 0, count: 4096)
        let n = try syscall { cbs_allowed_cpus(&buf, Int32(buf.count)) }
        return buf.prefix(Int(n)).map(Int.init)
    }

    public static var numaAvailable: Bool { numa_available() >= 0 }

    public enum Method: String, Sendable, Codable {
        case numa = "libnuma"
        case affinity = "sched_setaffinity"
    }

    /// Pins the calling thread to `cpu`. Returns the method that did it.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) throws(Errno) -> Method {
        if numaAvailable, let mask = numa_allocate_cpumask() {
            defer { numa_free_cpumask(mask) }
            numa_bitmask_setbit(mask, UInt32(cpu))
            _ = try syscall { numa_sched_setaffinity(0, mask) }
            numa_set_localalloc()
            return .numa
        }
        _ = try syscall { cbs_pin_self(Int32(cpu)) }
        return .affinity
    }

    /// The CPU the calling thread runs on now.
    public static func currentCPU() -> Int { Int(cbs_sched_getcpu()) }

    /// The NUMA node of a CPU, or 0 where libnuma is unavailable.
    public static func node(ofCPU cpu: Int) -> Int {
        numaAvailable ? Int(numa_node_of_cpu(Int32(cpu))) : 0
    }

    /// Sets the calling thread's timer slack: an open-loop worker sleeps until the next
    /// intended start, and the default 50 µs slack would make every start that late.
    public static func setTimerSlack(nanoseconds: UInt) throws(Errno) {
        _ = try syscall { cbs_set_timer_slack(nanoseconds) }
    }

    /// This thread's CPU time so far, to tell a CPU-bound generator from a starved one.
    public static func threadCPUTimeNanoseconds() -> UInt64 { cbs_thread_cpu_ns() }
}
