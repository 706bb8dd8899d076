@testable import ConnCLI
import ConnEngine
import ConnModel
import ConnReport
import Foundation
import Testing
import ConnStudies
import ConnAnalysis

/// `compare`'s parsing: the lists, their cross product, and one line for each bad input.
@Suite struct CompareParseTests {
    @Test func sysctlListsAndVaryMakeTheCrossProductFirstAxisSlowest() throws {
        let c = try CompareCommand.parse(["--sysctl", "net.ipv4.tcp_tw_reuse=0,1,2", "--vary", "close=fin,rst",
                                          "--sysctl", "net.ipv4.ip_local_port_range=40000 40999,50000 50999"])
        let plan = try c.makePlan()
        #expect(plan.settings.count == 12)
        #expect(plan.settings.map(\.label).prefix(3) == ["A", "B", "C"])
        #expect(plan.settings[0].description == "net.ipv4.tcp_tw_reuse=0 net.ipv4.ip_local_port_range=40000 40999 close=fin")
        #expect(plan.settings[1].config.close == .rst)
        #expect(plan.settings[2].config.isolation.sysctls.last?.value == "50000 50999")
        #expect(plan.settings.allSatisfy { $0.config.isolation.netns })
        #expect(plan.settings[11].config.isolation.sysctls.first == SysctlSetting(key: "net.ipv4.tcp_tw_reuse", value: "2"))
        #expect(plan.steps.count == 12 * (5 + 1))
        #expect(plan.steps.prefix(13).map(\.setting) == Array(0..<12) + [0])
    }

    @Test func aTheSameSettingTwiceIsTwoSettings() throws {
        let plan = try CompareCommand.parse(["--vary", "close=rst,rst", "--vary", "concurrency=4", "--trials", "3"]).makePlan()
        #expect(plan.settings.count == 2)
        #expect(plan.settings.allSatisfy { $0.config.close == .rst && $0.config.concurrency == 4 })
        #expect(plan.steps.map(\.setting) == [0, 1, 0, 1, 0, 1, 0, 1])
    }

    @Test func anEscapedCommaStaysInOneValue() {
        #expect(ComparePlan.splitValues(#"8080\,9148,8081"#) == ["8080,9148", "8081"])
        #expect(ComparePlan.splitValues("1,,2") == nil)
    }

    @Test(arguments: [
        (["--vary", "colour=red,blue"], "supported: close, engine, bind-no-port"),
        (["--vary", "concurrency=4,zero"], "--vary concurrency=zero: must be a whole number"),
        (["--vary", "close=fin,maybe"], "--vary close=maybe: must be one of fin, rst"),
        (["--vary", "close=fin,rst", "--trials", "1"], "--trials must be at least 2"),
        (["--vary", "close=fin"], "nothing to compare"),
        (["--sysctl", "kernel.panic=0,1"], "--sysctl"),
        (["--vary", "close=fin,rst", "--target", "127.0.0.1:80"], "--target"),
        (["--vary", "close=fin,rst", "--by", "p42_us"], "--by"),
    ])
    func badInputIsOneLine(arguments: [String], text: String) {
        do {
            _ = try CompareCommand.parse(arguments)
            Issue.record("parsed: \(arguments)")
        } catch {
            let line = Connbench.oneLine(CompareCommand.message(for: error))
            #expect(line.contains(text), "\(line)")
            #expect(!line.contains("\n"))
        }
    }
}

extension HeavySuites {
    /// One short real compare through the binary: both settings in the table, every trial
    /// and setting in compare.csv, each trial's attempts accounted for.
    @Suite struct CompareRunTests {
        @Test(.needsRoot) func twoSettingsTwoTrialsWriteTheTableAndTheCSV() throws {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let o = try TestSupport.run(["compare", "--vary", "close=fin,rst", "--rate", "2000", "--duration", "300ms",
                                         "--trials", "2", "--warmup-trials", "0", "--workers", "1", "--output", dir], timeLimit: 60)
            #expect(o.status == 0, "\(o.stderr)")
            #expect(o.stdout.contains("A: close=fin") && o.stdout.contains("B: close=rst"))
            #expect(o.stdout.contains("no significant difference") || o.stdout.contains("faster") || o.stdout.contains("slower"))
            let rows = CSV.parse(try String(contentsOfFile: dir + "/compare.csv", encoding: .utf8))
            let header = try #require(rows.first)
            #expect(header == CompareReporter.csvColumns)
            let records = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            let trials = records.filter { $0["kind"] == "trial" }
            #expect(trials.count == 4)
            #expect(records.filter { $0["kind"] == "setting" }.count == 2)
            for t in trials {
                let n = { (k: String) in UInt64(t[k] ?? "") ?? UInt64.max }
                #expect(n("attempts") == n("established") + n("failed") + n("timed_out") + n("in_flight"), "\(t)")
                #expect(n("attempts") > 0)
            }
            #expect(FileManager.default.fileExists(atPath: dir + "/compare.txt"))
            let html = try String(contentsOfFile: dir + "/compare.html", encoding: .utf8)
            HTMLReportChecks.expectSelfContained(html)
            #expect(html.contains("Settings side by side") && html.contains("Shift against the first setting") && html.contains("close=rst"))
        }
    }
}
