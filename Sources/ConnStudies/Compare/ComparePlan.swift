import ConnModel
import ConnEngine
/// What `connbench compare` runs: the settings (the cross product of every varied value),
/// how many measured trials each gets, and the order they run in.
package struct ComparePlan: Sendable {
    /// One varied thing: a sysctl key or a run flag, with the values it takes.
    package struct Axis: Sendable, Equatable {
        package var name: String
        package var values: [String]
        package init(name: String, values: [String]) { self.name = name; self.values = values }
    }

    /// One combination of values, and the run it makes.
    package struct Setting: Sendable {
        /// A, B, C…: the A/A comparison has two settings with the same values.
        package var label: String
        /// (axis name, value) in axis order, e.g. net.ipv4.tcp_tw_reuse=1, close=rst.
        package var values: [RunReport.Setting]
        package var config: RunConfig
        package init(label: String, values: [RunReport.Setting], config: RunConfig) {
            self.label = label; self.values = values; self.config = config
        }
        /// `net.ipv4.tcp_tw_reuse=1 close=rst`; `base` when nothing is varied.
        package var description: String {
            values.isEmpty ? "base" : values.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    package var settings: [Setting]
    package var trials: Int
    package var warmupTrials: Int

    package init(settings: [Setting], trials: Int, warmupTrials: Int) {
        self.settings = settings; self.trials = trials; self.warmupTrials = warmupTrials
    }

    /// One run in the order: which setting, which round (0-based among measured or warm-up
    /// rounds), and whether it is a discarded warm-up.
    package struct Step: Sendable, Equatable {
        package var setting: Int
        package var round: Int
        package var warmup: Bool
    }

    /// Warm-up rounds, then measured rounds, each round every setting once in order:
    /// A B C A B C. Interleaving spreads slow drift (thermal, a neighbour's build, page
    /// cache) over every setting instead of charging it to whichever ran last.
    package var steps: [Step] {
        var out: [Step] = []
        for r in 0..<warmupTrials { for s in settings.indices { out.append(Step(setting: s, round: r, warmup: true)) } }
        for r in 0..<trials { for s in settings.indices { out.append(Step(setting: s, round: r, warmup: false)) } }
        return out
    }

    /// Every combination of the axes' values, the first axis varying slowest, so the
    /// first combination (every axis at its first value) is the baseline.
    package static func crossProduct(_ axes: [Axis]) -> [[RunReport.Setting]] {
        var combos: [[RunReport.Setting]] = [[]]
        for axis in axes {
            combos = combos.flatMap { c in axis.values.map { c + [RunReport.Setting(axis.name, $0)] } }
        }
        return combos
    }

    /// A, B, …, Z, AA, AB, …
    package static func label(_ i: Int) -> String {
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return i < 26 ? String(letters[i]) : label(i / 26 - 1) + String(letters[i % 26])
    }

    /// Splits `V1,V2,…` into values. A comma inside one value is written `\,` (e.g.
    /// ip_local_reserved_ports); spaces stay part of a value (`40000 40999,50000 50999`),
    /// and double quotes a shell let through are dropped. Nil when a value is empty.
    package static func splitValues(_ text: String) -> [String]? {
        var values: [String] = []
        var current = ""
        var escaped = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            switch ch {
            case "\\": escaped = true
            case ",": values.append(current); current = ""
            case "\"": break
            default: current.append(ch)
            }
        }
        if escaped { current.append("\\") }
        values.append(current)
        let trimmed = values.map { $0.trimmingWhitespace() }
        return trimmed.contains(where: \.isEmpty) ? nil : trimmed
    }
}
