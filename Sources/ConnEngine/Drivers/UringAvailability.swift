@preconcurrency import Glibc
import ConnSys
import ConnModel

/// Whether io_uring can run this configuration here, asked once before any worker starts:
/// a ring is set up and its opcodes probed, so a kernel that disables io_uring
/// (`kernel.io_uring_disabled`), a seccomp profile that blocks it, an old kernel or a
/// missing opcode is one line up front instead of a failure per attempt.
package enum UringAvailability {
    /// What this kernel's io_uring can do for `config`: `problem` when it cannot run it
    /// at all (no ring, or no CONNECT, LINK_TIMEOUT or CLOSE); `ringSetupMissing` when it
    /// can, but not make the socket, set its options or bind it in the chain.
    package static func probe(_ config: RunConfig) -> (problem: String?, ringSetupMissing: String?) {
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
            return ("io_uring unavailable: \(why)", nil)
        }
        func lacks(_ ops: [IoUring.Opcode]) throws(Errno) -> String? {
            for op in ops where try !ring.supports(op) { return "this kernel (\(KernelInfo.release())) lacks \(op)" }
            return nil
        }
        let s = config.strategy
        let options = config.close == .rst || s.reuseAddress || s.bindAddressNoPort || s.portRange != nil
        do throws(Errno) {
            if let missing = try lacks([.connect, .linkTimeout, .close]) { return ("io_uring unavailable: \(missing)", nil) }
            var setupOps: [IoUring.Opcode] = [.socket]
            if options { setupOps.append(.uringCmd) }
            if !s.sources.isEmpty { setupOps.append(.bind) }
            if let missing = try lacks(setupOps) { return (nil, missing) }
        } catch {
            return ("io_uring unavailable: io_uring_register(probe) failed: \(error.name)", nil)
        }
        // IORING_OP_URING_CMD is older (5.19) than the socket's SETSOCKOPT command (6.7):
        // only trying one tells.
        if options, let e = setsockoptByCommandFails(ring) {
            return (nil, "this kernel (\(KernelInfo.release())) refuses SOCKET_URING_OP_SETSOCKOPT (\(e.name))")
        }
        return (nil, nil)
    }

    /// Sets SO_REUSEADDR by uring_cmd on a fresh fixed-file socket: nil when it works,
    /// else the errno it answered.
    static func setsockoptByCommandFails(_ ring: borrowing IoUring) -> Errno? {
        let value = UnsafeMutableRawPointer.allocate(byteCount: 4, alignment: 4)
        defer { value.deallocate() }
        value.storeBytes(of: Int32(1), as: Int32.self)
        do throws(Errno) {
            try ring.socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue), slot: 0, userData: 1, flags: .link)
            // Linked all through: an unlinked close would run before the chain's later
            // steps (they go as task work) and find the slot empty. Hard, so it runs
            // even when the setsockopt fails.
            try ring.setOption(slot: 0, level: SOL_SOCKET, name: SO_REUSEADDR, value: value, length: 4, userData: 2, flags: .hardLink)
            try ring.close(slot: 0, userData: 3, flags: [])
            _ = try ring.enter(waitFor: 3, timeoutNs: 1_000_000_000)
        } catch {
            return error
        }
        var userData = [UInt64](repeating: 0, count: 8)
        var results = [Int32](repeating: 0, count: 8)
        let n = userData.withUnsafeMutableBufferPointer { u in
            results.withUnsafeMutableBufferPointer { r in ring.reap(userData: u.baseAddress!, results: r.baseAddress!, max: 8) }
        }
        for k in 0..<n where userData[k] == 2 {
            return results[k] < 0 ? Errno(rawValue: -results[k]) : nil
        }
        return Errno(rawValue: ETIME)
    }

    /// The engine a run uses. `.ioUring` on a host without it throws the one line;
    /// `.auto` falls back to epoll and notes why in `engineNote`.
    package static func resolve(_ config: RunConfig) throws(ConfigError) -> RunConfig {
        var c = config
        switch config.engine {
        case .epoll:
            c.uringSocket = nil
            return c
        case .ioUring:
            let (p, missing) = probe(config)
            if let p { throw ConfigError("--engine io_uring: \(p)") }
            try chooseSocketSetup(&c, missing: missing)
        case .auto:
            let (p, missing) = probe(config)
            if let p {
                c.engine = .epoll
                c.uringSocket = nil
                c.engineNote = "auto chose epoll: \(p)"
            } else {
                c.engine = .ioUring
                c.engineNote = "auto chose io_uring"
                try chooseSocketSetup(&c, missing: missing)
            }
        }
        return c
    }

    /// `--uring-socket`: the ring where it can do every step, else syscalls (noted);
    /// `ring` on a kernel that cannot is the one line.
    /// A kept-open run (``KeepOpen``) makes its sockets by syscalls: a kept connection
    /// needs a descriptor of its own, and a fixed-file slot is reused by the next attempt.
    static func chooseSocketSetup(_ c: inout RunConfig, missing: String?) throws(ConfigError) {
        if c.keepOpen != nil {
            if c.uringSocket == .ring { throw ConfigError("--uring-socket ring: a kept-open run needs a descriptor per connection") }
            c.uringSocket = .syscalls
            return
        }
        switch c.uringSocket ?? .auto {
        case .syscalls:
            c.uringSocket = .syscalls
        case .ring:
            if let missing { throw ConfigError("--uring-socket ring: \(missing)") }
            c.uringSocket = .ring
        case .auto:
            c.uringSocket = missing == nil ? .ring : .syscalls
            if let missing {
                let note = "socket, options and bind by syscalls: \(missing)"
                c.engineNote = c.engineNote.isEmpty ? note : c.engineNote + "; " + note
            }
        }
    }
}
