/// An interval and the confidence it really has (e.g. 0.9375 for [min, max] of 5): with
/// few trials the achievable levels are discrete, so an interval never claims a nominal 95 %.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double
    public var confidence: Double
    public init(lower: Double, upper: Double, confidence: Double) {
        self.lower = lower; self.upper = upper; self.confidence = confidence
    }
    public func contains(_ v: Double) -> Bool { lower <= v && v <= upper }
}
