import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// Parsers for option values. Each throws a `ValidationError` whose text says what is
/// wrong; ArgumentParser prefixes it with the flag, so every bad value gets one line that
/// names its flag.
enum ParseValue {
    static func rate(_ text: String) throws -> Rate {
        if text.lowercased() == "max" { return .max }
        var number = Substring(text)
        var scale = 1.0
        if let last = text.last?.lowercased(), last == "k" || last == "m" {
            number = number.dropLast()
            scale = last == "k" ? 1e3 : 1e6
        }
        guard let v = Double(number), v.isFinite else { throw ValidationError("must be a number of connects per second, or 'max'") }
        guard v > 0 else { throw ValidationError("must be more than zero") }
        guard v * scale <= 100_000_000 else { throw ValidationError("must be at most 100M per second") }
        return .fixed(perSecond: v * scale)
    }

    static func duration(_ text: String) throws -> UInt64 {
        guard let ns = DurationParser.nanoseconds(text) else {
            throw ValidationError("must be a duration like 10s, 500ms, 2m")
        }
        return ns
    }

    static func positiveDuration(_ text: String) throws -> UInt64 {
        let ns = try duration(text)
        guard ns > 0 else { throw ValidationError("must be more than zero") }
        return ns
    }

    static func sysctl(_ text: String) throws -> SysctlSetting {
        do {
            return try SysctlSetting.parse(text)
        } catch {
            let d = error.description
            throw ValidationError(d.hasPrefix("--sysctl: ") ? String(d.dropFirst(10)) : d)
        }
    }

    /// `--family`: 4 or 6.
    static func family(_ text: String) throws -> Int {
        guard text == "4" || text == "6" else { throw ValidationError("expected 4 or 6 (got '\(text)')") }
        return Int(text)!
    }

    /// One positive whole number, or (for sweep) a list `1,2,4`, a range `1..8` or a
    /// doubling range `1..64/x2`.
    static func loadList(_ text: String, flag: String, max: Int) throws -> [Int] {
        if let single = Int(text) {
            guard single > 0 else { throw ValidationError("must be more than zero") }
            guard single <= max else { throw ValidationError("must be at most \(max)") }
            return [single]
        }
        do { return try SweepRatesParser.loads(text, flag: flag, max: max) } catch {
            throw ValidationError(error.description.hasPrefix(flag + ": ") ? String(error.description.dropFirst(flag.count + 2)) : error.description)
        }
    }

    static func cpus(_ text: String) throws -> [Int] {
        if text.hasPrefix("node:") {
            guard let id = Int(text.dropFirst(5)) else { throw ValidationError("node:N needs a node number, e.g. node:0") }
            let topology = NumaTopology.read()
            guard let cpus = topology?.cpus(ofNode: id), !cpus.isEmpty else {
                let have = topology?.nodes.filter { !$0.cpus.isEmpty }.map { String($0.id) }.joined(separator: ", ") ?? "none"
                throw ValidationError("no NUMA node \(id) with CPUs on this machine (nodes with CPUs: \(have))")
            }
            return cpus
        }
        guard let list = CPUListParser.parse(text) else { throw ValidationError("must be a CPU list like 0,1 or 0-3, or node:N") }
        return list
    }

    /// Parses only; a host name is resolved later, by ``RunOptions/resolveTargets(into:)``.
    static func target(_ text: String) throws -> TargetSpec {
        do { return try TargetParser.parseSpec(text) } catch { throw ValidationError(error.description) }
    }

    /// A numeric IP:PORT (or [IPv6]:PORT), for addresses the run talks to besides its targets.
    static func numericTarget(_ text: String) throws -> SocketAddress {
        do { return try TargetParser.parse(text) } catch { throw ValidationError(error.description) }
    }

    static func address(_ text: String) throws -> SocketAddress {
        guard let a = SocketAddress(ip: text, port: 0) else { throw ValidationError("must be a numeric IPv4 or IPv6 address") }
        return a
    }

    static func sources(_ text: String) throws -> [SocketAddress] {
        do { return try TargetParser.parseSourcePool(text) } catch { throw ValidationError(error.description) }
    }

    static func port(_ text: String) throws -> UInt16 {
        guard let v = Int(text), v >= 1, v <= 65535 else { throw ValidationError("must be 1 to 65535") }
        return UInt16(v)
    }

    static func portRange(_ text: String) throws -> ClosedRange<UInt16> {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let lo = UInt16(ends[0]), let hi = UInt16(ends[1]), lo >= 1, lo <= hi else {
            throw ValidationError("must be LOW-HIGH within 1-65535, LOW <= HIGH")
        }
        return lo...hi
    }

    static func positiveInt(_ text: String, max: Int = 1_000_000) throws -> Int {
        guard let v = Int(text), v >= 1, v <= max else { throw ValidationError("must be a whole number from 1 to \(max)") }
        return v
    }
}

extension CloseMode: ExpressibleByArgument {}
extension EngineChoice: ExpressibleByArgument {}
extension UringSocketSetup: ExpressibleByArgument {}
extension Topology: ExpressibleByArgument {}
extension ResolveMode: ExpressibleByArgument {}
extension ListenerClose: ExpressibleByArgument {}
