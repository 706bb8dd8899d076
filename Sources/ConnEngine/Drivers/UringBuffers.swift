@preconcurrency import Glibc
import ConnSys
import ConnModel

/// Every buffer the kernel reads at submission (addresses, option values, deadlines) and
/// the driver's per-slot and per-completion tables, allocated once so an attempt
/// allocates nothing, and freed together when the driver ends.
struct UringBuffers: ~Copyable {
    /// Targets and sources as sockaddr_storage, with their lengths and domains.
    let targetAddrs: UnsafeMutablePointer<sockaddr_storage>
    let targetLens: [socklen_t]
    let targetDomains: [Int32]
    let sourceAddrs: UnsafeMutablePointer<sockaddr_storage>
    let sourceLens: [socklen_t]
    /// Option values: int 1, linger {1, 0}, the port range.
    let values: UnsafeMutableRawPointer
    /// Completions copied out of the CQ by the driver's poll.
    let cqUserData: UnsafeMutablePointer<UInt64>
    let cqResults: UnsafeMutablePointer<Int32>
    let cqCapacity: Int
    /// The socket of each slot in plain mode (-1: none).
    let plainFds: UnsafeMutablePointer<Int32>
    let slotCount: Int
    /// Tags of the connects submitted without a timer since the timers were last armed.
    let unarmed: UnsafeMutablePointer<UInt64>
    /// Each slot's timer deadline, read by the kernel at submission.
    let deadlines: UnsafeMutablePointer<IoUring.Deadline>
    /// Per slot: its chain closes the socket itself, right after the connect.
    let chainClosed: UnsafeMutablePointer<Bool>

    static let valueOne = 0, valueLinger = 8, valuePortRange = 16

    init(slots capacity: Int, completions cqCapacity: Int, targets: [SocketAddress], sources: [SocketAddress], portRangeValue: UInt32) {
        (targetAddrs, targetLens, targetDomains) = Self.addresses(targets)
        (sourceAddrs, sourceLens, _) = Self.addresses(sources)
        values = .allocate(byteCount: 32, alignment: 8)
        values.storeBytes(of: Int32(1), toByteOffset: Self.valueOne, as: Int32.self)
        values.storeBytes(of: linger(l_onoff: 1, l_linger: 0), toByteOffset: Self.valueLinger, as: linger.self)
        values.storeBytes(of: portRangeValue, toByteOffset: Self.valuePortRange, as: UInt32.self)
        self.cqCapacity = cqCapacity
        cqUserData = .allocate(capacity: cqCapacity)
        cqResults = .allocate(capacity: cqCapacity)
        slotCount = capacity
        let n = Swift.max(1, capacity)
        plainFds = .allocate(capacity: n)
        plainFds.initialize(repeating: -1, count: n)
        chainClosed = .allocate(capacity: n)
        chainClosed.initialize(repeating: false, count: n)
        unarmed = .allocate(capacity: n)
        deadlines = .allocate(capacity: n)
        deadlines.initialize(repeating: IoUring.Deadline(), count: n)
    }

    /// The addresses as sockaddr_storage, one after another, with their lengths and domains.
    static func addresses(_ list: [SocketAddress]) -> (UnsafeMutablePointer<sockaddr_storage>, [socklen_t], [Int32]) {
        let storage = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: Swift.max(1, list.count))
        var lens: [socklen_t] = [], domains: [Int32] = []
        for (k, a) in list.enumerated() {
            lens.append(a.withSockaddr { p, l in
                UnsafeMutableRawPointer(storage + k).copyMemory(from: p, byteCount: Int(l))
                return l
            })
            domains.append(a.domain)
        }
        return (storage, lens, domains)
    }

    deinit {
        targetAddrs.deallocate()
        sourceAddrs.deallocate()
        values.deallocate()
        cqUserData.deallocate()
        cqResults.deallocate()
        plainFds.deallocate()
        unarmed.deallocate()
        deadlines.deallocate()
        chainClosed.deallocate()
    }
}
