import ConnAnalysis
import ConnEngine
import ConnModel
import Testing

/// The USL fitter against published data: the Cisco benchmark of Baron Schwartz's
/// "Practical Scalability Analysis with the Universal Scalability Law", whose fitted
/// coefficients the book lists (and the usl4j / usl-rs suites check against).
struct ScalabilityFitTests {
    static let cisco: [(Double, Double)] = [
        (1, 955.16), (2, 1878.91), (3, 2688.01), (4, 3548.68), (5, 4315.54), (6, 5130.43), (7, 5931.37),
        (8, 6531.08), (9, 7219.8), (10, 7867.61), (11, 8278.71), (12, 8646.7), (13, 9047.84), (14, 9426.55),
        (15, 9645.37), (16, 9897.24), (17, 10097.6), (18, 10240.5), (19, 10532.39), (20, 10798.52),
        (21, 11151.43), (22, 11518.63), (23, 11806), (24, 12089.37), (25, 12075.41), (26, 12177.29),
        (27, 12211.41), (28, 12158.93), (29, 12155.27), (30, 12118.04), (31, 12140.4), (32, 12074.39),
    ]

    static func points(_ data: [(Double, Double)]) -> [ScalabilityFit.Point] {
        data.map { ScalabilityFit.Point(load: $0.0, throughput: $0.1) }
    }

    /// Three significant digits of each: σ 0.0267, κ 0.000769, λ 996, peak at N ≈ 35.6
    /// with X ≈ 12341.
    @Test func theCiscoDataSetGivesTheBooksCoefficientsToThreeSignificantDigits() throws {
        let fit = try ScalabilityFit.fit(Self.points(Self.cisco))
        #expect(Self.sameTo3Digits(fit.law.sigma, 0.02671591), "σ \(fit.law.sigma)")
        #expect(Self.sameTo3Digits(fit.law.kappa, 7.690945e-4), "κ \(fit.law.kappa)")
        #expect(Self.sameTo3Digits(fit.law.lambda, 995.6486), "λ \(fit.law.lambda)")
        #expect(Self.sameTo3Digits(fit.law.peakThroughput ?? 0, 12341), "peak \(fit.law.peakThroughput ?? 0)")
        #expect(Swift.abs((fit.law.peakLoad ?? 0) - 35.6) < 0.1, "peak load \(fit.law.peakLoad ?? 0)")
        #expect(fit.rSquared > 0.99, "R² \(fit.rSquared)")
    }

    /// Order does not matter, and a fit of exact points of a known law returns that law.
    @Test(arguments: [(0.05, 0.001, 1000.0), (0.0, 0.0002, 250.0), (0.2, 0.0, 40000.0), (0.01, 0.01, 9.0)])
    func aFitOfExactPointsReturnsTheirLaw(sigma: Double, kappa: Double, lambda: Double) throws {
        let law = ScalabilityLaw(sigma: sigma, kappa: kappa, lambda: lambda)
        let loads: [Double] = [1, 2, 4, 8, 16, 32, 64, 3, 5]
        let fit = try ScalabilityFit.fit(loads.map { .init(load: $0, throughput: law.throughput(at: $0)) })
        #expect(Swift.abs(fit.law.sigma - sigma) < 1e-6, "σ \(fit.law.sigma)")
        #expect(Swift.abs(fit.law.kappa - kappa) < 1e-8, "κ \(fit.law.kappa)")
        #expect(Swift.abs(fit.law.lambda - lambda) / lambda < 1e-6, "λ \(fit.law.lambda)")
        #expect(fit.largestRelativeResidual < 1e-6)
    }

    @Test func withoutCoherencyThereIsNoPeakButACeiling() {
        let law = ScalabilityLaw(sigma: 0.25, kappa: 0, lambda: 100)
        #expect(law.peakLoad == nil)
        #expect(law.peakThroughput == 400)
    }

    @Test(arguments: [
        [(1.0, 10.0), (2.0, 19.0)],
        [(1.0, 10.0), (1.0, 11.0), (2.0, 19.0), (2.0, 18.0)],
        [(1.0, 10.0), (2.0, 0.0), (4.0, 30.0)],
        [(0.0, 10.0), (2.0, 19.0), (4.0, 30.0)],
    ])
    func tooFewLoadsOrNonPositivePointsAreRefused(_ data: [(Double, Double)]) {
        #expect(throws: ScalabilityFit.Failure.self) { try ScalabilityFit.fit(Self.points(data)) }
    }

    static func sameTo3Digits(_ a: Double, _ b: Double) -> Bool {
        guard a != 0, b != 0 else { return a == b }
        func round3(_ x: Double) -> Double {
            let magnitude = (Swift.abs(x)).log10Floor
            let scale = pow10(2 - magnitude)
            return (x * scale).rounded() / scale
        }
        return round3(a) == round3(b)
    }

    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<e { r *= 10 } } else { for _ in 0..<(-e) { r /= 10 } }
        return r
    }
}

extension Double {
    /// ⌊log₁₀ x⌋ for x > 0, without Foundation.
    fileprivate var log10Floor: Int {
        var e = 0
        var x = self
        while x >= 10 { x /= 10; e += 1 }
        while x < 1 { x *= 10; e -= 1 }
        return e
    }
}
