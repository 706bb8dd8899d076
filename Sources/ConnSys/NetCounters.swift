@preconcurrency import Glibc

/// The kernel's own counts of what happened to connections: `/proc/net/netstat` (TcpExt,
/// IpExt), `/proc/net/snmp` (Tcp) and `/proc/net/sockstat`.
///
/// Read through /proc/thread-self/net, not /proc/net: /proc/net is /proc/self/net, the
/// namespace of the process's main thread, while a run isolated with `--netns` lives in
/// a namespace only its own threads entered.
public enum NetCounters {
    /// `Section.Name` → value, e.g. `TcpExt.ListenOverflows`.
    public static func read() -> [String: Int64] {
        var out: [String: Int64] = [:]
        for file in ["netstat", "snmp"] {
            guard let text = ProcFiles.read("/proc/thread-self/net/\(file)") else { continue }
            parseHeaderValuePairs(text, into: &out)
        }
        if let text = ProcFiles.read("/proc/thread-self/net/sockstat") {
            for (k, v) in Sockstat.parseAll(text) { out["sockstat.\(k)"] = v }
        }
        return out
    }

    /// netstat and snmp come as pairs of lines: `TcpExt: A B C` then `TcpExt: 1 2 3`.
    public static func parseHeaderValuePairs(_ text: String, into out: inout [String: Int64]) {
        let lines = text.split(separator: "\n")
        var i = 0
        while i + 1 < lines.count {
            let names = lines[i].split(separator: " ")
            let values = lines[i + 1].split(separator: " ")
            if names.count == values.count, names.count > 1, names[0] == values[0], Int64(values[1]) != nil {
                let section = names[0].dropLast()
                for j in 1..<names.count {
                    if let v = Int64(values[j]) { out["\(section).\(names[j])"] = v }
                }
                i += 2
            } else {
                i += 1
            }
        }
    }
}

/// `/proc/net/sockstat`'s TCP line: sockets in use, orphaned, in TIME_WAIT, allocated.
public struct Sockstat: Sendable, Equatable, Codable {
    public var inUse: Int64 = 0
    public var orphan: Int64 = 0
    public var timeWait: Int64 = 0
    public var alloc: Int64 = 0

    public init(inUse: Int64 = 0, orphan: Int64 = 0, timeWait: Int64 = 0, alloc: Int64 = 0) {
        self.inUse = inUse; self.orphan = orphan; self.timeWait = timeWait; self.alloc = alloc
    }

    /// Every `PROTO: key value …` pair as `PROTO.key`.
    public static func parseAll(_ text: String) -> [(String, Int64)] {
        var out: [(String, Int64)] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, parts[0].hasSuffix(":") else { continue }
            let proto = parts[0].dropLast()
            var j = 1
            while j + 1 < parts.count {
                if let v = Int64(parts[j + 1]) { out.append(("\(proto).\(parts[j])", v)) }
                j += 2
            }
        }
        return out
    }

    public static func parseTCP(_ text: String) -> Sockstat? {
        var s = Sockstat()
        var found = false
        for (k, v) in parseAll(text) {
            switch k {
            case "TCP.inuse": s.inUse = v; found = true
            case "TCP.orphan": s.orphan = v
            case "TCP.tw": s.timeWait = v
            case "TCP.alloc": s.alloc = v
            default: break
            }
        }
        return found ? s : nil
    }
}

/// Samples sockstat many times a second during a run at a few microseconds each: the
/// file stays open and is re-read with pread at offset 0 (seq_file regenerates it), into
/// a buffer allocated once. Cheaper than a sock_diag dump, whose cost grows with the
/// number of sockets — tens of thousands in TIME_WAIT at exhaustion — while sockstat's
/// counters are per-namespace totals read in constant time.
public final class SockstatSampler {
    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 4096
    private static let tcpTag: [UInt8] = Array("TCP:".utf8)

    /// Opens the sockstat of the calling thread's namespace.
    public init() throws(Errno) {
        fd = try syscall { open("/proc/thread-self/net/sockstat", O_RDONLY | O_CLOEXEC) }
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// TCP counts now; nil if the read failed.
    public func sample() -> Sockstat? {
        guard let n = try? syscallRetryingEINTR({ pread(fd, buffer, capacity, 0) }), n > 0 else { return nil }
        // Parse "TCP: inuse N orphan N tw N alloc N" without building strings.
        var s = Sockstat()
        var i = 0
        let tcp = Self.tcpTag
        func matches(_ at: Int, _ word: [UInt8]) -> Bool {
            guard at + word.count <= n else { return false }
            for k in 0..<word.count where buffer[at + k] != word[k] { return false }
            return true
        }
        while i < n && !matches(i, tcp) {
            while i < n && buffer[i] != 10 { i += 1 }
            i += 1
        }
        guard i < n else { return nil }
        i += 4
        while i < n && buffer[i] != 10 {
            while i < n && buffer[i] == 32 { i += 1 }
            let keyStart = i
            while i < n && buffer[i] != 32 && buffer[i] != 10 { i += 1 }
            let keyLen = i - keyStart
            while i < n && buffer[i] == 32 { i += 1 }
            var v: Int64 = 0
            while i < n && buffer[i] >= 48 && buffer[i] <= 57 { v = v * 10 + Int64(buffer[i] - 48); i += 1 }
            let first = buffer[keyStart]
            switch (first, keyLen) {
            case (105, 5): s.inUse = v      // inuse
            case (111, 6): s.orphan = v     // orphan
            case (116, 2): s.timeWait = v   // tw
            case (97, 5): s.alloc = v       // alloc
            default: break
            }
        }
        return s
    }
}
