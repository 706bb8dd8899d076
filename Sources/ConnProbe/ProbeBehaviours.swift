@preconcurrency import Glibc
import ConnSys

/// The two behaviours the reference page describes besides its errors.
package struct ProbeBehaviourResult: Sendable {
    package let id: String
    package let summary: String
    /// Whether Linux behaved as the reference page says.
    package let holds: Bool
    package let detail: String
}

package enum ProbeBehaviours {
    package static let ids = ["auto-bind", "self-connect"]

    package static func runAll() -> [ProbeBehaviourResult] {
        [autoBind(), selfConnect()]
    }

    /// connect on an unbound socket, and on one bound to a port but no address (0.0.0.0:P):
    /// getsockname shows the address and port the kernel chose.
    package static func autoBind() -> ProbeBehaviourResult {
        let summary = "connect on an unbound and on a partially bound (0.0.0.0:port) TCP socket binds it automatically"
        let slot = JoinedResult<(Bool, String)>()
        let observation = ProbeIsolation.inFreshNetworkNamespace { () throws(ProbeSetupFailure) -> ProbeObservation in
            let target = try ProbeSockets.ip("127.0.0.1", ScenariosTCP.listenPort)
            let listener = try ProbeSockets.tcpListener(target, backlog: 16)
            defer { listener.closeSocket() }

            let unbound = try ProbeSockets.socket(AF_INET)
            defer { unbound.closeSocket() }
            let before = try setup("getsockname") { () throws(Errno) in try unbound.localAddress() }
            _ = try setup("connect") { () throws(Errno) in try ProbeSockets.connect(unbound, target) }
            let after = try setup("getsockname") { () throws(Errno) in try unbound.localAddress() }

            let partial = try ProbeSockets.socket(AF_INET)
            defer { partial.closeSocket() }
            let any = try ProbeSockets.ip("0.0.0.0", 0)
            try setup("bind 0.0.0.0:0") { () throws(Errno) in try partial.bind(to: any) }
            let bound = try setup("getsockname") { () throws(Errno) in try partial.localAddress() }
            _ = try setup("connect") { () throws(Errno) in try ProbeSockets.connect(partial, target) }
            let completed = try setup("getsockname") { () throws(Errno) in try partial.localAddress() }

            let holds = before.port == 0 && after.host == "127.0.0.1" && after.port != 0
                && bound.host == "0.0.0.0" && completed.host == "127.0.0.1" && completed.port == bound.port
            slot.value = (holds, "unbound: getsockname \(before) before connect, \(after) after; partially bound: \(bound) after bind, \(completed) after connect")
            return ProbeObservation(.succeeded(call: "connect"))
        }
        if case .setupFailed(let e, let step) = observation.outcome {
            return ProbeBehaviourResult(id: "auto-bind", summary: summary, holds: false, detail: "\(step) failed: \(e.name)")
        }
        let (holds, detail) = slot.value ?? (false, "no result")
        return ProbeBehaviourResult(id: "auto-bind", summary: summary, holds: holds, detail: detail)
    }

    /// bind 127.0.0.1:P, connect to 127.0.0.1:P: TCP simultaneous open with itself.
    package static func selfConnect() -> ProbeBehaviourResult {
        let summary = "a TCP socket bound to 127.0.0.1:P and connected to 127.0.0.1:P connects to itself (simultaneous open)"
        let slot = JoinedResult<(Bool, String)>()
        let observation = ProbeIsolation.inFreshNetworkNamespace { () throws(ProbeSetupFailure) -> ProbeObservation in
            let fd = try ProbeSockets.socket(AF_INET)
            defer { fd.closeSocket() }
            let any = try ProbeSockets.ip("127.0.0.1", 0)
            try setup("bind 127.0.0.1:0") { () throws(Errno) in try fd.bind(to: any) }
            let local = try setup("getsockname") { () throws(Errno) in try fd.localAddress() }
            let outcome = observe("connect") { () throws(Errno) in try ProbeSockets.connect(fd, local) }
            guard case .succeeded = outcome else {
                slot.value = (false, "connect to its own address \(local) gave \(outcome.observedText)")
                return ProbeObservation(outcome)
            }
            let peer = try setup("getpeername") { () throws(Errno) in try fd.peerAddress() }
            let sockName = try setup("getsockname") { () throws(Errno) in try fd.localAddress() }
            // Data written comes back on the same socket.
            var echoed = false
            var byte: UInt8 = 0x2A
            if (try? syscall { write(fd.rawValue, &byte, 1) }) == 1 {
                var back: UInt8 = 0
                echoed = (try? syscall { read(fd.rawValue, &back, 1) }) == 1 && back == byte
            }
            slot.value = (peer == sockName && echoed, "bound \(local); connect succeeded; getsockname \(sockName), getpeername \(peer); a byte written was read back from the same socket: \(echoed ? "yes" : "no")")
            return ProbeObservation(outcome)
        }
        if case .setupFailed(let e, let step) = observation.outcome {
            return ProbeBehaviourResult(id: "self-connect", summary: summary, holds: false, detail: "\(step) failed: \(e.name)")
        }
        let (holds, detail) = slot.value ?? (false, "no result")
        return ProbeBehaviourResult(id: "self-connect", summary: summary, holds: holds, detail: detail)
    }
}
