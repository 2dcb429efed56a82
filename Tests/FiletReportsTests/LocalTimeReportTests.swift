import FiletJournal
import FiletReports
import FiletSupport
import FiletTestSupport
import Foundation
import Testing

/// A zone of the tz database, through Foundation: the renderers take the zone, so these tests do not depend on
/// the host's (the binary's use of `TZ` is tested in FiletCLITests).
private func zone(_ identifier: String) throws -> LocalTime {
    let zone = try #require(TimeZone(identifier: identifier))
    return LocalTime { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0) / 1000)) }
}

/// Times in the reports: local, with the offset; the journal's UTC stays in the JSON beside its local twin.
@Suite struct LocalTimeReportTests {
    /// The fixed run journal with its times changed by `edit` (line number from 1, line), its hash chain whole again.
    static func moved(into directory: TemporaryDirectory, _ edit: (Int, String) -> String) throws -> RunTimeline {
        let path = try ReportFixture.copy(ReportFixture.run, into: directory) { lines in
            try! rechained(lines.enumerated().map { Array(edit($0.offset + 1, text($0.element)).utf8) })
        }
        let timeline = try ReportFixture.timeline(path)
        #expect(timeline.verification.isIntact, "\(timeline.verification.verdict)")
        return timeline
    }

    /// Only the times differ from the UTC rendering.
    static func expectOnlyTimesMoved(
        _ local: String, _ utc: String, from localPrefix: String, to utcPrefix: String, offset: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        #expect(local.replacing(localPrefix, with: utcPrefix).replacing(offset, with: "+00:00") == utc, sourceLocation: sourceLocation)
    }

    @Test func parisInWinter() throws {
        let timeline = try ReportFixture.timeline(ReportFixture.run)
        let paris = try zone("Europe/Paris")
        let shown = TimelineText.render(timeline, time: paris)
        #expect(shown.contains("\n  started 2026-11-29 10:30:00 +01:00, finished 2026-11-29 10:30:06 +01:00\n"))
        #expect(shown.contains("\n+0.010s   10:30:00.010  step.started     check-portail     check.http; Le portail répond\n"))
        #expect(shown.contains("  confirmation confirmer: granted by alice at 2026-11-29 10:30:04 +01:00 (typed 'yes' at the terminal)\n"))
        Self.expectOnlyTimesMoved(shown, TimelineText.render(timeline, time: .utc), from: "10:30:", to: "09:30:", offset: "+01:00")

        let markdown = ReportMarkdown.render(timeline, time: paris)
        #expect(markdown.contains("| Started | 2026-11-29 10:30:00 +01:00 |\n| Finished | 2026-11-29 10:30:06 +01:00 |"))
        #expect(markdown.contains("| confirmer | granted | alice | 2026-11-29 10:30:04 +01:00 | typed 'yes' at the terminal |"))
        #expect(markdown.contains("- 2026-11-29 10:30:00 +01:00 check-portail attempt 1: HTTP 503, expected 200"))
        Self.expectOnlyTimesMoved(markdown, ReportMarkdown.render(timeline, time: .utc), from: "10:30:", to: "09:30:", offset: "+01:00")

        let html = ReportHTML.render(timeline, time: paris)
        #expect(html.contains("<tr><th>Started</th><td>2026-11-29 10:30:00 +01:00</td></tr>"))
        #expect(html.contains("<td>2026-11-29 10:30:04 +01:00</td>"))
        Self.expectOnlyTimesMoved(html, ReportHTML.render(timeline, time: .utc), from: "10:30:", to: "09:30:", offset: "+01:00")

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(ReportJSON.render(timeline, time: paris).utf8)) as? [String: Any])
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["started_at"] as? String == "2026-11-29T09:30:00.000Z", "the journal's UTC stays")
        #expect(run["started_at_local"] as? String == "2026-11-29T10:30:00.000+01:00")
        #expect(run["finished_at"] as? String == "2026-11-29T09:30:06.420Z")
        #expect(run["finished_at_local"] as? String == "2026-11-29T10:30:06.420+01:00")
        let confirmation = try #require((json["confirmations"] as? [[String: Any]])?.first)
        #expect(
            confirmation["at"] as? String == "2026-11-29T09:30:04.200Z"
                && confirmation["at_local"] as? String == "2026-11-29T10:30:04.200+01:00")
        let failure = try #require((json["failures"] as? [[String: Any]])?.first)
        #expect(failure["at"] as? String == "2026-11-29T09:30:00.105Z" && failure["at_local"] as? String == "2026-11-29T10:30:00.105+01:00")
        let notification = try #require((json["notifications"] as? [[String: Any]])?.first)
        #expect(notification["delivered_at"] is NSNull && notification["delivered_at_local"] is NSNull)
    }

    @Test func parisInSummer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let timeline = try Self.moved(into: directory) { _, line in line.replacing("\"ts\":\"2026-11-29T", with: "\"ts\":\"2026-07-14T") }
        let paris = try zone("Europe/Paris")
        let shown = TimelineText.render(timeline, time: paris)
        #expect(shown.contains("\n  started 2026-07-14 11:30:00 +02:00, finished 2026-07-14 11:30:06 +02:00\n"))
        #expect(shown.contains("\n+4.200s   11:30:04.200  confirm.granted  confirmer"))
        let markdown = ReportMarkdown.render(timeline, time: paris)
        #expect(markdown.contains("| Started | 2026-07-14 11:30:00 +02:00 |"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(ReportJSON.render(timeline, time: paris).utf8)) as? [String: Any])
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["started_at"] as? String == "2026-07-14T09:30:00.000Z")
        #expect(run["started_at_local"] as? String == "2026-07-14T11:30:00.000+02:00")
    }

    @Test func kolkataIsFiveHoursAndAHalfAhead() throws {
        let timeline = try ReportFixture.timeline(ReportFixture.run)
        let kolkata = try zone("Asia/Kolkata")
        let shown = TimelineText.render(timeline, time: kolkata)
        #expect(shown.contains("\n  started 2026-11-29 15:00:00 +05:30, finished 2026-11-29 15:00:06 +05:30\n"))
        #expect(shown.contains("\n+0.512s   15:00:00.512  step.attempt     check-portail #2  succeeded: GET HTTP 200 in 81 ms\n"))
        Self.expectOnlyTimesMoved(shown, TimelineText.render(timeline, time: .utc), from: "15:00:", to: "09:30:", offset: "+05:30")
        #expect(ReportMarkdown.render(timeline, time: kolkata).contains("| Finished | 2026-11-29 15:00:06 +05:30 |"))
    }

    /// A run across the end of summer time: the clocks go back an hour, so each says its offset.
    @Test func aRunAcrossADaylightSavingChangeGivesEachClockItsOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Records 1–9 just before 2026-10-25T01:00Z (03:00 summer time in Paris), the rest just after (02:00 winter time).
        let timeline = try Self.moved(into: directory) { number, line in
            line.replacing("\"ts\":\"2026-11-29T09:30:0", with: number <= 9 ? "\"ts\":\"2026-10-25T00:59:5" : "\"ts\":\"2026-10-25T01:00:0")
        }
        let shown = TimelineText.render(timeline, time: try zone("Europe/Paris"))
        #expect(shown.contains("\n  started 2026-10-25 02:59:50 +02:00, finished 2026-10-25 02:00:06 +01:00\n"))
        #expect(shown.contains("\n+0.000s   02:59:50.000 +02:00  run.started "))
        #expect(shown.contains("\n+14.200s  02:00:04.200 +01:00  step.attempt     confirmer #1 "))
        // In one offset, the clocks need none.
        #expect(TimelineText.render(timeline, time: .utc).contains("\n+14.200s  01:00:04.200  step.attempt     confirmer #1 "))
    }

    @Test func theFolderSummaryDatesRunsLocally() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try ReportFixture.copy(ReportFixture.run, into: directory)
        _ = try ReportFixture.copy(ReportFixture.drill, into: directory)
        let summary = try RunsSummary.load(directory: directory.path)
        let paris = try zone("Europe/Paris")
        let markdown = summary.markdown(time: paris)
        #expect(markdown.contains("| 2026-11-29 10:30:00 +01:00 | bascule-mairie | run | failed |"))
        #expect(markdown.contains("| 2026-12-01 09:00:00 +01:00 | 100% |"))
        #expect(ReportHTML.render(summary, time: paris).contains("<tr><td>2026-11-29 10:30:00 +01:00</td>"))
        let runs = try #require(
            (try JSONSerialization.jsonObject(with: Data(summary.json(time: paris).rendered().utf8)) as? [String: Any])?["runs"]
                as? [[String: Any]])
        #expect(runs.map { $0["started_at"] as? String } == ["2026-11-29T09:30:00.000Z", "2026-12-01T08:00:00.000Z"])
        #expect(runs.map { $0["started_at_local"] as? String } == ["2026-11-29T10:30:00.000+01:00", "2026-12-01T09:00:00.000+01:00"])
    }
}
