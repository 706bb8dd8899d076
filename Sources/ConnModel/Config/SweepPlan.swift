/// What `connbench sweep` steps over: open-loop rates (a list, a range, or a search), or
/// closed-loop load (concurrency per worker, or workers) for a scalability fit.
package enum SweepAxis: Sendable, Equatable, Codable {
    case rates([Double])
    case autoRates(RateSearch.Settings)
    case concurrency([Int])
    case workers([Int])

    package var isLoad: Bool {
        switch self {
        case .concurrency, .workers: true
        case .rates, .autoRates: false
        }
    }
}

/// The `--rates` grammar: `5k..50k/5k` (from, to, step), `5k,10k,20k`, or `auto`
/// (`auto:2%` for the bisection's resolution).
package enum SweepRatesParser {
    package static func parse(_ text: String) throws(ConfigError) -> SweepAxis {
        let t = text.trimmingWhitespace().lowercased()
        if t == "auto" || t.hasPrefix("auto:") {
            var s = RateSearch.Settings()
            if t.hasPrefix("auto:") {
                let r = String(t.dropFirst(5))
                guard r.hasSuffix("%"), let v = Double(r.dropLast()), v > 0, v < 100 else {
                    throw ConfigError("--rates: auto:N% takes the bisection's resolution, e.g. auto:2% (got '\(text)')")
                }
                s.resolution = v / 100
            }
            return .autoRates(s)
        }
        if let (fromPart, restPart) = splitAtDots(t) {
            let from = fromPart
            let rest = Substring(restPart)
            guard let slash = rest.firstIndex(of: "/") else {
                throw ConfigError("--rates: a range needs a step: FROM..TO/STEP, e.g. 5k..50k/5k (got '\(text)')")
            }
            let a = try rate(from, text), b = try rate(String(rest[..<slash]), text), step = try rate(String(rest[rest.index(after: slash)...]), text)
            guard a <= b else { throw ConfigError("--rates: \(from) is above \(rest[..<slash]) (got '\(text)')") }
            let count = Int(((b - a) / step).rounded(.down)) + 1
            guard count <= 200 else { throw ConfigError("--rates: \(count) steps; at most 200 (got '\(text)')") }
            return .rates((0..<count).map { a + Double($0) * step })
        }
        let items = t.split(separator: ",").map(String.init)
        guard !items.isEmpty else { throw ConfigError("--rates: give a list (5k,10k), a range (5k..50k/5k) or auto") }
        guard items.count <= 200 else { throw ConfigError("--rates: \(items.count) steps; at most 200") }
        return .rates(try items.map { s throws(ConfigError) in try rate(s, text) })
    }

    /// `a..b` → ("a", "b"), at the first `..`.
    static func splitAtDots(_ t: String) -> (String, String)? {
        let chars = Array(t)
        guard chars.count >= 2 else { return nil }
        for i in 0..<(chars.count - 1) where chars[i] == "." && chars[i + 1] == "." {
            return (String(chars[..<i]), String(chars[(i + 2)...]))
        }
        return nil
    }

    /// `20000`, `20k`, `1.5m`: positive connects per second.
    static func rate(_ s: String, _ whole: String) throws(ConfigError) -> Double {
        var number = Substring(s.trimmingWhitespace())
        var scale = 1.0
        if let last = number.last, last == "k" || last == "m" {
            number = number.dropLast()
            scale = last == "k" ? 1e3 : 1e6
        }
        guard let v = Double(number), v.isFinite, v > 0, v * scale <= 100_000_000 else {
            throw ConfigError("--rates: '\(s)' is not a rate of connects per second above 0 (in '\(whole)')")
        }
        return v * scale
    }

    /// `1,2,4,8` or `1..8` (every integer) or `1..64/x2` (doubling): loads for a fit.
    package static func loads(_ text: String, flag: String, max: Int) throws(ConfigError) -> [Int] {
        let t = text.trimmingWhitespace().lowercased()
        var values: [Int] = []
        if let (fromPart, restPart) = splitAtDots(t) {
            let from = Int(fromPart)
            var rest = restPart
            var doubling = false
            if rest.hasSuffix("/x2") { doubling = true; rest = String(rest.dropLast(3)) }
            guard let a = from, let b = Int(rest), a >= 1, a <= b else {
                throw ConfigError("\(flag): expected N..M, N..M/x2 or a list like 1,2,4 (got '\(text)')")
            }
            var v = a
            while v <= b { values.append(v); v = doubling ? v * 2 : v + 1 }
        } else {
            for item in t.split(separator: ",") {
                guard let v = Int(item), v >= 1 else { throw ConfigError("\(flag): '\(item)' is not a whole number ≥ 1 (in '\(text)')") }
                values.append(v)
            }
        }
        guard !values.isEmpty else { throw ConfigError("\(flag): give at least one value") }
        if let big = values.first(where: { $0 > max }) { throw ConfigError("\(flag): \(big) is above \(max)") }
        guard values.count <= 64 else { throw ConfigError("\(flag): \(values.count) steps; at most 64") }
        return values
    }
}

/// Picks the next open-loop rate: first a ramp that multiplies the rate until two steps
/// in a row fail (one failure can be a noisy second; two are a trend), then a bisection
/// between the highest rate held and the lowest failed rate above it, until they are
/// within the resolution of each other — and then both ends of that bracket are run
/// again, until each has the same verdict twice (a third run breaks a tie). Near the
/// knee a 2-second step passes or fails by chance; a knee that rests on one lucky or
/// unlucky step moves by the whole bracket from one sweep to the next.
package struct RateSearch: Sendable, Equatable {
    package struct Settings: Sendable, Equatable, Codable {
        package var start: Double = 5_000
        package var factor: Double = 2
        package var ceiling: Double = 2_000_000
        package var floor: Double = 100
        /// Bisection ends when (failed − held) / held is at most this.
        package var resolution: Double = 0.05
        /// Runs of each end of the final bracket that must agree.
        package var confirmations = 2
        /// A bound on steps, whatever the data does.
        package var maxSteps = 30
        package init() {}
    }

    package let settings: Settings
    package private(set) var tried: [(rate: Double, passed: Bool)] = []
    private var rampDone = false
    private var consecutiveFailures = 0

    package init(_ settings: Settings) { self.settings = settings }

    package static func == (a: RateSearch, b: RateSearch) -> Bool {
        a.settings == b.settings && a.tried.map(\.rate) == b.tried.map(\.rate) && a.tried.map(\.passed) == b.tried.map(\.passed)
    }

    /// A rate's verdict over all its runs: the majority; a tie is not yet a verdict, and
    /// counts as passed for bracketing (the run that breaks it comes next).
    package func verdict(_ rate: Double) -> (passed: Bool, runs: Int, agreeing: Int) {
        let runs = tried.filter { $0.rate == rate }
        let passes = runs.filter(\.passed).count
        let fails = runs.count - passes
        return (passes >= fails, runs.count, Swift.max(passes, fails))
    }

    /// The highest rate held, and the lowest failed rate above it, by each rate's verdict.
    package var bracket: (held: Double?, failed: Double?) {
        let rates = Set(tried.map(\.rate))
        let held = rates.filter { verdict($0).passed }.max()
        let failed = rates.filter { !verdict($0).passed && $0 > (held ?? 0) }.min()
        return (held, failed)
    }

    package mutating func record(rate: Double, passed: Bool) {
        tried.append((rate, passed))
        consecutiveFailures = passed ? 0 : consecutiveFailures + 1
        if !rampDone && consecutiveFailures >= 2 { rampDone = true }
    }

    /// Nil when the search is over.
    package func next() -> Double? {
        guard tried.count < settings.maxSteps else { return nil }
        guard let last = tried.last else { return settings.start }
        if !rampDone {
            if tried.allSatisfy({ !$0.passed }) {
                // Nothing held yet: come down instead.
                let down = (tried.map(\.rate).min() ?? settings.start) / settings.factor
                return down >= settings.floor ? down : nil
            }
            let up = (tried.map(\.rate).max() ?? last.rate) * settings.factor
            return up <= settings.ceiling ? up : nil
        }
        let (held, failed) = bracket
        guard let held, let failed else { return nil }
        if (failed - held) / held > settings.resolution {
            // Round to a readable rate: 1% of the bracket's low end.
            let mid = (held + failed) / 2
            let unit = Swift.max(1, (held / 100).rounded(.down))
            let rounded = (mid / unit).rounded() * unit
            return rounded > held && rounded < failed ? rounded : mid
        }
        for end in [held, failed] {
            let v = verdict(end)
            if v.agreeing < settings.confirmations || v.agreeing * 2 == v.runs { return end }
        }
        return nil
    }
}

/// The knee's conditions: a step passes when the rate was held, every latency objective
/// was met and errors stayed within the budget.
package struct KneeCriteria: Sendable, Equatable, Codable {
    package struct Objective: Sendable, Equatable, Codable, CustomStringConvertible {
        package var percentile: Double
        package var limitNs: UInt64
        package var description: String { "p\(SweepFormat.percentile(percentile)) ≤ \(DurationParser.format(limitNs))" }
    }

    /// Achieved at least this share of the requested rate.
    package var heldShare = 0.99
    package var objectives: [Objective] = []
    /// Failed plus timed-out attempts, at most this share of attempts.
    package var errorBudget = 0.001

    package init() {}

    /// `p99=1ms`, `p99.9=5ms`, `p50=200us`.
    package static func parseObjective(_ text: String) throws(ConfigError) -> Objective {
        let t = text.trimmingWhitespace().lowercased()
        guard let eq = t.firstIndex(of: "="), t.hasPrefix("p"), let p = Double(t[t.index(after: t.startIndex)..<eq]),
              p > 0, p < 100 || (p == 100) else {
            throw ConfigError("--slo: expected pNN=DURATION, e.g. p99=1ms or p99.9=5ms (got '\(text)')")
        }
        guard let ns = DurationParser.nanoseconds(String(t[t.index(after: eq)...])), ns > 0 else {
            throw ConfigError("--slo: '\(t[t.index(after: eq)...])' is not a duration like 1ms or 500us (in '\(text)')")
        }
        return Objective(percentile: p, limitNs: ns)
    }

    /// `0.1%` or `0.001`.
    package static func parseBudget(_ text: String) throws(ConfigError) -> Double {
        let t = text.trimmingWhitespace()
        let v: Double?
        if t.hasSuffix("%") { v = Double(t.dropLast()).map { $0 / 100 } } else { v = Double(t) }
        guard let v, v >= 0, v <= 1 else { throw ConfigError("--error-budget: expected a share like 0.1% or 0.001 (got '\(text)')") }
        return v
    }
}

enum SweepFormat {
    /// 99 → "99", 99.9 → "99.9".
    static func percentile(_ p: Double) -> String {
        p == p.rounded() ? String(Int(p)) : String(p)
    }
}
