import ConnReport
import Testing

/// `summary.csv` is read by column name: two columns of one name would leave a script
/// reading whichever its CSV library keeps.
struct SummaryColumnTests {
    @Test func everyColumnNameIsUnique() {
        var seen: Set<String> = []
        let repeated = CSVReporter.summaryColumns.filter { !seen.insert($0).inserted }
        #expect(repeated.isEmpty, "\(repeated)")
    }
}
