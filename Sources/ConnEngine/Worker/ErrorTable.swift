import ConnSys
import ConnModel

/// Counts per (call, errno), with when and at which attempt each first appeared.
///
/// A flat table allocated once per worker: counting an error on the hot path is an index
/// and an add, never a dictionary insert.
package struct ErrorTable: ~Copyable {
    package struct Cell {
        var count: UInt64 = 0
        var firstNs: UInt64 = 0
        var firstLocalAttempt: UInt64 = 0
    }

    package static let errnoSlots = Int(Errno.highestLinuxValue) + 2  // 0…133, and one for "other"
    package static let sites = SyscallSite.allCases.count
    package let cells: UnsafeMutablePointer<Cell>

    package init() {
        cells = .allocate(capacity: Self.errnoSlots * Self.sites)
        cells.initialize(repeating: Cell(), count: Self.errnoSlots * Self.sites)
    }

    deinit { cells.deallocate() }

    @inline(__always)
    package static func slot(_ errno: Errno) -> Int {
        let v = Int(errno.rawValue)
        return v >= 0 && v < errnoSlots - 1 ? v : errnoSlots - 1
    }

    @inline(__always)
    package func count(_ errno: Errno, at site: SyscallSite, nowNs: UInt64, localAttempt: UInt64) {
        let i = Int(site.rawValue) * Self.errnoSlots + Self.slot(errno)
        // Timeouts are dated at their deadline, which can be earlier than the last
        // error counted: keep the earliest.
        if cells[i].count == 0 || nowNs < cells[i].firstNs {
            cells[i].firstNs = nowNs
            cells[i].firstLocalAttempt = localAttempt
        }
        cells[i].count &+= 1
    }

    /// The non-empty cells, for merging after the worker stops.
    package func entries() -> [WorkerErrorEntry] {
        var out: [WorkerErrorEntry] = []
        for site in SyscallSite.allCases {
            for e in 0..<Self.errnoSlots {
                let c = cells[Int(site.rawValue) * Self.errnoSlots + e]
                if c.count > 0 {
                    out.append(WorkerErrorEntry(errno: Int32(e), site: site, count: c.count,
                                                firstNs: c.firstNs, firstLocalAttempt: c.firstLocalAttempt))
                }
            }
        }
        return out
    }
}

/// One (call, errno) count of one worker, with its first occurrence in that worker's terms.
package struct WorkerErrorEntry: Sendable {
    package var errno: Int32
    package var site: SyscallSite
    package var count: UInt64
    /// Nanoseconds since the run started.
    package var firstNs: UInt64
    /// 1-based index among this worker's attempts.
    package var firstLocalAttempt: UInt64
}
