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
        let result = try await FiletProcess.run(["audit", "show", Fixture.run])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == Self.golden)
    }

    @Test func filtersByStepFailedAndType() async throws {
        let step = try await FiletProcess.run(["audit", "show", Fixture.run, "--step", "check-portail"])
        #expect(step.status == 0)
        #expect(step.stdout.contains("  showing only: step check-portail\n"))
        #expect(step.stdout.split(separator: "\n").filter { $0.hasPrefix("+") }.count == 4)
        let failed = try await FiletProcess.run(["audit", "show", Fixture.run, "--failed", "--type", "step.attempt"])
        let lines = failed.stdout.split(separator: "\n").filter { $0.hasPrefix("+") }
        #expect(lines == ["+6.400s   09:30:06.400  step.attempt  prevenir #1  failed: undelivered; in the outbox: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json; reason: crise: HTTP 503; secours: connection refused"])
    }

    @Test func tamperedJournalVerdictFirst() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        var text = try String(contentsOfFile: FiletProcess.packageRoot.path + "/" + Fixture.run, encoding: .utf8)
        text = text.replacing(#""by":"alice","how":"typed"#, with: #""by":"mallory","how":"typed"#)
        let path = try directory.write("20261129T093000Z-ab12.jsonl", text)
        let result = try await FiletProcess.run(["audit", "show", path])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("INTEGRITY: NOT INTACT: verified 1..9 of 16 records (hash chain); 2 problems, the first on line 10\n"))
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
        let runbook = try directory.write("r.yaml", """
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

extension AuditShowTests {
    static let golden = """
        Run 20261129T093000Z-ab12: bascule-mairie v3 — Bascule "site B" — mairie (run)
          operator alice on host mairie-01, runbook SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
          started 2026-11-29T09:30:00.000Z, finished 2026-11-29T09:30:06.420Z

        +0.000s   09:30:00.000  run.started                        runbook bascule-mairie v3; mode run; operator alice; host mairie-01
        +0.010s   09:30:00.010  step.started     check-portail     check.http; Le portail répond
        +0.105s   09:30:00.105  step.attempt     check-portail #1  failed: GET HTTP 503 in 93 ms; reason: HTTP 503, expected 200
        +0.512s   09:30:00.512  step.attempt     check-portail #2  succeeded: GET HTTP 200 in 81 ms
        +0.513s   09:30:00.513  step.finished    check-portail     succeeded: 2 attempts; 503 ms
        +0.520s   09:30:00.520  step.started     titre             run; <script>alert(1)</script>
        +0.731s   09:30:00.731  step.attempt     titre #1          succeeded: exit 0; stdout: a & b <ok>
        +0.732s   09:30:00.732  step.finished    titre             succeeded: 1 attempt; 212 ms
        +0.740s   09:30:00.740  step.started     confirmer         confirm; Feu vert du maire
        +4.200s   09:30:04.200  step.attempt     confirmer #1      succeeded: confirmed by alice; typed 'yes' at the terminal
        +4.200s   09:30:04.200  confirm.granted  confirmer         granted: by alice; typed 'yes' at the terminal
        +4.201s   09:30:04.201  step.finished    confirmer         succeeded: 1 attempt; 3461 ms
        +4.210s   09:30:04.210  step.started     prevenir          notify; Prévenir les services
        +6.400s   09:30:06.400  step.attempt     prevenir #1       failed: undelivered; in the outbox: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json; reason: crise: HTTP 503; secours: connection refused
        +6.401s   09:30:06.401  step.finished    prevenir          failed: 1 attempt; 2191 ms; reason: crise: HTTP 503; secours: connection refused
        +6.420s   09:30:06.420  run.finished                       failed: 6420 ms; 3 succeeded; 1 failed; 0 skipped; 0 cancelled

        Summary
          status: failed in 6.4s (3 succeeded, 1 failed)
          records: 16, steps: 4
          notification prevenir: undelivered (tried crise: HTTP 503, secours: connection refused), waiting in the outbox (filet-journal/outbox/20261129T093000Z-ab12-prevenir.json)
          confirmation confirmer: granted by alice at 2026-11-29T09:30:04.200Z (typed 'yes' at the terminal)
          integrity: intact: verified 1..16 of 16 records (hash chain), run closed

        """
}
