import ConnSys

/// The memory and queue figures of a hold at one moment, read by the supervisor (which is
/// in the parts' namespace): sockstat and netstat of that namespace, slabinfo (host-wide),
/// and the resident sets of the part processes (from /proc/PID/status).
package struct HoldSnapshot: Sendable, Codable, Equatable {
    /// TCP sockets in use in the namespace (both ends of every connection, listeners too).
    package var tcpInUse: Int64 = 0
    package var tcpAlloc: Int64 = 0
    package var timeWait: Int64 = 0
    /// sockstat TCP `mem`: pages charged to TCP socket buffers. Host-wide (the kernel keeps
    /// one tcp_memory_allocated), so other TCP traffic on the host shows in it too.
    package var tcpMemPages: Int64 = 0
    /// The connection slab caches; nil when /proc/slabinfo is unreadable.
    package var slabs: [SlabCache]?
    package var generatorRSSKB: UInt64 = 0
    package var listenerRSSKB: UInt64 = 0
    package var listenOverflows: Int64 = 0
    package var listenDrops: Int64 = 0

    package init() {}

    /// Bytes held in the connection slab caches.
    package var slabBytes: Int64? { slabs.map { $0.reduce(0) { $0 + $1.activeBytes } } }

    package func slab(_ name: String) -> SlabCache? { slabs?.first { $0.name == name } }
}
