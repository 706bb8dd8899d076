@preconcurrency import Glibc
import ConnSys
import ConnModel

/// An attempt's socket made by plain syscalls: socket(), the strategy's options and
/// bind. The epoll engine's way always, and the io_uring engine's where this kernel
/// cannot do those steps through the ring (``UringSocketSetup/syscalls``), so both
/// engines apply a strategy the same way.
struct SocketSetup {
    let reuseAddress: Bool
    let bindAddressNoPort: Bool
    let portRangeValue: UInt32
    let sources: [SocketAddress]
    var nextSource: Int
    let closeWithReset: Bool

    init(config: RunConfig, workerID: Int) {
        let s = config.strategy
        reuseAddress = s.reuseAddress
        bindAddressNoPort = s.bindAddressNoPort
        if let r = s.portRange {
            portRangeValue = UInt32(r.upperBound) << 16 | UInt32(r.lowerBound)
        } else {
            portRangeValue = 0
        }
        sources = s.sources
        nextSource = workerID % Swift.max(1, s.sources.count)
        closeWithReset = config.close == .rst
    }

    /// The next source, round-robin (the io_uring chain binds to it too).
    @inline(__always)
    mutating func takeSourceIndex() -> Int {
        let k = nextSource
        nextSource += 1
        if nextSource == sources.count { nextSource = 0 }
        return k
    }

    /// On failure no descriptor is left open, and the failing call is named.
    @inline(__always)
    mutating func make(domain: Int32) -> Result<FileDescriptor, SiteError> {
        let fd: FileDescriptor
        do { fd = try FileDescriptor.socket(domain: domain) } catch { return .failure(SiteError(site: .socket, errno: error)) }
        do throws(Errno) {
            if reuseAddress { try fd.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1)) }
            if bindAddressNoPort {
                try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.bindAddressNoPort, value: Int32(1))
            }
            if portRangeValue != 0 {
                try fd.setOption(level: Int32(IPPROTO_IP), name: SocketOptionName.localPortRange, value: portRangeValue)
            }
            // SO_LINGER {1, 0} before connect: the close then sends RST whatever the
            // state, and the setsockopt is off the path between connect and close.
            if closeWithReset { try fd.setLingerZero() }
        } catch {
            fd.closeSocket()
            return .failure(SiteError(site: .setsockopt, errno: error))
        }
        if !sources.isEmpty {
            do { try fd.bind(to: sources[takeSourceIndex()]) } catch {
                fd.closeSocket()
                return .failure(SiteError(site: .bind, errno: error))
            }
        }
        return .success(fd)
    }
}
