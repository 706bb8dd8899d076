import ArgumentParser
import ConnEngine
import ConnSys
import ConnModel

/// The run flags `compare --vary FLAG=V1,V2` can vary: each maps one value onto a copy of
/// the base ``RunOptions`` through the same parser `run` uses for that flag, so a value
/// means exactly what it means on `run`'s command line.
enum CompareVary {
    typealias Apply = @Sendable (inout RunOptions, String) throws -> Void

    static let flags: [(name: String, apply: Apply)] = [
        ("close", { o, v in o.load.close = try enumValue(v, CloseMode.self) }),
        ("engine", { o, v in o.load.engine = try enumValue(v, EngineChoice.self) }),
        ("bind-no-port", { o, v in o.targets.bindNoPort = try bool(v) }),
        ("reuseaddr", { o, v in o.targets.reuseaddr = try bool(v) }),
        ("concurrency", { o, v in o.load.concurrency = [try ParseValue.positiveInt(v)] }),
        ("workers", { o, v in o.load.workers = [try ParseValue.positiveInt(v, max: 1024)] }),
        ("rate", { o, v in o.load.rate = try ParseValue.rate(v) }),
        ("duration", { o, v in o.load.duration = try ParseValue.positiveDuration(v) }),
        ("warmup", { o, v in o.load.warmup = try ParseValue.duration(v) }),
        ("timeout", { o, v in o.load.timeout = try ParseValue.positiveDuration(v) }),
        ("listener-mode", { o, v in o.listener.listenerMode = try enumValue(v, ListenerMode.self); o.listener.listenerClose = nil }),
        ("listener-threads", { o, v in o.listener.listenerThreads = try ParseValue.positiveInt(v, max: 1024) }),
        ("listener-cpus", { o, v in o.listener.listenerCPUs = try ParseValue.cpus(v) }),
        ("listener-address", { o, v in o.listener.listenerAddress = try ParseValue.address(v) }),
        ("spin", { o, v in o.load.spin = try ParseValue.duration(v) }),
        ("port-range", { o, v in o.targets.portRange = try ParseValue.portRange(v) }),
        ("cpus", { o, v in o.load.cpus = try ParseValue.cpus(v) }),
        ("bind", { o, v in o.targets.bind = try ParseValue.address(v); o.targets.source = nil }),
        ("source", { o, v in o.targets.source = try ParseValue.sources(v); o.targets.bind = nil }),
        ("uring-socket", { o, v in o.load.uringSocket = try enumValue(v, UringSocketSetup.self) }),
    ]

    static var names: String { flags.map(\.name).joined(separator: ", ") }

    static func apply(_ name: String) -> Apply? { flags.first { $0.name == name }?.apply }

    /// on/off, true/false, yes/no, 1/0: a flag has no value on `run`'s command line.
    static func bool(_ v: String) throws -> Bool {
        switch v.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw ValidationError("must be on or off (true/false, yes/no, 1/0)")
        }
    }

    static func enumValue<E: ExpressibleByArgument & CaseIterable & RawRepresentable>(_ v: String, _: E.Type) throws -> E where E.RawValue == String {
        guard let e = E(argument: v) else {
            throw ValidationError("must be one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return e
    }
}
