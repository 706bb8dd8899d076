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
