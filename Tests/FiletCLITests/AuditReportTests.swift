import FiletTestSupport
import Foundation
import Testing

/// The fixed journals shipped for the report tests (see `Tests/Fixtures/reports/make-fixtures.py`).
private enum Fixture {
    static let folder = "Tests/Fixtures/reports"
    static let run = folder + "/20261129T093000Z-ab12.jsonl"
    static let drill = folder + "/20261201T080000Z-cd34.jsonl"
}

/// `filet audit show` run as a binary on the fixed journal.
@Suite struct AuditShowTests {
    @Test func showsTheWholeTimeline() async throws {
        // The golden file is in UTC: the zone is fixed for the subprocess, whatever the host's.
        let result = try await FiletProcess.run(["audit", "show", Fixture.run], environment: ["TZ": "UTC"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == Self.golden)
    }

    @Test func filtersByStepFailedAndType() async throws {
        let step = try await FiletProcess.run(["audit", "show", Fixture.run, "--step", "check-portail"])
        #expect(step.status == 0)
        #expect(step.stdout.contains("  showing only: step check-portail\n"))
        #expect(step.stdout.split(separator: "\n").filter { $0.hasPrefix("+") }.count == 4)
        let failed = try await FiletProcess.run(
            ["audit", "show", Fixture.run, "--failed", "--type", "step.attempt"], environment: ["TZ": "UTC"])
        let lines = failed.stdout.split(separator: "\n").filter { $0.hasPrefix("+") }
        #expect(
            lines == [
                "+6.400s   09:30:06.400  step.attempt  prevenir #1  failed: undelivered; in the outbox: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json; reason: crise: HTTP 503; secours: connection refused"
            ])
    }

    @Test func tamperedJournalVerdictFirst() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        var text = try String(contentsOfFile: FiletProcess.packageRoot.path + "/" + Fixture.run, encoding: .utf8)
        text = text.replacing(#""by":"alice","how":"typed"#, with: #""by":"mallory","how":"typed"#)
        let path = try directory.write("20261129T093000Z-ab12.jsonl", text)
        let result = try await FiletProcess.run(["audit", "show", path])
        #expect(result.status == 0)
        #expect(
            result.stdout.hasPrefix("INTEGRITY: NOT INTACT: verified 1..9 of 16 records (hash chain); 2 problems, the first on line 10\n"))
        #expect(result.stdout.contains("by mallory"))
    }

    @Test func usageErrors() async throws {
        let missing = try await FiletProcess.run(["audit", "show", "/nonexistent/x.jsonl"])
        #expect(missing.status == 2 && missing.stderr.contains("no such file"))
        let folder = try await FiletProcess.run(["audit", "show", Fixture.folder])
        #expect(folder.status == 2 && folder.stderr.contains("is a directory"))
    }
}

/// `filet audit report` run as a binary: on the fixed journals, a folder of them, and a real run.
@Suite struct AuditReportTests {
    @Test func markdownToStdoutAndHTMLToAFile() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let markdown = try await FiletProcess.run(["audit", "report", Fixture.run, "--format", "md"])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.hasPrefix("# Run report: Bascule \"site B\" — mairie\n"))
        #expect(markdown.stdout.contains("| titre — &lt;script&gt;alert(1)&lt;/script&gt; | run | succeeded |"))
        let output = directory.path("report.html")
        let html = try await FiletProcess.run(["audit", "report", Fixture.run, "--format", "html", "--output", output])
        #expect(html.status == 0 && html.stdout.isEmpty && html.stderr.contains("report written to \(output)"))
        let page = try #require(directory.contents("report.html"))
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.lowercased().contains("<script") && !page.contains("http://") && !page.contains("https://"))
    }

    @Test func jsonReport() async throws {
        let result = try await FiletProcess.run(["audit", "report", Fixture.drill, "--format", "json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        #expect(object["schema_version"] as? Int == 1)
        #expect((object["run"] as? [String: Any])?["mode"] as? String == "drill")
        #expect((object["readiness"] as? [String: Any])?["percent"] as? Int == 100)
        #expect((object["integrity"] as? [String: Any])?["intact"] as? Bool == true)
    }

    @Test func folderOfJournals() async throws {
        let result = try await FiletProcess.run(["audit", "report", Fixture.folder, "--format", "md"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("| 2026") }
        #expect(rows.count == 3)  // two runs, then the readiness-over-time row of the drill
        #expect(rows[0].contains("20261129T093000Z-ab12") && rows[1].contains("20261201T080000Z-cd34") && rows[1].contains("| 100% |"))
        let html = try await FiletProcess.run(["audit", "report", Fixture.folder, "--format", "html"])
        #expect(html.status == 0 && html.stdout.contains("Readiness over time") && html.stdout.contains("<polyline"))
    }

    @Test func reportOfARealRun() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "r.yaml",
            """
            runbook: rapport
            title: Rapport <b>réel</b>
            steps:
              - id: bonjour
                run: echo bonjour
              - id: ok
                confirm: On y va ?
            """)
        let run = try await FiletProcess.run(["run", runbook, "--yes", "--journal", directory.journal])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let journal = try JournalFile.only(in: directory.journal)
        let show = try await FiletProcess.run(["audit", "show", journal.path])
        #expect(show.status == 0)
        #expect(show.stdout.contains("step.attempt     bonjour #1  succeeded: exit 0; stdout: bonjour"))
        #expect(show.stdout.contains("confirm.granted  ok"))
        #expect(show.stdout.hasSuffix(", run closed\n"))
        let html = try await FiletProcess.run(["audit", "report", journal.path, "--format", "html"])
        #expect(html.stdout.contains("Rapport &lt;b&gt;réel&lt;/b&gt;") && !html.stdout.contains("<b>réel"))
        let folder = try await FiletProcess.run(["audit", "report", directory.journal, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: folder.stdoutData) as? [String: Any])
        #expect((object["runs"] as? [[String: Any]])?.count == 1)
    }
}

/// The binary shows times in the zone `TZ` names, with the offset; the journal and the JSON report's UTC members stay UTC.
@Suite struct AuditLocalTimeTests {
    @Test func parisInWinterAndKolkata() async throws {
        let paris = try await FiletProcess.run(["audit", "show", Fixture.run], environment: ["TZ": "Europe/Paris"])
        #expect(paris.status == 0, "\(paris.stderr)")
        #expect(paris.stdout.contains("\n  started 2026-11-29 10:30:00 +01:00, finished 2026-11-29 10:30:06 +01:00\n"))
        #expect(paris.stdout.contains("\n+0.010s   10:30:00.010  step.started     check-portail "))
        #expect(paris.stdout.contains("  confirmation confirmer: granted by alice at 2026-11-29 10:30:04 +01:00 (typed"))
        let markdown = try await FiletProcess.run(["audit", "report", Fixture.run], environment: ["TZ": "Europe/Paris"])
        #expect(markdown.stdout.contains("| Started | 2026-11-29 10:30:00 +01:00 |"))

        let kolkata = try await FiletProcess.run(["audit", "show", Fixture.run], environment: ["TZ": "Asia/Kolkata"])
        #expect(kolkata.stdout.contains("\n  started 2026-11-29 15:00:00 +05:30, finished 2026-11-29 15:00:06 +05:30\n"))
        #expect(kolkata.stdout.contains("\n+6.400s   15:00:06.400  step.attempt     prevenir #1 "))
        let json = try await FiletProcess.run(["audit", "report", Fixture.run, "--format", "json"], environment: ["TZ": "Asia/Kolkata"])
        let run = try #require((try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])?["run"] as? [String: Any])
        #expect(run["started_at"] as? String == "2026-11-29T09:30:00.000Z")
        #expect(run["started_at_local"] as? String == "2026-11-29T15:00:00.000+05:30")
    }

    @Test func parisInSummer() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let moved = try rechained(
            lines(of: FiletProcess.packageRoot.path + "/" + Fixture.run).map {
                Array(text($0).replacing("\"ts\":\"2026-11-29T", with: "\"ts\":\"2026-07-14T").utf8)
            })
        let path = directory.path("20261129T093000Z-ab12.jsonl")
        try write(lines: moved, to: path)
        let show = try await FiletProcess.run(["audit", "show", path], environment: ["TZ": "Europe/Paris"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("\n  started 2026-07-14 11:30:00 +02:00, finished 2026-07-14 11:30:06 +02:00\n"))
        #expect(show.stdout.contains("\n+4.200s   11:30:04.200  confirm.granted  confirmer "))
        #expect(show.stdout.hasSuffix("  integrity: intact: verified 1..16 of 16 records (hash chain), run closed\n"))
        let html = try await FiletProcess.run(["audit", "report", path, "--format", "html"], environment: ["TZ": "Europe/Paris"])
        #expect(html.stdout.contains("<tr><th>Started</th><td>2026-07-14 11:30:00 +02:00</td></tr>"))
        // The same journal in UTC.
        let utc = try await FiletProcess.run(["audit", "show", path], environment: ["TZ": "UTC"])
        #expect(utc.stdout.contains("\n  started 2026-07-14 09:30:00 +00:00, finished 2026-07-14 09:30:06 +00:00\n"))
    }
}

extension AuditShowTests {
    /// The expected `filet audit show` of the fixed run journal, shared with FiletReportsTests' golden test.
    static let golden =
        (try? String(
            contentsOfFile: FiletProcess.packageRoot.appendingPathComponent("Tests/Fixtures/reports/audit-show-golden.txt").path,
            encoding: .utf8)) ?? "missing golden file"
}
