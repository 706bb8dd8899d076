@preconcurrency import Glibc
import SystemPackage

/// Small reads and writes of /proc and /sys files (sysctls, netstat counters).
///
/// /proc/sys/net and /proc/thread-self/net answer for the network namespace of the thread
/// that opens them, which is how connbench reads and sets tunables inside its own
/// namespace without touching the host's.
public enum ProcFiles {
    public static func read(_ path: String) -> String? {
        guard let fd = try? FileDescriptor.open(path, .readOnly, options: .closeOnExec) else { return nil }
        defer { try? fd.close() }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func readInteger(_ path: String) -> Int? {
        read(path).flatMap(integer)
    }

    /// A sysctl's one whole number, as the kernel writes it (one line).
    package static func integer(_ text: String) -> Int? {
        Int(text.trimmingWhitespace())
    }

    /// Writes a whole value; the kernel parses it as one write.
    public static func write(_ path: String, _ value: String) throws(Errno) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .writeOnly, options: .closeOnExec)
        } catch let e as Errno {
            throw e
        } catch {
            throw Errno.ioError
        }
        defer { try? fd.close() }
        let bytes = Array((value + "\n").utf8)
        do {
            _ = try bytes.withUnsafeBytes { try fd.write($0) }
        } catch let e as Errno {
            throw e
        } catch {
            throw Errno.ioError
        }
    }

    /// The path under /proc/sys of a dotted sysctl key (`net.ipv4.tcp_tw_reuse`).
    public static func sysctlPath(_ key: String) -> String {
        "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
    }
}

extension String {
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
