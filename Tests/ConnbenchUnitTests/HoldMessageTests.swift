import ConnModel
import Foundation
import Testing

/// The hold supervisor and its parts speak one JSON object per line: every message
/// encodes without a newline and reads back as itself.
struct HoldMessageTests {
    @Test(arguments: [HoldPartMessage.ready(namespaceInode: 4026531840), .built(open: 30000),
                      .generatorResult(HoldPartResult(part: 2, planned: 10000)),
                      .listenerResult(HoldListenerResult(part: 1)), .error("setup failed: EMFILE")])
    func aPartMessageIsOneLineAndReadsBack(_ m: HoldPartMessage) throws {
        let text = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        #expect(!text.contains("\n"))
        let back = try JSONDecoder().decode(HoldPartMessage.self, from: Data(text.utf8))
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        #expect(try sorted.encode(back) == sorted.encode(m))
    }

    @Test(arguments: [HoldSupervisorMessage.go(atNs: 123_456_789), .close])
    func aSupervisorMessageIsOneLineAndReadsBack(_ m: HoldSupervisorMessage) throws {
        let text = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(try JSONDecoder().decode(HoldSupervisorMessage.self, from: Data(text.utf8)) == m)
    }

    /// A line of the old text protocol is not a message (the supervisor says so).
    @Test func anOldTextLineIsNotAMessage() {
        #expect((try? JSONDecoder().decode(HoldPartMessage.self, from: Data("ready 4026531840".utf8))) == nil)
    }
}
