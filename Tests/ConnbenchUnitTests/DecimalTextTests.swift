import ConnModel
import Testing

/// The one number formatter is total: every Double a report may hold, read back from a
/// file or not, gives text, never a trap.
struct DecimalTextTests {
    @Test(arguments: [
        (1.25, 1, "1.3"), (-0.04, 1, "0.0"), (-1.5, 0, "-2"), (0, 3, "0.000"), (123.456, 3, "123.456"),
        (.nan, 1, "n/a"), (.infinity, 3, "n/a"), (-.infinity, 0, "n/a"),
        (1e308, 3, "1e+308"), (-1e300, 1, "-1e+300"), (Double.greatestFiniteMagnitude, 0, "1.7976931348623157e+308"),
        (9.3e18, 0, "9.3e+18"), (8.9e18, 0, "8900000000000000000"), (2, -3, "2"), (2, 40, "2.000000000"),
    ] as [(Double, Int, String)])
    func everyDoubleIsText(_ v: Double, digits: Int, text: String) {
        #expect(String(fixed: v, digits: digits) == text)
    }
}
