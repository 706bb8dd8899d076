import ConnModel
/// The statistics of `connbench compare`, distribution-free throughout.
///
/// A network benchmark's trials are few (5 by default), often skewed (a trial that hits
/// exhaustion or a descheduled core lands far out) and never normal, so nothing here
/// assumes a distribution: medians with order-statistic intervals, the Hodges–Lehmann
/// shift with the exact Mann–Whitney (Moses) interval, and exact p-values from the
/// permutation distribution. With so few trials the achievable confidence levels are
/// discrete; every interval carries the confidence it actually has, never a nominal 95 %.
package enum CompareStatistics {
    /// The interval value lives in ConnModel, where the reports that hold it are.
    package typealias Interval = ConfidenceInterval

    package static func median(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "median of nothing")
        let s = xs.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    // MARK: Median interval

    /// For `n` values, the 1-based order statistic `k` such that [x(k), x(n+1-k)] covers
    /// the median with at least `level`, as tight as possible, and its exact coverage
    /// `1 − 2·P(Bin(n, ½) ≤ k − 1)`. When even [min, max] falls short of `level` (n ≤ 5
    /// at 95 %), k is 1 and the coverage says how short.
    package static func medianIntervalIndex(n: Int, level: Double = 0.95) -> (k: Int, confidence: Double) {
        precondition(n >= 1)
        // Binomial(n, ½) probabilities, built by Pascal's rule in Double (no overflow).
        var row = [1.0]
        for _ in 0..<n { row = zip([0] + row, row + [0]).map { ($0 + $1) / 2 } }
        var best = (k: 1, confidence: 1 - 2 * (row.first ?? 0))
        var cdf = 0.0  // P(Bin ≤ k − 1)
        for k in 1...Swift.max(1, (n + 1) / 2) {
            cdf += row[k - 1]
            let coverage = 1 - 2 * cdf
            if coverage >= level - 1e-12 { best = (k, coverage) } else { break }
        }
        return best
    }

    /// The median's distribution-free interval from order statistics.
    package static func medianInterval(_ xs: [Double], level: Double = 0.95) -> Interval {
        let s = xs.sorted()
        let (k, confidence) = medianIntervalIndex(n: s.count, level: level)
        return Interval(lower: s[k - 1], upper: s[s.count - k], confidence: confidence)
    }

    // MARK: Mann–Whitney

    /// How many of the C(m+n, m) orderings of two untied samples give each U = 0…m·n,
    /// U counting pairs (a_i, b_j) with b_j > a_i. The standard recursion
    /// c(u; m, n) = c(u − m; m, n − 1) + c(u; m − 1, n): the largest of all m+n values is
    /// either a b, which exceeds all m a's, or an a, which no b exceeds. Counts are
    /// Doubles because C(100, 50) would overflow UInt64.
    package static func mannWhitneyCounts(m: Int, n: Int) -> [Double] {
        precondition(m >= 0 && n >= 0)
        // table[i][j] = counts for sizes (i, j); built row by row over i, column over j.
        var previous: [[Double]] = (0...n).map { _ in [1] }  // i = 0: U is 0 for any j
        if m == 0 { return previous[n] }
        for i in 1...m {
            var current: [[Double]] = [[1]]  // j = 0: U is 0
            if n >= 1 {
                for j in 1...n {
                    var c = [Double](repeating: 0, count: i * j + 1)
                    // The largest value is a b: it beats all i a's (U − i of the rest).
                    for (u, v) in current[j - 1].enumerated() { c[u + i] += v }
                    // The largest value is an a: it beats no b.
                    for (u, v) in previous[j].enumerated() { c[u] += v }
                    current.append(c)
                }
            }
            previous = current
        }
        return previous[n]
    }

    /// The 1-based index k of the Moses interval [D(k), D(m·n+1−k)] of the m·n sorted
    /// pairwise differences, with coverage `1 − 2·P(U ≤ k − 1)` ≥ `level`, as tight as
    /// possible. With m = n = 5 at 95 %: k = 3, coverage 1 − 8/252 = 96.8 %. When no
    /// interval reaches `level` (m = n = 3), k = 1 and the coverage says what it is.
    /// Also: the two-sided test at α = 1 − level rejects when U ≤ k − 1 or U ≥ m·n − k + 1.
    package static func mosesIndex(m: Int, n: Int, level: Double = 0.95) -> (k: Int, confidence: Double) {
        let counts = mannWhitneyCounts(m: m, n: n)
        let total = counts.reduce(0, +)
        var best = (k: 1, confidence: 1 - 2 * counts[0] / total)
        var cdf = 0.0  // orderings with U ≤ k − 1
        for k in 1...Swift.max(1, (m * n + 1) / 2) {
            cdf += counts[k - 1]
            let coverage = 1 - 2 * cdf / total
            if coverage >= level - 1e-12 { best = (k, coverage) } else { break }
        }
        return best
    }

    /// What a shift estimate says: Hodges–Lehmann point, Moses interval, exact p.
    package struct Shift: Sendable, Equatable, Codable {
        /// Median of all pairwise b_j − a_i.
        package var estimate: Double
        package var interval: Interval
        /// Exact two-sided Mann–Whitney p-value (permutation distribution, ties as mid-ranks).
        package var pValue: Double
        /// Pairs with b > a, ties counted ½.
        package var u: Double
    }

    /// The shift of `b` against `a`: Hodges–Lehmann estimate (median of all pairwise
    /// differences) with its Moses interval, and the exact Mann–Whitney p-value. Ties in
    /// the data are handled by mid-ranks for the p-value (the exact conditional null); in
    /// the interval they are simply equal differences, so a tie at zero keeps zero inside.
    package static func shift(_ a: [Double], _ b: [Double], level: Double = 0.95) -> Shift {
        precondition(!a.isEmpty && !b.isEmpty)
        var d: [Double] = []
        d.reserveCapacity(a.count * b.count)
        var u = 0.0
        for x in a {
            for y in b {
                d.append(y - x)
                u += y > x ? 1 : y == x ? 0.5 : 0
            }
        }
        d.sort()
        let (k, confidence) = mosesIndex(m: a.count, n: b.count, level: level)
        return Shift(estimate: median(d),
                     interval: Interval(lower: d[k - 1], upper: d[d.count - k], confidence: confidence),
                     pValue: mannWhitneyPValue(a, b), u: u)
    }

    /// The exact two-sided p-value of the Mann–Whitney (Wilcoxon rank-sum) test: the
    /// share of all C(m+n, m) splits of the pooled values whose rank sum lies at least as
    /// far from its mean as the observed one. Ties get mid-ranks and the distribution is
    /// the one conditional on those ties (counted by dynamic programming over doubled
    /// mid-ranks, which are whole numbers); without ties it equals the recursion's.
    package static func mannWhitneyPValue(_ a: [Double], _ b: [Double]) -> Double {
        let m = a.count, total = a.count + b.count
        let pooled = (a.map { ($0, true) } + b.map { ($0, false) }).sorted { $0.0 < $1.0 }
        // Doubled mid-ranks: a run of equal values at 1-based ranks i…j gets i + j each.
        var ranks = [Int](repeating: 0, count: total)
        var i = 0
        while i < total {
            var j = i
            while j + 1 < total && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            for t in i...j { ranks[t] = (i + 1) + (j + 1) }
            i = j + 1
        }
        let observed = zip(pooled, ranks).reduce(0) { $0 + ($1.0.1 ? $1.1 : 0) }
        let mean = m * (total + 1)  // doubled
        let maxSum = ranks.reduce(0, +)
        // ways[k][s]: subsets of size k of the ranks seen so far with doubled sum s.
        var ways = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: m + 1)
        ways[0][0] = 1
        for r in ranks {
            for k in stride(from: Swift.min(m, total), through: 1, by: -1) {
                let below = ways[k - 1]
                for s in stride(from: maxSum, through: r, by: -1) where below[s - r] != 0 {
                    ways[k][s] += below[s - r]
                }
            }
        }
        let distance = abs(observed - mean)
        var extreme = 0.0, all = 0.0
        for (s, w) in ways[m].enumerated() where w != 0 {
            all += w
            if abs(s - mean) >= distance { extreme += w }
        }
        return Swift.min(1, extreme / all)
    }

    // MARK: Outliers

    /// Indices of values farther from the median than 3 × 1.4826 × MAD (the MAD scaled to
    /// a normal σ: a robust "three sigma" that one wild trial cannot inflate, as it would
    /// a standard deviation). None when MAD is 0: then most values are equal and any
    /// other would be "infinitely" far — a rule that says nothing useful.
    package static func outliers(_ xs: [Double]) -> [Int] {
        guard xs.count >= 3 else { return [] }
        let m = median(xs)
        let mad = median(xs.map { abs($0 - m) })
        guard mad > 0 else { return [] }
        let limit = 3 * 1.4826 * mad
        return xs.indices.filter { abs(xs[$0] - m) > limit }
    }
}
