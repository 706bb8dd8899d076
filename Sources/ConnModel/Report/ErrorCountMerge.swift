import ConnSys

/// A count of one errno from one call that knows its first occurrence. Rows of one errno
/// and call merge the same way wherever they come from (workers, parts of a merge, hold
/// parts): counts add, the earliest first occurrence stays.
package protocol FirstOccurrenceCount {
    var errno: Int32 { get }
    var site: SyscallSite { get }
    var count: UInt64 { get set }
    /// Whether this row's first occurrence came before `other`'s.
    func isFirst(before other: Self) -> Bool
    /// Takes `other`'s first occurrence (its time and attempt).
    mutating func takeFirst(of other: Self)
}

/// What rows are merged by: the errno and the call that returned it.
package struct ErrorKey: Hashable, Sendable {
    package var errno: Int32
    package var site: SyscallSite

    package init<Row: FirstOccurrenceCount>(_ row: Row) {
        errno = row.errno
        site = row.site
    }
}

extension Sequence where Element: FirstOccurrenceCount {
    /// One row per errno and call; the order is the caller's to choose.
    package func mergedByErrnoAndCall() -> [Element] {
        var rows: [ErrorKey: Element] = [:]
        for e in self {
            let key = ErrorKey(e)
            guard var m = rows[key] else { rows[key] = e; continue }
            m.count += e.count
            if e.isFirst(before: m) { m.takeFirst(of: e) }
            rows[key] = m
        }
        return Array(rows.values)
    }
}

extension ErrorRow: FirstOccurrenceCount {
    package func isFirst(before other: ErrorRow) -> Bool {
        (firstSeconds, firstAttempt) < (other.firstSeconds, other.firstAttempt)
    }

    package mutating func takeFirst(of other: ErrorRow) {
        firstSeconds = other.firstSeconds
        firstAttempt = other.firstAttempt
    }
}

extension HoldErrorCount: FirstOccurrenceCount {
    package func isFirst(before other: HoldErrorCount) -> Bool { firstNs < other.firstNs }

    package mutating func takeFirst(of other: HoldErrorCount) {
        firstNs = other.firstNs
        firstAttempt = other.firstAttempt
    }
}
