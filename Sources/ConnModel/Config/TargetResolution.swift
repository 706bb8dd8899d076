import ConnSys

/// A `--target` as typed, before any name is resolved.
package enum TargetSpec: Sendable, Equatable {
    case address(SocketAddress)
    /// `text` is the value as typed, for the report's `target` setting.
    case name(host: String, port: UInt16, text: String)

    /// The value as typed (an address prints back the way it parses).
    package var text: String {
        switch self {
        case .address(let a): a.description
        case .name(_, _, let text): text
        }
    }
}

/// `--resolve`: which of a name's addresses become targets.
package enum ResolveMode: String, Sendable, Codable, Equatable, CaseIterable {
    /// The first address getaddrinfo returns: what a client connecting to the name
    /// would try first.
    case first
    /// Every address, each a target of the round-robin.
    case all
}

/// A name the run resolved, and what it resolved to — printed in every report, because
/// the same name may mean other addresses on another day or host.
package struct ResolvedName: Sendable, Codable, Equatable {
    package var name: String
    package var port: UInt16
    /// Every address the resolver returned, in its order, with `port`; `--resolve first`
    /// connects to the first only.
    package var addresses: [SocketAddress]

    package init(name: String, port: UInt16, addresses: [SocketAddress]) {
        self.name = name
        self.port = port
        self.addresses = addresses
    }

    /// `example:80=10.1.2.3|[fd00::3]`, the CSV form.
    package var csvText: String {
        "\(name):\(port)=" + addresses.map(\.bracketedHost).joined(separator: "|")
    }

    /// `example:80 -> 10.1.2.3, [fd00::3]`, the text report's form.
    package var lineText: String {
        "\(name):\(port) -> " + addresses.map(\.bracketedHost).joined(separator: ", ")
    }
}

extension SocketAddress {
    /// The host alone, IPv6 in brackets so it reads apart from a port.
    var bracketedHost: String { family == .inet6 ? "[\(host)]" : host }
}

/// Turns typed targets into the addresses a run connects to.
///
/// Once, before any worker starts, and never per connect: a generator that resolves per
/// attempt measures DNS, not connect().
package enum TargetResolution {
    package typealias Resolver = (_ host: String, _ port: UInt16) throws(NameResolver.Failure) -> [SocketAddress]

    /// Addresses pass through untouched (the resolver is not called for them); each name
    /// is resolved once, even if typed twice. Targets keep the order typed.
    package static func resolve(_ specs: [TargetSpec], mode: ResolveMode,
                               resolver: Resolver = NameResolver.resolve) throws(TargetParser.Failure)
        -> (targets: [SocketAddress], names: [ResolvedName]) {
        var targets: [SocketAddress] = []
        var names: [ResolvedName] = []
        for spec in specs {
            switch spec {
            case .address(let a):
                targets.append(a)
            case .name(let host, let port, let text):
                let resolved: ResolvedName
                if let seen = names.first(where: { $0.name == host && $0.port == port }) {
                    resolved = seen
                } else {
                    do {
                        resolved = ResolvedName(name: host, port: port, addresses: try resolver(host, port))
                    } catch {
                        throw TargetParser.Failure(description: "--target '\(text)': name does not resolve (\(error.description))")
                    }
                    guard !resolved.addresses.isEmpty else {
                        throw TargetParser.Failure(description: "--target '\(text)': name does not resolve (no addresses)")
                    }
                    names.append(resolved)
                }
                targets += mode == .first ? [resolved.addresses[0]] : resolved.addresses
            }
        }
        return (targets, names)
    }
}
