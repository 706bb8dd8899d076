import ConnEngine
import ConnModel
@testable import ConnReport
import Foundation
import Testing

/// The chart toolkit's pieces that a wrong number would silently misdraw.
@Suite struct SVGChartTests {
    @Test func textIsEscaped() {
        #expect(SVGChart.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        var c = SVGChart(title: "<script>", x: .init("x"), y: .init("y"))
        c.series = [.init("p99 & <co>", color: "#000", points: [.init(0, 1), .init(1, 2)])]
        let svg = c.render()
        #expect(!svg.contains("<script>") && svg.contains("&lt;script&gt;") && svg.contains("p99 &amp; &lt;co&gt;"))
    }

    @Test func numbersAreWrittenWithoutFoundation() {
        #expect(SVGChart.coordinate(12.04) == "12")
        #expect(SVGChart.coordinate(-3.25) == "-3.3" || SVGChart.coordinate(-3.25) == "-3.2")
        #expect(SVGChart.compact(2000) == "2000")
        #expect(SVGChart.compact(15000) == "15k")
        #expect(SVGChart.compact(2_500_000) == "2.5M")
        #expect(SVGChart.compact(0.25) == "0.25")
        #expect(SVGChart.micros(50) == "50 µs")
        #expect(SVGChart.micros(2000) == "2 ms")
        #expect(SVGChart.micros(1_500_000) == "1.5 s")
    }

    @Test func theLogAxisTicksAtDecadesAndNothingBelowZeroIsDrawn() {
        var c = SVGChart(title: "t", x: .init("x"), y: .init("y", scale: .log10, format: SVGChart.micros))
        c.series = [.init("s", color: "#123456", points: [.init(0, 20), .init(1, 0), .init(2, 3000), .init(3, 40_000)])]
        let svg = c.render()
        for label in ["10 µs", "100 µs", "1 ms", "10 ms", "100 ms"] { #expect(svg.contains(">\(label)<"), "\(label)") }
        // The 0 breaks the line: one lone point, then a line of two.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 1)
    }

    @Test func thePercentileAxisReadsInNines() {
        let ticks = HTMLReporter.percentileTicks(upTo: 10_000)
        #expect(ticks.map(\.label) == ["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
        #expect(ticks.map(\.value) == [1, 2, 10, 100, 1000, 10_000])
    }

    @Test func aSweepPageMarksTheKneeAndTheObjective() throws {
        func step(_ i: Int, _ rate: Double, p99: UInt64) -> SweepStep {
            SweepStep(index: i, requestedRate: rate, load: nil, workers: 1, concurrency: 16, achievedRate: rate,
                      establishedPerSecond: rate, attempts: 100, established: 100, failed: 0, timedOut: 0, inFlight: 0,
                      notStarted: 0, lateP99Ns: 0, p50Ns: 50_000, p99Ns: p99, p999Ns: p99 * 2, serviceP99Ns: p99,
                      callP99Ns: 20_000, errors: [:], cpuBusy: nil, onsetSignal: nil, onsetSeconds: nil,
                      measuredSeconds: 1, missed: p99 > 1_000_000 ? ["p99"] : [], interrupted: false, objectiveValuesNs: [:])
        }
        var criteria = KneeCriteria()
        criteria.objectives = [try KneeCriteria.parseObjective("p99=1ms")]
        let r = SweepReport(axis: .rates([1000, 2000, 4000]), criteria: criteria, settings: [.init("rates", "1000,2000,4000")],
                            steps: [step(1, 1000, p99: 100_000), step(2, 2000, p99: 300_000), step(3, 4000, p99: 9_000_000)],
                            interrupted: false, wallSeconds: 3)
        let html = HTMLReporter.render(r)
        #expect(html.contains("knee 2000/s"))
        #expect(html.contains("objective p99 ≤ 1ms"))
        #expect(html.contains("Latency vs rate") && html.contains("Achieved vs requested rate"))
        HTMLReportChecks.expectSelfContained(html)
    }
}

/// What every HTML report must be: inline SVG, nothing fetched.
enum HTMLReportChecks {
    static func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(html.contains("<svg"), "no inline SVG", sourceLocation: sourceLocation)
        for bad in ["http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe"] {
            #expect(!html.lowercased().contains(bad), "external reference \(bad)", sourceLocation: sourceLocation)
        }
    }

    static let runChartTitles = ["Latency percentile spectrum", "Rate over time: requested vs achieved", "Errors per errno over time",
                                 "connect() cost over time", "Ports in use over time", "Text report"]
}

extension HeavySuites {
    /// report.html of real runs through the binary: the charts are there, nothing is
    /// fetched, the onset and the prediction are marked, and a real browser draws it.
    @Suite(.serialized)
    struct HTMLRunReportTests {
        @Test func aShortRunWritesASelfContainedReportWithEveryChart() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--rate", "2000", "--duration", "1s", "--interval", "100ms", "--workers", "1", "--output", dir])
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stderr.contains("report.html"), "status line: \(o.stderr)")
            let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
            HTMLReportChecks.expectSelfContained(html)
            for title in HTMLReportChecks.runChartTitles { #expect(html.contains(SVGChart.escape(title)), "missing chart \(title)") }
            #expect(html.components(separatedBy: "<svg").count - 1 == 5)
            #expect(html.contains("verdict: rate held"))
            #expect(html.contains("requested 2000/s"))
            #expect(!html.contains("observed onset"), "no onset in a 2000/s second")
        }

        @Test(.needsRoot) func aRunWithAnOnsetMarksItAndThePrediction() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--netns", "--sysctl", "net.ipv4.ip_local_port_range=40000 40999",
                                         "--sysctl", "net.ipv4.tcp_tw_reuse=0", "--rate", "max", "--until-exhausted",
                                         "--duration", "2s", "--interval", "20ms", "--output", dir])
            #expect(o.status == 0, "\(o.stderr)")
            let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
            HTMLReportChecks.expectSelfContained(html)
            #expect(html.contains("observed onset (EADDRNOTAVAIL)"), "no observed-onset marker")
            #expect(html.contains("predicted onset (ports run out)"), "no predicted-onset marker")
            #expect(html.contains("port budget: 1000 ports"))
            #expect(html.contains(">EADDRNOTAVAIL<"), "no errno line in the legend")
        }

        /// Headless Chromium draws the page; the PNG must be neither blank nor one colour,
        /// and the three latency colours must be on it (the lines were drawn).
        @Test func chromiumDrawsTheReport() throws {
            let chromium = "/usr/bin/chromium"
            try #require(FileManager.default.isExecutableFile(atPath: chromium),
                         "chromium is not installed: the README's test command installs it (apt-get install chromium)")
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["run", "--rate", "2000", "--duration", "1s", "--interval", "100ms", "--workers", "1", "--output", dir])
            #expect(o.status == 0, "\(o.stderr)")
            let png = dir + "/report.png"
            // Bounded: chromium gets 60 s, then SIGTERM, then SIGKILL 5 s later.
            let log = try TestSupport.shell(
                "timeout --kill-after=5s 60s \(chromium) --headless --no-sandbox --disable-gpu --hide-scrollbars "
                + "--user-data-dir='\(dir)/chromium-profile' --screenshot='\(png)' --window-size=1280,2400 "
                + "'file://\(dir)/report.html' 2>&1; echo \"exit=$?\"")
            try #require(FileManager.default.fileExists(atPath: png), "no screenshot: \(log)")
            let figures = try PNGFigures.of(png)
            #expect(figures.width == 1280 && figures.height == 2400, "\(figures)")
            #expect(figures.background == [255, 255, 255], "background \(figures.background)")
            #expect(figures.nonBackgroundShare > 0.03, "nearly blank: \(figures)")
            #expect(figures.distinctColours >= 8, "too few colours: \(figures)")
            for (name, count) in figures.seriesPixels { #expect(count > 200, "\(name) line hardly drawn: \(figures)") }
        }
    }
}

/// A PNG's pixels, decoded by python3's zlib (Foundation has no inflate): the background
/// colour (the commonest), the share of other pixels, how many colours cover 50+ pixels,
/// and how many pixels have each latency line's exact colour.
struct PNGFigures: CustomStringConvertible {
    var width: Int
    var height: Int
    var background: [Int]
    var nonBackgroundShare: Double
    var distinctColours: Int
    var seriesPixels: [String: Int]

    var description: String {
        "\(width)×\(height), background \(background), \(nonBackgroundShare) not background, \(distinctColours) colours, lines \(seriesPixels)"
    }

    static let script = #"""
    import sys, zlib, struct, json, collections
    d = open(sys.argv[1], 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat = 8, b''
    while pos < len(d):
        n, = struct.unpack('>I', d[pos:pos + 4]); t = d[pos + 4:pos + 8]; c = d[pos + 8:pos + 8 + n]; pos += 12 + n
        if t == b'IHDR': w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', c)
        elif t == b'IDAT': idat += c
        elif t == b'IEND': break
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat); stride = w * bpp
    prev = bytearray(stride); counts = collections.Counter(); i = 0
    for y in range(h):
        f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        if f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f != 0:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        counts.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    bg, bgn = counts.most_common(1)[0]
    series = {'corrected': bytes([214, 39, 40]), 'service': bytes([31, 119, 180]), 'call': bytes([44, 160, 44])}
    print(json.dumps({'width': w, 'height': h, 'background': list(bg), 'nonBackgroundShare': 1 - bgn / (w * h),
                      'distinctColours': sum(1 for v in counts.values() if v >= 50),
                      'seriesPixels': {k: counts.get(v, 0) for k, v in series.items()}}))
    """#

    static func of(_ path: String) throws -> PNGFigures {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let j = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let w = j["width"] as? Int, let h = j["height"] as? Int, let bg = j["background"] as? [Int],
              let share = j["nonBackgroundShare"] as? Double, let distinct = j["distinctColours"] as? Int,
              let series = j["seriesPixels"] as? [String: Int]
        else { throw TestSupport.Failure("python3 could not decode \(path): \(String(decoding: data, as: UTF8.self))") }
        return PNGFigures(width: w, height: h, background: bg, nonBackgroundShare: share, distinctColours: distinct, seriesPixels: series)
    }
}
