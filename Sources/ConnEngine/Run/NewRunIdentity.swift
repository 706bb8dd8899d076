import ConnSys
import ConnModel

extension RunIdentity {
    /// A new identity made by this process now: a fresh id, this host, boot and pid.
    package static func new(startEpochNs: UInt64, parts: [RunIdentity]? = nil) -> RunIdentity {
        RunIdentity(id: ProcessIdentity.randomID(), host: ProcessIdentity.hostName(), bootID: ProcessIdentity.bootID(),
                    pid: ProcessIdentity.pid(), startEpochNs: startEpochNs, parts: parts)
    }
}
