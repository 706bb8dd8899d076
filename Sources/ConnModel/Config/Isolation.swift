import ConnSys

/// One `--sysctl KEY=VALUE`.
public struct SysctlSetting: Sendable, Codable, Equatable, CustomStringConvertible {
    package var key: String
    package var value: String

    package init(key: String, value: String) { self.key = key; self.value = value }

    /// Only `net.*` keys: the network tunables are the ones a fresh network namespace gets
    /// its own copy of. Linux registers the global ones (net.core.rmem_max, tcp_mem, …)
    /// in the initial namespace only, so inside a fresh namespace they do not exist and
    /// the write fails instead of reaching the host.
    package static func parse(_ text: String) throws(ConfigError) -> SysctlSetting {
        guard let eq = text.firstIndex(of: "=") else {
            throw ConfigError("--sysctl: expected KEY=VALUE, e.g. net.ipv4.tcp_tw_reuse=0 (got '\(text)')")
        }
        let key = String(text[..<eq]).trimmingWhitespace().replacingSlashes()
        var value = String(text[text.index(after: eq)...]).trimmingWhitespace()
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
        let allowed = key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-" }
        guard key.hasPrefix("net."), allowed, !key.contains(".."), !key.hasSuffix(".") else {
            throw ConfigError("--sysctl: '\(key)' is not a network tunable (net.*); only those are set, and only inside the run's own namespace")
        }
        guard !value.isEmpty, !value.contains("\n") else { throw ConfigError("--sysctl: \(key) needs a value") }
        return SysctlSetting(key: key, value: value)
    }

    public var description: String { "\(key)=\(value)" }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}

/// Whether a run gets its own network namespace, and what is set inside it.
package struct Isolation: Sendable, Codable, Equatable {
    package var netns = false
    package var sysctls: [SysctlSetting] = []
    package init(netns: Bool = false, sysctls: [SysctlSetting] = []) { self.netns = netns; self.sysctls = sysctls }
}
