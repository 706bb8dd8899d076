import ConnEngine
import ConnModel
@testable import ConnReport
import Histogram
import Testing

/// The V2 encoder and decoder against each other, against the counts layout of
/// hdrhistogram-swift, and against a histogram Java's HdrHistogram wrote.
struct HdrEncodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let lowest: UInt64
        let highest: UInt64
        let digits: SignificantDigits
        let values: [(UInt64, UInt64)]     // value, count
        var testDescription: String { name }

        func histogram() -> Histogram<UInt64> {
            var h = Histogram<UInt64>(lowestDiscernibleValue: lowest, highestTrackableValue: highest, numberOfSignificantValueDigits: digits)
            for (v, c) in values { h.record(v, count: c) }
            return h
        }
    }

    static let cases: [Case] = [
        Case(name: "empty", lowest: 1, highest: LatencyHistogram.highestNs, digits: .three, values: []),
        Case(name: "single value", lowest: 1, highest: LatencyHistogram.highestNs, digits: .three, values: [(93_183, 1)]),
        Case(name: "zero value", lowest: 1, highest: 1_000_000, digits: .two, values: [(0, 3), (5, 1)]),
        Case(name: "wide range", lowest: 1, highest: LatencyHistogram.highestNs, digits: .three,
             values: [(1, 1), (999, 2), (2_047, 1), (2_048, 5), (1_000_000, 7), (LatencyHistogram.highestNs, 1)]),
        Case(name: "dense, 2 digits", lowest: 1, highest: LatencyHistogram.highestNs, digits: .two,
             values: (1...5_000).map { (UInt64($0) * 37, UInt64($0 % 7)) }),
        Case(name: "counts past 32 bits", lowest: 1, highest: 1 << 40, digits: .three,
             values: [(10, 1 << 40), (20, 1 << 33), (1 << 39, 1)]),   // the library's iterators overflow past ~2^63 value×count
        Case(name: "lowest 1000, 5 digits", lowest: 1000, highest: 1 << 50, digits: .five,
             values: [(1000, 1), (123_456_789, 2), (1 << 49, 3)]),
    ]

    @Test(arguments: cases)
    func swiftEncodeThenSwiftDecodeGivesTheSameHistogram(_ c: Case) throws {
        let h = c.histogram()
        for bytes in [HdrHistogramEncoding.encode(h), HdrHistogramEncoding.encodeCompressed(h)] {
            let d = try HdrHistogramEncoding.decode(bytes)
            #expect(d.lowestDiscernibleValue == h.lowestDiscernibleValue)
            #expect(d.highestTrackableValue == h.highestTrackableValue)
            #expect(d.numberOfSignificantValueDigits == h.numberOfSignificantValueDigits)
            #expect(d.totalCount == h.totalCount)
            // Bucket by bucket: the same values (each bucket's top) with the same counts.
            #expect(d.recordedValues().map { [$0.value, UInt64($0.count)] } == h.recordedValues().map { [$0.value, UInt64($0.count)] })
            if h.totalCount > 0 {
                #expect(d.max == h.max)
                #expect(d.minNonZero == h.minNonZero)
                for p in [50.0, 99.0, 99.9] {
                    #expect(d.valuesAreEquivalent(d.valueAtPercentile(p), h.valueAtPercentile(p)))
                }
            }
        }
        let text = HdrHistogramEncoding.base64(h)
        #expect(text.hasPrefix("HISTFAAA"))   // cookie 0x1c849314, as Java's logs begin
        #expect(try HdrHistogramEncoding.decode(base64: text).totalCount == h.totalCount)
    }

    @Test(arguments: [(UInt64(1), UInt64(3_600_000_000_000), 2), (1, 3_600_000_000_000, 3), (1000, 1 << 40, 1), (20_000, 3_600_000_000_000, 2)])
    func countsLayoutMatchesTheLibrarysBuckets(lowest: UInt64, highest: UInt64, digits: Int) throws {
        let layout = try #require(HdrCountsLayout(lowest: lowest, highest: highest, digits: digits))
        let h = Histogram<UInt32>(lowestDiscernibleValue: lowest, highestTrackableValue: highest,
                                  numberOfSignificantValueDigits: SignificantDigits(rawValue: Int8(digits))!)
        #expect(layout.index(of: highest) < layout.countsLength)
        #expect(layout.index(of: highest) >= layout.countsLength - layout.subBucketHalfCount)
        for i in 1..<layout.countsLength {
            let v = layout.value(at: i)
            guard v <= highest else { break }
            #expect(h.lowestEquivalentForValue(v) == v, "index \(i)")
            #expect(layout.index(of: h.highestEquivalentForValue(v)) == i, "index \(i)")
            #expect(layout.index(of: v - 1) == i - 1 || v < lowest, "index \(i)")
        }
    }

    @Test func zigZagLEB128MatchesTheReferenceBytes() throws {
        let vectors: [(Int64, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (63, [0x7e]), (-64, [0x7f]), (64, [0x80, 0x01]),
            (-2, [0x03]), (8191, [0xfe, 0x7f]), (8192, [0x80, 0x80, 0x01]),
        ]
        for (v, bytes) in vectors {
            var out: [UInt8] = []
            HdrHistogramEncoding.putZigZag(&out, v)
            #expect(out == bytes, "\(v)")
        }
        for v in [Int64.max, Int64.min, Int64.max / 3, -(1 << 56), 1 << 56] {
            var out: [UInt8] = []
            HdrHistogramEncoding.putZigZag(&out, v)
            var at = 0
            #expect(try HdrHistogramEncoding.getZigZag(out, &at, end: out.count) == v)
            #expect(out.count <= 9 && at == out.count)
        }
    }

    /// The first interval of jHiccup 2.0.7's V2 log in HdrHistogram_py's tests, written by
    /// Java's HistogramLogWriter; the expected figures are what Python's `hdrh` decodes.
    @Test func decodesAHistogramJavaWrote() throws {
        let java = "HISTFAAAAEV42pNpmSzMwMCgyAABTBDKT4GBgdnNYMcCBvsPEBEJISEuATEZMQ4uASkhIR4nrxg9v2lMaxhvMekILGZkKmcCAEf2CsI="
        let h = try HdrHistogramEncoding.decode(base64: java)
        #expect(h.totalCount == 741)
        #expect(h.lowestDiscernibleValue == 20_000 && h.highestTrackableValue == 3_600_000_000_000)
        #expect(h.numberOfSignificantValueDigits == .two)
        #expect(h.max == 2_768_895)                  // Interval_Max 2.769 ms
        #expect(h.valueAtPercentile(50) == 344_063)
        // And Swift's encoding of it is Java's, byte for byte before compression.
        let again = try HdrHistogramEncoding.decode(HdrHistogramEncoding.encode(h))
        #expect(HdrHistogramEncoding.encode(again) == HdrHistogramEncoding.encode(h))
    }

    @Test func rejectsWhatIsNotAnEncodedHistogram() {
        #expect(throws: HdrHistogramEncoding.Failure.self) { try HdrHistogramEncoding.decode(base64: "not base64!") }
        #expect(throws: HdrHistogramEncoding.Failure.self) { try HdrHistogramEncoding.decode([0, 1, 2, 3, 4, 5, 6, 7, 8]) }
        var bytes = HdrHistogramEncoding.encodeCompressed(Histogram<UInt64>(highestTrackableValue: 1000))
        bytes.removeLast()
        #expect(throws: HdrHistogramEncoding.Failure.self) { try HdrHistogramEncoding.decode(bytes) }
    }

    @Test func intervalLogRoundTripsThroughTheReader() throws {
        var a = LatencyHistogram.makeLogInterval(), b = a, c = a
        for v in [40_000, 41_000, 93_000, 4_600_000] as [UInt64] { a.record(v) }
        b.record(15_000)
        c.record(12_000); c.record(13_000)
        let empty = LatencyHistogram.makeLogInterval()
        let log = IntervalHistograms(startEpochMs: 1_441_812_279_474, rows: [
            .init(startSeconds: 0.5, seconds: 0.2, latency: a, service: b, connectCall: c),
            .init(startSeconds: 0.7, seconds: 0.2, latency: empty, service: empty, connectCall: empty),
        ])
        let text = HistogramLogReporter.render(log)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("#[Histogram log format version 1.3]"))
        #expect(lines.contains("#[StartTime: 1441812279.474 (seconds since epoch), Wed Sep 09 15:24:39 UTC 2015]"))
        #expect(lines.contains("#[BaseTime: 1441812279.474 (seconds since epoch)]"))
        #expect(lines.contains("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""))
        #expect(lines.filter { $0.hasPrefix("Tag=") }.count == 6)
        // Max in milliseconds: 4.6 ms is recorded at 2 digits as its bucket's top.
        #expect(lines.contains { $0.hasPrefix("Tag=corrected,0.500,0.200,\(Num.f3(Double(a.max) / 1e6)),HISTFAAA") })
        #expect(lines.contains { $0.hasPrefix("Tag=call,0.700,0.200,0.000,HISTFAAA") })

        let read = try HistogramLogReader.parse(text)
        #expect(read.startTimeSeconds == 1_441_812_279.474 && read.baseTimeSeconds == 1_441_812_279.474)
        #expect(read.entries.count == 6)
        for (tag, h) in zip(HistogramLogReporter.tags, [a, b, c]) {
            let merged = try #require(read.merged(tag: tag))
            #expect(merged.totalCount == h.totalCount)
            #expect(merged.max == h.max)
            #expect(merged.recordedValues().map(\.value) == h.recordedValues().map(\.value))
        }
    }

    @Test func percentileFileHasTheReferenceLayout() throws {
        var h = LatencyHistogram.make()
        for v in stride(from: UInt64(10_000), through: 1_000_000, by: 10_000) { h.record(v) }
        let text = PercentileReporter.render(h)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "       Value     Percentile TotalCount 1/(1-Percentile)")
        #expect(lines[1] == "")
        #expect(lines[2] == "      10.007 0.000000000000          1           1.00")   // the bucket top of 10,000 ns
        let p50 = try #require(lines.first { $0.contains(" 0.500000000000 ") })
        #expect(p50.split(separator: " ").first == "500.223")   // µs, the 3-digit bucket top of 500,000 ns
        #expect(lines.contains { $0.hasPrefix("#[Mean    = ") && $0.contains(", StdDeviation   = ") })
        #expect(lines.contains("#[Max     =     1000.447, Total count    =          100]"))
        #expect(lines.contains("#[Buckets =           32, SubBuckets     =         2048]"))
        #expect(lines.contains { $0.hasSuffix("       100") && $0.contains(" 1.000000000000 ") })
    }
}
