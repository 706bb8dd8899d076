import Foundation
import ConnEngine
import ConnModel
import ConnSys
import Testing

struct ParserTests {
    @Test(arguments: [
        ("127.0.0.1:5001", "127.0.0.1:5001"), ("[::1]:80", "[::1]:80"),
        ("unix:/tmp/x.sock", "unix:/tmp/x.sock"),
    ])
    func targetsParseAndPrintBack(text: String, printed: String) throws {
        #expect(try TargetParser.parse(text).description == printed)
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:80", "host.example:80", "[::1]80", "unix:", "1.2.3:4"])
    func badTargetsAreRejected(text: String) {
        #expect(throws: TargetParser.Failure.self) { try TargetParser.parse(text) }
    }

    @Test(arguments: [("10s", 10_000_000_000), ("500ms", 500_000_000), ("2m", 120_000_000_000), ("1.5s", 1_500_000_000), ("3", 3_000_000_000)] as [(String, UInt64)])
    func durationsParse(text: String, ns: UInt64) {
        #expect(DurationParser.nanoseconds(text) == ns)
    }

    @Test(arguments: [("0,1", [0, 1]), ("0-3", [0, 1, 2, 3]), ("0-1,4", [0, 1, 4])])
    func cpuListsParse(text: String, cpus: [Int]) {
        #expect(CPUListParser.parse(text) == cpus)
    }

    @Test func sourcePoolsExpandIPv4Ranges() throws {
        let pool = try TargetParser.parseSourcePool("127.0.0.2-127.0.0.9")
        #expect(pool.count == 8)
        #expect(pool.first?.host == "127.0.0.2" && pool.last?.host == "127.0.0.9")
    }

    @Test(arguments: [
        (11, "EWOULDBLOCK"), (111, "ECONNREFUSED"), (99, "EADDRNOTAVAIL"), (98, "EADDRINUSE"), (95, "EOPNOTSUPP"),
    ] as [(Int32, String)])
    func errnoNamesFollowTheReferenceTable(value: Int32, name: String) {
        #expect(Errno(rawValue: value).name == name)
        #expect(Errno(name: name)?.rawValue == value)
    }
}

/// `ip_local_port_range` is read one way everywhere, and a text that is not two ports is
/// no range at all (never the kernel's default assumed in its place).
struct EphemeralRangeParserTests {
    @Test(arguments: [("32768\t60999\n", 32768, 60999), ("40000 40999", 40000, 40999), ("1024 1024", 1024, 1024)])
    func twoPortsLowFirstAreTheRange(text: String, low: Int, high: Int) throws {
        let r = try #require(EphemeralPorts.parse(text))
        #expect(Int(r.low) == low && Int(r.high) == high)
    }

    @Test(arguments: ["", "32768", "1 2 3", "600 500", "a b", "70000 80000", "40000 40999x"])
    func anythingElseIsNoRange(text: String) {
        #expect(EphemeralPorts.parse(text) == nil)
    }

    @Test func theErrorSaysWhatTheFileHeld() {
        #expect(EphemeralPorts.Unreadable(text: "600 500\n").description
            == "cannot read the ephemeral port range: ip_local_port_range reads \"600 500\", not two ports")
        #expect(EphemeralPorts.Unreadable(text: nil).description.contains("unreadable"))
    }
}

/// Onsets and error sites are typed in the report and saved as the text a reader sees;
/// reports saved with a site's number still read back.
struct SavedTextTests {
    @Test(arguments: [OnsetSignal.errno(.addressNotAvailable), .errno(.addressInUse), .errno(.wouldBlock),
                      .connectCallCost, .submitCost, .rateDrop, .undatedErrno])
    func anOnsetSignalIsSavedAsItsTextAndReadBack(signal: OnsetSignal) throws {
        let data = try JSONEncoder().encode([signal])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(signal.description)\"]")
        #expect(try JSONDecoder().decode([OnsetSignal].self, from: data) == [signal])
    }

    @Test func aSiteIsSavedByNameAndAnOldNumberStillReads() throws {
        #expect(String(decoding: try JSONEncoder().encode([SyscallSite.bind]), as: UTF8.self) == "[\"bind\"]")
        #expect(try JSONDecoder().decode([SyscallSite].self, from: Data("[\"SO_ERROR\", 3]".utf8)) == [.soError, .connect])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SyscallSite].self, from: Data("[\"sendto\"]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([OnsetSignal].self, from: Data("[\"faster\"]".utf8)) }
    }
}
