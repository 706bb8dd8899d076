/// Which run a report is, once and for all: `merge` refuses the same run twice by its id
/// (a copied folder keeps it), whatever the tags say, and accepts distinct runs whatever
/// their tags. Host, boot, pid and the start's wall clock say where and when it was made.
package struct RunIdentity: Sendable, Codable, Equatable {
    /// 128 random bits, 32 hex digits.
    package var id: String
    package var host: String
    /// The boot it ran in (`/proc/sys/kernel/random/boot_id`).
    package var bootID: String
    package var pid: Int32
    /// Wall clock (ns since the epoch) when its measured clock started.
    package var startEpochNs: UInt64
    /// A merged report: the runs it adds up (the runs themselves, never merges), in order.
    package var parts: [RunIdentity]?

    package init(id: String, host: String, bootID: String, pid: Int32, startEpochNs: UInt64, parts: [RunIdentity]? = nil) {
        self.id = id
        self.host = host
        self.bootID = bootID
        self.pid = pid
        self.startEpochNs = startEpochNs
        self.parts = parts
    }

    /// The runs it stands for: its parts when merged, else itself.
    package var runs: [RunIdentity] { parts ?? [self] }
}
