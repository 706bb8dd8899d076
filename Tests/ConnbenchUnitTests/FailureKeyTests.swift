import ConnModel
import ConnSys
import Foundation
import SystemPackage
import Testing

/// A timeout connbench enforced and the kernel's ETIMEDOUT (SYN retries ran out) are
/// different findings: counted apart, saved apart, and a compare keeps the kernel's.
struct FailureKeyTests {
    @Test func aTimeoutRowAndAKernelETIMEDOUTRowHaveDifferentKeys() {
        let ours = ErrorRow(errno: Errno.timedOut.rawValue, name: "ETIMEDOUT", site: .timeout, count: 3, firstSeconds: 0, firstAttempt: 1)
        let kernels = ErrorRow(errno: Errno.timedOut.rawValue, name: "ETIMEDOUT", site: .soError, count: 2, firstSeconds: 0, firstAttempt: 1)
        #expect(FailureKey(ours) == .timeout)
        #expect(FailureKey(kernels) == .errno(.timedOut))
    }

    @Test(arguments: [FailureKey.timeout, .errno(.timedOut), .errno(.addressNotAvailable), .errno(.wouldBlock),
                      .errno(Errno(rawValue: Errno.highestLinuxValue + 1))])
    func aKeyReadsBackFromTheNameItPrints(_ key: FailureKey) throws {
        #expect(FailureKey(name: key.description) == key)
        let counts: FailureCounts = [key: 7]
        let back = try JSONDecoder().decode(FailureCounts.self, from: JSONEncoder().encode(counts))
        #expect(back == counts)
    }

    /// Saved as a JSON object keyed by name, as the count tables always were.
    @Test func countsAreSavedAsAnObjectKeyedByName() throws {
        let counts: FailureCounts = [.timeout: 3, .errno(.timedOut): 2]
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        let text = String(decoding: try e.encode(counts), as: UTF8.self)
        #expect(text == #"{"ETIMEDOUT":2,"timeout":3}"#)
    }

    @Test func aNameThatIsNeitherAnErrnoNorTimeoutIsRefused() {
        #expect(FailureKey(name: "EBOGUS") == nil)
        #expect(FailureKey(name: "") == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FailureCounts.self, from: Data(#"{"EBOGUS":1}"#.utf8))
        }
    }

    /// The compare table's errors column leaves connbench's timeouts to their own column
    /// and keeps every errno, the kernel's ETIMEDOUT included.
    @Test func aCompareKeepsTheKernelsETIMEDOUTAndLeavesTimeoutsToTheirColumn() throws {
        var trials: [CompareTrial] = []
        for round in 0..<3 {
            var t = CompareTrial(setting: 0, round: round)
            t.tally.timedOut = 4
            t.errors = [.timeout: 4, .errno(.timedOut): 2, .errno(.connectionRefused): 1]
            trials.append(t)
        }
        let report = CompareReport(figure: .establishedPerSecond, labels: [("A", "x=1")], trials: trials, plannedTrials: 3,
                                   warmupTrials: 0, interrupted: false, base: "", kernelRelease: "", startedAtUTC: "")
        let s = try #require(report.settings.first)
        #expect(s.timeouts == 12)
        #expect(s.errors.map(\.key) == [.errno(.timedOut), .errno(.connectionRefused)])
        #expect(s.errors.map(\.count) == [6, 3])
    }
}
