import Crypto
import FiletEngine
import FiletJournal
import FiletReports
import FiletSupport
import FiletTestSupport
import Foundation
import Testing

/// The fixed journals of `Tests/Fixtures/reports/` (written by its `make-fixtures.py`): fixed times and run ids,
/// so the rendered texts can be compared whole.
enum ReportFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reports").path
    /// A run: a check retried, a command, a confirmation, a notification left in the outbox; the run failed.
    static let run = folder + "/20261129T093000Z-ab12.jsonl"
    /// A drill: a DNS check, a simulated command, a delivered notification, a step skipped by its `when`.
    static let drill = folder + "/20261201T080000Z-cd34.jsonl"

    static func timeline(_ path: String) throws -> RunTimeline { try RunTimeline.load(path: path) }

    /// A copy of `path` in a fresh folder, its lines changed by `edit`.
    static func copy(_ path: String, into directory: TemporaryDirectory, edit: ([[UInt8]]) -> [[UInt8]] = { $0 }, tail: [UInt8] = []) throws
        -> String
    {
        let target = directory.path + "/" + URL(fileURLWithPath: path).lastPathComponent
        try write(lines: edit(lines(of: path)), to: target)
        if !tail.isEmpty {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(tail))
            try handle.close()
        }
        return target
    }
}

@Suite struct ReportTests {
    @Test func fixturesAreIntactHashChains() throws {
        for path in [ReportFixture.run, ReportFixture.drill] {
            let verification = try JournalVerifier.verify(
                path: path, runbookSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
            #expect(verification.isIntact, "\(path): \(verification.problems)")
            // The chain by hand: each prev is the SHA-256 of the line before.
            let all = try lines(of: path)
            for index in 1..<all.count {
                let digest = SHA256.hash(data: all[index - 1]).map { String(format: "%02x", $0) }.joined()
                #expect(text(all[index]).contains("\"prev\":\"\(digest)\""))
            }
        }
    }

    @Test func timelineModel() throws {
        let timeline = try ReportFixture.timeline(ReportFixture.run)
        #expect(timeline.runID == "20261129T093000Z-ab12")
        #expect(timeline.status == "failed" && timeline.duration == 6420 && timeline.mode == "run")
        #expect(timeline.steps.map(\.id) == ["check-portail", "titre", "confirmer", "prevenir"])
        #expect(timeline.steps[0].attempts == 2 && timeline.steps[0].start == 10 && timeline.steps[0].end == 513)
        #expect(timeline.notifications.count == 1 && timeline.notifications[0].outbox != nil && !timeline.notifications[0].isDelivered)
        #expect(timeline.confirmations.map(\.by) == ["alice"])
        #expect(timeline.failures.map(\.step) == ["check-portail", "prevenir", "prevenir"])
        #expect(timeline.readiness == nil)
    }

    @Test func showGolden() throws {
        let text = TimelineText.render(try ReportFixture.timeline(ReportFixture.run), time: .utc)
        #expect(text == Self.showGolden)
    }

    @Test func showFilters() throws {
        let timeline = try ReportFixture.timeline(ReportFixture.run)
        let events = { (filter: TimelineText.Filter) in
            TimelineText.render(timeline, filter: filter).split(separator: "\n").filter { $0.hasPrefix("+") }
        }
        let byStep = events(.init(step: "confirmer"))
        #expect(byStep.count == 4 && byStep.allSatisfy { $0.contains("confirmer") })
        let failed = events(.init(failedOnly: true))
        #expect(failed.count == 3 && failed.allSatisfy { $0.contains("prevenir") })
        let attempts = events(.init(type: "step.attempt"))
        #expect(attempts.count == 5 && attempts.allSatisfy { $0.contains("step.attempt") })
        #expect(events(.init(type: "confirm")).count == 1)
        #expect(TimelineText.render(timeline, filter: .init(step: "nope")).contains("(no event matches)"))
    }

    @Test func markdownGolden() throws {
        let text = ReportMarkdown.render(try ReportFixture.timeline(ReportFixture.run), time: .utc)
        #expect(text == Self.markdownGolden)
    }

    @Test func drillReadinessRebuiltFromTheJournal() throws {
        let timeline = try ReportFixture.timeline(ReportFixture.drill)
        let readiness = try #require(timeline.readiness)
        #expect(readiness.percentage == 100 && readiness.considered == 3 && readiness.wouldSucceed == 3)
        #expect(readiness.simulated.map(\.step) == ["basculer"] && readiness.simulated[0].would == "run: systemctl start site-b")
        #expect(readiness.checks.map(\.step) == ["dns"] && readiness.checks[0].latency == 25)
        #expect(readiness.channels.map(\.channel) == ["crise"] && readiness.channels[0].reached == true)
        let markdown = ReportMarkdown.render(timeline)
        #expect(markdown.contains("## Readiness\n\n**100%**: 3 of 3 steps would have succeeded."))
        #expect(markdown.contains("| crise | yes | prevenir |"))
        #expect(markdown.contains("- basculer: run: systemctl start site-b"))
    }

    @Test func htmlEscapesEveryJournalTextAndIsSelfContained() throws {
        for path in [ReportFixture.run, ReportFixture.drill] {
            let html = ReportHTML.render(try ReportFixture.timeline(path))
            Self.expectSelfContained(html)
        }
        let html = ReportHTML.render(try ReportFixture.timeline(ReportFixture.run))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a &amp; b &lt;ok&gt;"))
        #expect(html.contains("Bascule &quot;site B&quot; — mairie"))
        #expect(html.contains("typed &#39;yes&#39; at the terminal"))
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(html.contains("<svg class=\"chart\""))
    }

    /// No script, no external resource: nothing fetched when the file is opened.
    static func expectSelfContained(_ html: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let lower = html.lowercased()
        #expect(!lower.contains("<script"), sourceLocation: sourceLocation)
        #expect(!lower.contains("javascript:"), sourceLocation: sourceLocation)
        for pattern in [
            #"(src|href)\s*=\s*["']?\s*(https?:)?//"#, #"url\(\s*["']?\s*(https?:)?//"#, #"@import"#, #"<link\b"#, #"<iframe\b"#,
            #"<object\b"#, #"<embed\b"#,
        ] {
            #expect(lower.range(of: pattern, options: .regularExpression) == nil, "\(pattern)", sourceLocation: sourceLocation)
        }
        #expect(!lower.contains("http://") && !lower.contains("https://"), sourceLocation: sourceLocation)
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let text = ReportJSON.render(try ReportFixture.timeline(ReportFixture.drill))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == Self.documentedKeys["report"])
        #expect(object["schema_version"] as? Int == 1 && object["kind"] as? String == "run-report")
        let run = try #require(object["run"] as? [String: Any])
        #expect(Set(run.keys) == Self.documentedKeys["run"])
        let integrity = try #require(object["integrity"] as? [String: Any])
        #expect(Set(integrity.keys) == Self.documentedKeys["integrity"])
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.count == 4 && steps.allSatisfy { Set($0.keys) == Self.documentedKeys["step"] })
        let notifications = try #require(object["notifications"] as? [[String: Any]])
        #expect(notifications.allSatisfy { Set($0.keys) == Self.documentedKeys["notification"] })
        let readiness = try #require(object["readiness"] as? [String: Any])
        #expect(Set(readiness.keys) == Self.documentedKeys["readiness"] && readiness["percent"] as? Int == 100)

        let runText = ReportJSON.render(try ReportFixture.timeline(ReportFixture.run))
        let runObject = try #require(try JSONSerialization.jsonObject(with: Data(runText.utf8)) as? [String: Any])
        #expect(runObject["readiness"] is NSNull)
        let confirmations = try #require(runObject["confirmations"] as? [[String: Any]])
        #expect(confirmations.count == 1 && Set(confirmations[0].keys) == Self.documentedKeys["confirmation"])
        let failures = try #require(runObject["failures"] as? [[String: Any]])
        #expect(failures.count == 3 && failures.allSatisfy { Set($0.keys) == Self.documentedKeys["failure"] })

        // Every key is documented in docs/reports.md.
        let docs = try String(contentsOfFile: ReportFixture.folder + "/../../../docs/reports.md", encoding: .utf8)
        for key in Self.documentedKeys.values.flatMap({ $0 }) {
            #expect(docs.contains("`\(key)`"), "docs/reports.md does not document `\(key)`")
        }
    }

    static let documentedKeys: [String: Set<String>] = [
        "report": [
            "schema_version", "kind", "journal", "run", "integrity", "steps", "notifications", "confirmations", "failures", "readiness",
        ],
        "run": [
            "id", "runbook", "title", "version", "runbook_sha256", "mode", "operator", "os_uid", "os_user", "host", "filet_version",
            "started_at",
            "finished_at", "started_at_local", "finished_at_local", "duration_ms", "status", "counts",
        ],
        "integrity": ["intact", "verdict", "records", "verified_through", "macs_checked", "closed", "torn_tail", "problems"],
        "step": [
            "id", "title", "action", "phase", "status", "attempts", "duration_ms", "start_offset_ms", "end_offset_ms", "reason",
            "observed", "would",
        ],
        "notification": ["step", "channel", "outcome", "delivered", "delivered_at", "delivered_at_local", "outbox", "deliveries"],
        "confirmation": ["step", "granted", "by", "how", "at", "at_local", "reason", "os_uid", "os_user"],
        "failure": ["step", "attempt", "at", "at_local", "reason"],
        "readiness": ["percent", "steps_considered", "steps_would_succeed", "simulated", "checks", "channels"],
        "summary": ["schema_version", "kind", "directory", "runs"],
        "summary-run": [
            "journal", "run", "started_at", "started_at_local", "runbook", "title", "mode", "status", "duration_ms", "readiness_percent",
            "intact", "verdict",
        ],
    ]

    @Test func tornTailIsSaidAndTheVerdictComesFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try ReportFixture.copy(
            ReportFixture.run, into: directory, edit: { Array($0.dropLast()) }, tail: Array(#"{"seq":16,"ts":"2026-11-29T09:30"#.utf8))
        let timeline = try ReportFixture.timeline(path)
        let shown = TimelineText.render(timeline)
        #expect(shown.hasPrefix("INTEGRITY: NOT INTACT: verified 1..15 of 15 records (hash chain); 2 problems, the first on line 15\n"))
        #expect(shown.contains("Torn tail: line 16 is not a whole record"))
        #expect(shown.contains("status: not closed"))
        let markdown = ReportMarkdown.render(timeline)
        #expect(markdown.contains("> **INTEGRITY: NOT INTACT"))
        #expect(markdown.contains("| Finished | never (not closed) |"))
        let html = ReportHTML.render(timeline)
        let alert = try #require(html.range(of: "<section class=\"alert\">"))
        #expect(alert.lowerBound < html.range(of: "<table class=\"facts\">")!.lowerBound)
    }

    @Test func tamperedJournalShowsItsVerdictFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try ReportFixture.copy(ReportFixture.run, into: directory) { lines in
            var lines = lines
            lines[3] = Array(text(lines[3]).replacing(#""status":200"#, with: #""status":201"#).utf8)
            return lines
        }
        let shown = TimelineText.render(try ReportFixture.timeline(path))
        let first = shown.split(separator: "\n").prefix(2).map(String.init)
        #expect(first.first == "INTEGRITY: NOT INTACT: verified 1..3 of 16 records (hash chain); 1 problem, the first on line 4")
        #expect(first.last?.hasPrefix("  line 4: modified: ") == true)
        #expect(shown.contains("GET HTTP 201 in 81 ms"))
        #expect(shown.hasSuffix("  integrity: NOT INTACT: verified 1..3 of 16 records (hash chain); 1 problem, the first on line 4\n"))
    }

    @Test func folderSummaryOldestFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try ReportFixture.copy(ReportFixture.drill, into: directory)
        _ = try ReportFixture.copy(ReportFixture.run, into: directory)
        // A tampered drill, a month later, whose readiness fell: its check failed.
        let later = directory.path + "/20270101T080000Z-ef56.jsonl"
        let drill = try lines(of: ReportFixture.drill).map {
            Array(
                text($0).replacing("20261201T080000Z-cd34", with: "20270101T080000Z-ef56")
                    .replacing("2026-12-01", with: "2027-01-01").replacing(
                        #""status":"succeeded","reason":null,"attempts":1,"duration_ms":27"#,
                        with: #""status":"failed","reason":"no address","attempts":1,"duration_ms":27"#
                    ).utf8)
        }
        try write(lines: drill, to: later)
        try Data("not a journal\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/notifications-x.jsonl"))
        let summary = try RunsSummary.load(directory: directory.path)
        #expect(summary.rows.map(\.runID) == ["20261129T093000Z-ab12", "20261201T080000Z-cd34", "20270101T080000Z-ef56"])
        #expect(summary.rows.map(\.readiness) == [nil, 100, 66])
        #expect(summary.rows.map(\.intact) == [true, true, false])
        #expect(summary.readinessOverTime.map(\.1) == [100, 66])
        let markdown = summary.markdown(time: .utc)
        #expect(
            markdown.contains("| 2026-11-29 09:30:00 +00:00 | bascule-mairie | run | failed | 6.4s | — | intact | 20261129T093000Z-ab12 |"))
        #expect(markdown.contains("| 2027-01-01 08:00:00 +00:00 | 66% |"))
        let html = ReportHTML.render(summary)
        Self.expectSelfContained(html)
        #expect(html.contains("<polyline points="))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.json().rendered().utf8)) as? [String: Any])
        #expect(Set(json.keys) == Self.documentedKeys["summary"])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 3 && runs.allSatisfy { Set($0.keys) == Self.documentedKeys["summary-run"] })
    }
}
