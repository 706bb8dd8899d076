import ConnModel
import Foundation
import Testing

/// The verdict's cause is a fixed word in report.json's summary; the published schema
/// lists exactly the words the type has.
struct VerdictCauseTests {
    @Test func theSchemaListsEveryCauseAndNoOther() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/docs/report.schema.json"
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let summary = try #require((schema["properties"] as? [String: Any])?["summary"] as? [String: Any])
        let verdict = try #require((summary["properties"] as? [String: Any])?["verdict"] as? [String: Any])
        let cause = try #require((verdict["properties"] as? [String: Any])?["cause"] as? [String: Any])
        let words = try #require(cause["enum"] as? [String])
        #expect(Set(words) == Set(VerdictCause.allCases.map(\.rawValue)))
        #expect(words.count == VerdictCause.allCases.count)
    }
}
