/// Gunther's Universal Scalability Law: throughput at load N is
/// X(N) = λN / (1 + σ(N − 1) + κN(N − 1)).
///
/// σ is contention (the serial share: queueing for one thing), κ coherency (the cost of
/// every pair keeping each other's view in step: it makes throughput fall past a peak),
/// λ the throughput of one unit of load alone. A planner reads the peak off it: how
/// much load is worth adding, and where more load only costs.
package struct ScalabilityLaw: Sendable, Codable, Equatable {
    package var sigma: Double
    package var kappa: Double
    package var lambda: Double

    package init(sigma: Double, kappa: Double, lambda: Double) {
        self.sigma = sigma
        self.kappa = kappa
        self.lambda = lambda
    }

    package func throughput(at n: Double) -> Double {
        lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    }

    /// The load of the peak, √((1 − σ)/κ); nil when κ is 0 (throughput rises towards
    /// λ/σ and never falls) or σ ≥ 1 (no gain from load at all).
    package var peakLoad: Double? {
        guard kappa > 0, sigma < 1 else { return nil }
        return ((1 - sigma) / kappa).squareRoot()
    }

    /// Throughput at ``peakLoad``; without a peak, the ceiling λ/σ (nil when σ is 0 too).
    package var peakThroughput: Double? {
        if let n = peakLoad { return throughput(at: n) }
        return sigma > 0 ? lambda / sigma : nil
    }
}

/// A least-squares fit of the law to measured (load, throughput) points, and how well it
/// holds: R², and each point's distance from the curve.
package struct ScalabilityFit: Sendable, Codable, Equatable {
    package struct Point: Sendable, Codable, Equatable {
        package var load: Double
        package var throughput: Double
        package init(load: Double, throughput: Double) { self.load = load; self.throughput = throughput }
    }

    package var law: ScalabilityLaw
    package var points: [Point]
    /// 1 − SS_res/SS_tot of throughput: the share of the points' variance the curve explains.
    package var rSquared: Double
    /// Per point, (measured − fitted) / fitted.
    package var relativeResiduals: [Double]
    package var iterations: Int

    package enum Failure: Error, CustomStringConvertible, Equatable {
        case tooFewPoints(Int)
        case badPoint(String)
        case noConvergence

        package var description: String {
            switch self {
            case .tooFewPoints(let n): "a scalability fit needs at least 3 points at 3 different loads (got \(n))"
            case .badPoint(let s): "a scalability fit needs positive loads and throughputs: \(s)"
            case .noConvergence: "the scalability fit did not converge"
            }
        }
    }

    /// How far the worst point lies from the curve, as a share of the curve's value: a
    /// fit whose R² is high can still miss the one point a planner cares about.
    package var largestRelativeResidual: Double { relativeResiduals.map { Swift.abs($0) }.max() ?? 0 }

    package init(law: ScalabilityLaw, points: [Point], rSquared: Double, relativeResiduals: [Double], iterations: Int) {
        self.law = law; self.points = points; self.rSquared = rSquared
        self.relativeResiduals = relativeResiduals; self.iterations = iterations
    }
}
