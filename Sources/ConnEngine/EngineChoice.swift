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

/// Whether io_uring can run this configuration here, asked once before any worker starts:
/// a ring is set up and its opcodes probed, so a kernel that disables io_uring
/// (`kernel.io_uring_disabled`), a seccomp profile that blocks it, an old kernel or a
/// missing opcode is one line up front instead of a failure per attempt.
public enum UringAvailability {
    /// Nil when io_uring can run `config`; else one line saying what is missing.
    public static func problem(for config: RunConfig) -> String? {
        let ring: IoUring
        do {
            ring = try IoUring(entries: 8, completionEntries: 16, fixedFiles: 1)
        } catch {
            var why = "\(error.call) failed: \(error.errno.name)"
            if let d = ProcFiles.readInteger("/proc/sys/kernel/io_uring_disabled"), d != 0 {
                why += " (kernel.io_uring_disabled=\(d))"
            } else if error.errno.rawValue == EPERM {
                why += " (blocked: a seccomp profile or container policy refuses io_uring)"
            } else if error.errno.rawValue == ENOSYS {
                why += " (this kernel, \(KernelInfo.release()), has no io_uring)"
            }
            return "io_uring unavailable: \(why)"
        }
        var needed: [IoUring.Opcode] = [.socket, .connect, .linkTimeout, .close]
        let s = config.strategy
        if config.close == .rst || s.reuseAddress || s.bindAddressNoPort || s.portRange != nil { needed.append(.uringCmd) }
        if !s.sources.isEmpty { needed.append(.bind) }
        for op in needed {
            let has: Bool
            do { has = try ring.supports(op) } catch { return "io_uring unavailable: io_uring_register(probe) failed: \(error.name)" }
            if !has { return "io_uring unavailable: this kernel (\(KernelInfo.release())) lacks \(op)" }
        }
        return nil
    }

    /// The engine a run uses. `.ioUring` on a host without it throws the one line;
    /// `.auto` falls back to epoll and notes why in `engineNote`.
    public static func resolve(_ config: RunConfig) throws(ConfigError) -> RunConfig {
        var c = config
        switch config.engine {
        case .epoll: break
        case .ioUring:
            if let p = problem(for: config) { throw ConfigError("--engine io_uring: \(p)") }
        case .auto:
            if let p = problem(for: config) {
                c.engine = .epoll
                c.engineNote = "auto chose epoll: \(p)"
            } else {
                c.engine = .ioUring
                c.engineNote = "auto chose io_uring"
            }
        }
        return c
    }
}
