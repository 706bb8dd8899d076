import ConnModel
import ConnSys
import Foundation
import Testing

/// Every counter connbench asks for by type is one this kernel's `/proc/net` files have
/// under that name: a misspelt name would read as "not there" and its figure would vanish.
struct KernelCounterTests {
    @Test(arguments: KernelCounter.allCases)
    func theKernelHasTheCounterUnderItsName(_ c: KernelCounter) {
        #expect(NetCounters.read()[counter: c] != nil, "\(c.rawValue) is not in /proc/net/{snmp,netstat,sockstat}")
    }

    /// A report keeps the counter's `/proc` name under `name`, as saved reports hold it.
    @Test func aDeltaIsSavedUnderItsProcName() throws {
        let d = KernelContext.CounterDelta(.listenOverflows, before: 3, after: 5)
        let json = String(decoding: try JSONEncoder().encode(d), as: UTF8.self)
        #expect(json.contains(#""name":"TcpExt.ListenOverflows""#), "\(json)")
        let back = try JSONDecoder().decode(KernelContext.CounterDelta.self, from: Data(json.utf8))
        #expect(back == d && back.delta == 2)
    }

    @Test func theRunsCountersAreDeltasOfTwoReadings() {
        let before = NetCounters.read()
        let deltas = KernelContext.deltas(before: before, after: before)
        #expect(deltas.map(\.counter) == KernelContext.runCounters)
        #expect(deltas.allSatisfy { $0.delta == 0 })
    }
}
