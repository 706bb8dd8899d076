/// An interval and the confidence it really has (e.g. 0.9375 for [min, max] of 5): with
/// few trials the achievable levels are discrete, so an interval never claims a nominal 95 %.
package struct ConfidenceInterval: Sendable, Equatable, Codable {
    package var lower: Double
    package var upper: Double
    package var confidence: Double
    package init(lower: Double, upper: Double, confidence: Double) {
        self.lower = lower; self.upper = upper; self.confidence = confidence
    }
    package func contains(_ v: Double) -> Bool { lower <= v && v <= upper }
}
