@preconcurrency import Glibc
import ConnSys
import ConnModel

/// Where the built-in listener binds when asked for port 0.
///
/// The kernel's own choice for port 0 comes from the ephemeral range — the very ports the
/// generator's connects draw from. A client could then be handed the listener's port as its
/// source, and the range would be one port short. A port outside the range rules both out,
/// so the generator needs no self-connect check against its own listener.
enum ListenerPort {
    /// Candidate ports outside `range`: first those below it, walking down from `low - 1`
    /// (never below 1024), starting `offset` ports lower so that parallel processes spread
    /// out instead of racing for the same port; then those above `high`.
    static func candidates(outside range: EphemeralPorts, offset: Int) -> [UInt16] {
        var out: [UInt16] = []
        let belowTop = Int(range.low) - 1
        if belowTop >= 1024 {
            let n = belowTop - 1024 + 1
            let start = offset % n
            for i in 0..<n { out.append(UInt16(belowTop - (start + i) % n)) }
        }
        let aboveLow = Int(range.high) + 1
        if aboveLow <= 65535 {
            let n = 65535 - aboveLow + 1
            let start = offset % n
            for i in 0..<n { out.append(UInt16(aboveLow + (start + i) % n)) }
        }
        return out
    }

    /// Binds and listens on the first free candidate. The first socket has SO_REUSEADDR but
    /// not yet SO_REUSEPORT, so it cannot join another process's reuseport group on a port
    /// already in use; SO_REUSEPORT comes after bind, so the listener's other sockets can join.
    /// Two unlistened SO_REUSEADDR sockets may share a port, so a lost race shows up at
    /// listen() as EADDRINUSE and moves on too. Nil when every candidate is taken.
    static func bindOutside(_ range: EphemeralPorts, address: SocketAddress, backlog: Int32) throws(Errno) -> FileDescriptor? {
        var candidate = address
        for port in candidates(outside: range, offset: Int(getpid())) {
            candidate.port = port
            let fd = try FileDescriptor.socket(domain: address.domain)
            do throws(Errno) {
                try fd.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: Int32(1))
                try fd.bind(to: candidate)
                try fd.setOption(level: SOL_SOCKET, name: SO_REUSEPORT, value: Int32(1))
                try fd.listen(backlog: backlog)
                return fd
            } catch {
                fd.closeSocket()
                if error != .addressInUse { throw error }
            }
        }
        return nil
    }
}
