import ConnModel

/// Fitting the law to measured points: the analysis side of ``ScalabilityFit``.
extension ScalabilityFit {
    /// Fits σ, κ, λ by Levenberg–Marquardt on the throughput residuals, with σ and κ kept
    /// ≥ 0 (negative ones mean superlinear speed-up, which the law does not describe).
    ///
    /// The start is the linearised form: with C(N) = X(N)/λ and λ from the lightest load,
    /// N/C(N) − 1 = σ(N − 1) + κN(N − 1) is linear in σ and κ, so an ordinary least-squares
    /// solve gives a start close enough that Marquardt's damping rarely has to act.
    package static func fit(_ points: [Point]) throws(Failure) -> ScalabilityFit {
        if let bad = points.first(where: { !($0.load > 0) || !($0.throughput > 0) || !$0.load.isFinite || !$0.throughput.isFinite }) {
            throw .badPoint("load \(bad.load), throughput \(bad.throughput)")
        }
        guard Set(points.map(\.load)).count >= 3 else { throw .tooFewPoints(points.count) }
        let lightest = points.min { $0.load < $1.load }!
        var p = start(points, lambda: lightest.throughput / lightest.load)
        var damping = 1e-3
        var cost = sumOfSquares(points, p)
        var iterations = 0
        for i in 1...500 {
            iterations = i
            let (jtj, jtr) = normalEquations(points, p)
            var improved = false
            while damping < 1e12 {
                var a = jtj
                for k in 0..<3 { a[k][k] += damping * Swift.max(jtj[k][k], 1e-12) }
                guard let step = solve3(a, jtr) else { damping *= 10; continue }
                let candidate = clamp([p[0] + step[0], p[1] + step[1], p[2] + step[2]])
                let c = sumOfSquares(points, candidate)
                if c < cost {
                    let relative = (cost - c) / Swift.max(cost, 1e-300)
                    p = candidate
                    cost = c
                    damping = Swift.max(damping / 10, 1e-12)
                    improved = true
                    if relative < 1e-15 { damping = 1e12 }
                    break
                }
                damping *= 10
            }
            if !improved || damping >= 1e12 { break }
        }
        guard p.allSatisfy(\.isFinite) else { throw .noConvergence }
        let law = ScalabilityLaw(sigma: p[0], kappa: p[1], lambda: p[2])
        let mean = points.map(\.throughput).reduce(0, +) / Double(points.count)
        let total = points.reduce(0) { $0 + ($1.throughput - mean) * ($1.throughput - mean) }
        return ScalabilityFit(law: law, points: points,
                              rSquared: total > 0 ? 1 - cost / total : 1,
                              relativeResiduals: points.map { ($0.throughput - law.throughput(at: $0.load)) / law.throughput(at: $0.load) },
                              iterations: iterations)
    }

    // MARK: - The numerics

    private static func start(_ points: [Point], lambda: Double) -> [Double] {
        // Least squares of y = σx₁ + κx₂ with x₁ = N − 1, x₂ = N(N − 1), y = N·λ/X − 1.
        var s11 = 0.0, s12 = 0.0, s22 = 0.0, s1y = 0.0, s2y = 0.0
        for pt in points {
            let n = pt.load
            let x1 = n - 1, x2 = n * (n - 1), y = n * lambda / pt.throughput - 1
            s11 += x1 * x1; s12 += x1 * x2; s22 += x2 * x2; s1y += x1 * y; s2y += x2 * y
        }
        let det = s11 * s22 - s12 * s12
        guard det != 0 else { return [0, 0, lambda] }
        return clamp([(s1y * s22 - s2y * s12) / det, (s11 * s2y - s12 * s1y) / det, lambda])
    }

    private static func clamp(_ p: [Double]) -> [Double] {
        [Swift.max(0, p[0]), Swift.max(0, p[1]), Swift.max(1e-300, p[2])]
    }

    private static func sumOfSquares(_ points: [Point], _ p: [Double]) -> Double {
        let law = ScalabilityLaw(sigma: p[0], kappa: p[1], lambda: p[2])
        return points.reduce(0) { acc, pt in
            let r = pt.throughput - law.throughput(at: pt.load)
            return acc + r * r
        }
    }

    /// JᵀJ and Jᵀr of the residuals r = X − f(N) with the analytic partial derivatives of f.
    private static func normalEquations(_ points: [Point], _ p: [Double]) -> ([[Double]], [Double]) {
        var jtj = [[Double]](repeating: [0, 0, 0], count: 3)
        var jtr = [0.0, 0.0, 0.0]
        for pt in points {
            let n = pt.load
            let d = 1 + p[0] * (n - 1) + p[1] * n * (n - 1)
            let f = p[2] * n / d
            let grad = [-f * (n - 1) / d, -f * n * (n - 1) / d, n / d]
            let r = pt.throughput - f
            for i in 0..<3 {
                jtr[i] += grad[i] * r
                for j in 0..<3 { jtj[i][j] += grad[i] * grad[j] }
            }
        }
        return (jtj, jtr)
    }

    /// Gaussian elimination with partial pivoting; nil when singular.
    private static func solve3(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a
        var v = b
        for col in 0..<3 {
            let pivot = (col..<3).max { Swift.abs(m[$0][col]) < Swift.abs(m[$1][col]) }!
            guard Swift.abs(m[pivot][col]) > 1e-300 else { return nil }
            m.swapAt(col, pivot)
            v.swapAt(col, pivot)
            for row in (col + 1)..<3 {
                let f = m[row][col] / m[col][col]
                for k in col..<3 { m[row][k] -= f * m[col][k] }
                v[row] -= f * v[col]
            }
        }
        var x = [0.0, 0.0, 0.0]
        for row in stride(from: 2, through: 0, by: -1) {
            var s = v[row]
            for k in (row + 1)..<3 { s -= m[row][k] * x[k] }
            x[row] = s / m[row][row]
        }
        return x
    }
}
