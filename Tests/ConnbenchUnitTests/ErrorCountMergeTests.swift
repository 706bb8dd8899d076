import ConnModel
import ConnSys
import SystemPackage
import Testing

/// Rows of one errno and call merge into one: counts add and the earliest first occurrence
/// stays; the same errno from another call stays its own row.
struct ErrorCountMergeTests {
    static func row(_ e: Errno, _ site: SyscallSite, count: UInt64, at seconds: Double, attempt: UInt64) -> ErrorRow {
        ErrorRow(errno: e.rawValue, name: e.name, site: site, count: count, firstSeconds: seconds, firstAttempt: attempt)
    }

    @Test func rowsOfOneErrnoAndCallAddAndKeepTheEarliest() throws {
        let rows = [
            Self.row(.addressNotAvailable, .connect, count: 5, at: 2.0, attempt: 900),
            Self.row(.addressInUse, .bind, count: 1, at: 0.5, attempt: 10),
            Self.row(.addressNotAvailable, .connect, count: 7, at: 1.5, attempt: 1001),
            Self.row(.addressNotAvailable, .bind, count: 2, at: 1.0, attempt: 50),
        ]
        let merged = rows.mergedByErrnoAndCall()
        #expect(merged.count == 3)
        let connect = try #require(merged.first { $0.site == .connect })
        #expect(connect.count == 12 && connect.firstSeconds == 1.5 && connect.firstAttempt == 1001)
        #expect(merged.first { $0.site == .bind && $0.errno == Errno.addressNotAvailable.rawValue }?.count == 2)
    }

    @Test func holdPartsMergeTheSameWay() {
        let a = HoldErrorCount(site: .timeout, errno: Errno.timedOut.rawValue, count: 3, firstNs: 900, firstAttempt: 9)
        let b = HoldErrorCount(site: .timeout, errno: Errno.timedOut.rawValue, count: 4, firstNs: 300, firstAttempt: 3)
        let merged = [a, b].mergedByErrnoAndCall()
        #expect(merged == [HoldErrorCount(site: .timeout, errno: Errno.timedOut.rawValue, count: 7, firstNs: 300, firstAttempt: 3)])
    }
}
