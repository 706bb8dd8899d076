#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@preconcurrency import Glibc
import ConnEngine
import ConnSys
import ConnModel

/// `run --listener-stats HOST:PORT`: reads a remote `listen --stats-port` before and after
/// the run and renders what changed, so the report shows both ends of the connections —
/// connects the generator counted against accepts and listen-queue drops the listener
/// counted.
package enum ListenerStatsClient {
    /// One report, or a sentence saying why not. Blocking, with 2 s receive and send
    /// timeouts: it runs outside the measured time.
    static func fetch(_ address: SocketAddress) -> Result<ListenerSideReport, CLIFailure> {
        do throws(Errno) {
            let fd = try FileDescriptor.socket(domain: address.domain, nonblocking: false)
            defer { fd.closeSocket() }
            let limit = timeval(tv_sec: 2, tv_usec: 0)
            try fd.setOption(level: SOL_SOCKET, name: SO_RCVTIMEO, value: limit)
            try fd.setOption(level: SOL_SOCKET, name: SO_SNDTIMEO, value: limit)
            _ = try fd.connect(to: address)
            var data: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
            defer { buffer.deallocate() }
            while true {
                let n = try fd.readDiscarding(buffer)
                if n == 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            guard let report = decode(data) else {
                return .failure(CLIFailure("--listener-stats \(address): not a listener side report (\(data.count) bytes)"))
            }
            return .success(report)
        } catch {
            return .failure(CLIFailure("--listener-stats \(address): \(error.name) (\(error))"))
        }
    }

    /// What a listener's stats port sent; nil when it is not a report.
    package static func decode(_ bytes: [UInt8]) -> ListenerSideReport? {
        try? JSONDecoder().decode(ListenerSideReport.self, from: Data(bytes))
    }

    /// The "listener side" section: counts and counters as deltas over the run; the held
    /// figures and TIME_WAIT as they are at the end (a peak does not subtract).
    package static func render(before: ListenerSideReport, after: ListenerSideReport, from address: SocketAddress) -> String {
        var out = "listener side (from \(address): \(after.address), mode \(after.mode.rawValue)):\n"
        out += "  during the run: accepted \(after.accepted &- before.accepted), closed \(after.closed &- before.closed)"
        out += ", closed over the hold limit \(after.closedOverHoldLimit &- before.closedOverHoldLimit)\n"
        out += "  at the end: held \(after.heldNow), held peak \(after.heldPeak) (over the listener's life)"
        out += ", TIME_WAIT on the listener's side \(after.timeWaitListenerSide.map(String.init) ?? "n/a")\n"
        let deltas = after.counters.map { c in
            let b = before.counters.first { $0.counter == c.counter }?.after ?? c.before
            return "\(c.name) \(c.after &- b)"
        }
        if !deltas.isEmpty { out += "  counters during the run (listener's namespace): " + deltas.joined(separator: ", ") + "\n" }
        return out
    }
}
