@preconcurrency import Glibc
@_exported import SystemPackage

/// The one door every system call in connbench goes through.
///
/// `errno` is read immediately after the call, before anything else can run and overwrite
/// it, and comes back as swift-system's typed `Errno` — never a bare `Int32`. Typed throws
/// keep the failure path free of existential boxing, so the per-connect path pays nothing
/// for the types. `EINTR` is returned, not retried: a benchmark wants to see it (the probe
/// provokes it on purpose); callers that want a retry use ``syscallRetryingEINTR(_:)``.
@inlinable @inline(__always)
public func syscall<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    try syscallOutcome(body).get()
}

/// The same door for calls whose "failure" is a normal answer — a nonblocking connect's
/// EINPROGRESS comes back on nearly every attempt, and a throw (and catch) per attempt
/// would cost more than the value it carries.
@inlinable @inline(__always)
public func syscallOutcome<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    let result = body()
    if result == -1 { return .failure(Errno(rawValue: Glibc.errno)) }
    return .success(result)
}

/// For calls that may block in a housekeeping path (reads of /proc, waits on threads),
/// where an interrupting signal is not a result but noise.
@inlinable
public func syscallRetryingEINTR<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        do {
            return try syscall(body)
        } catch where error == .interrupted {
            continue
        }
    }
}

/// Which call of an attempt produced an errno. An exhaustion study must tell `bind`'s
/// EADDRINUSE from `connect`'s EADDRNOTAVAIL, so the call is part of every error count.
public enum SyscallSite: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case socket = 0
    case setsockopt = 1
    case bind = 2
    case connect = 3
    /// The asynchronous result of a nonblocking connect, read with `getsockopt(SO_ERROR)`.
    case soError = 4
    /// connbench's own per-connect timer fired before the handshake finished.
    case timeout = 5

    public var description: String {
        switch self {
        case .socket: "socket"
        case .setsockopt: "setsockopt"
        case .bind: "bind"
        case .connect: "connect"
        case .soError: "SO_ERROR"
        case .timeout: "timeout"
        }
    }

    public init?(name: String) {
        guard let site = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = site
    }

    /// Saved by name ("connect"), so a saved report reads as the text does; a number (what
    /// reports saved before held) still reads back.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let name = try? c.decode(String.self), let site = SyscallSite(name: name) {
            self = site
        } else if let raw = try? c.decode(UInt8.self), let site = SyscallSite(rawValue: raw) {
            self = site
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a syscall site")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
