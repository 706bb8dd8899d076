@preconcurrency import Glibc
import ConnSys

/// `--engine`: epoll, io_uring, or auto (io_uring where this host allows it, else epoll,
/// and the report says why).
public enum EngineChoice: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case epoll
    case ioUring = "io_uring"
    case auto
    public var description: String { rawValue }
}

/// `--uring-socket`: how the io_uring engine makes each attempt's socket. `ring`: in the
/// chain itself (IORING_OP_SOCKET into a fixed-file slot, options by uring_cmd
/// setsockopt, IORING_OP_BIND); `syscalls`: socket(), setsockopt() and bind() as on
/// epoll, then CONNECT → LINK_TIMEOUT on the descriptor; `auto`: the ring where this
/// kernel can do every step the strategy needs, else syscalls (and the report says why).
package enum UringSocketSetup: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case auto, ring, syscalls
    package var description: String { rawValue }
}

/// `--engine`: which driver runs the attempts.
package enum Engine: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case epoll
    case ioUring = "io_uring"
    package var description: String { rawValue }
}
