import FiletEngine
import FiletNotify
import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

/// `filet outbox list` and `filet outbox deliver`, run as the real binary on real outbox files.
@Suite struct OutboxCommandTests {
    /// A runbook with a `file:` channel writing to `notifications.jsonl` and a webhook channel, and an entry for each.
    private func prepare(_ directory: TestDirectory, webhookEntry: Bool = false) throws -> (runbook: String, outbox: Outbox) {
        let runbook = try directory.write(
            "runbook.yaml",
            """
            runbook: bascule
            title: Bascule
            channels:
              journal:
                file: \(directory.path("notifications.jsonl"))
              crise:
                webhook: ${env.FILET_TEST_HOOK}
            steps:
              - id: canal
                notify: { channel: journal, text: "Cellule ouverte" }
              - id: alerte
                notify: { channel: crise, text: "Alerte" }

            """)
        let sha = try SourceFile.read(path: runbook).sha256
        let outbox = Outbox(journalDirectory: directory.journal)
        let now = OutboxEntry.nowMilliseconds()
        func entry(step: String, channel: String, created: Int64) -> OutboxEntry {
            let run = "20261129T093757Z-b665"
            let message = NotificationMessage(
                id: NotificationMessage.id(runID: run, stepID: step), runbookID: "bascule", runbookTitle: "Bascule",
                runID: run, mode: .run, stepID: step, channel: channel, severity: .warning, text: "Cellule ouverte",
                timestamp: "2026-11-29T09:37:57.670Z", drill: false)
            return OutboxEntry(
                message: message, channel: channel, runbookPath: runbook, runbookSHA256: sha, createdMilliseconds: created,
                attempts: 4, lastError: "HTTP 503", journalRunID: run)
        }
        try outbox.store(entry(step: "canal", channel: "journal", created: now - 3_725_000))
        if webhookEntry { try outbox.store(entry(step: "alerte", channel: "crise", created: now - 65_000)) }
        return (runbook, outbox)
    }

    /// A journal directory without an outbox/ (no run ever left a message): empty. (A missing journal directory is a
    /// mistyped path: exit 2, in BadInputTests.)
    @Test func listsAnEmptyOutbox() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.journal, withIntermediateDirectories: true)
        let result = try await FiletProcess.run(["outbox", "list", "--journal", directory.journal])
        #expect(result.status == 0)
        #expect(result.stdout == "the outbox is empty (\(directory.journal)/outbox)\n")
    }

    @Test func listsWhatWaitsAndWhatIsCorrupt() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (_, outbox) = try prepare(directory, webhookEntry: true)
        try Data("{\"format\":".utf8).write(to: URL(fileURLWithPath: outbox.directory + "/0000000000001-msg_torn.json"))
        let text = try await FiletProcess.run(["outbox", "list", "--journal", directory.journal])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("AGE  "))
        func columns(_ line: String) -> [String] {
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(columns(lines[0]) == ["AGE", "CHANNEL", "STEP", "RUN", "ATTEMPTS", "LAST ERROR"])
        #expect(columns(lines[1]) == ["1h2m", "journal", "canal", "20261129T093757Z-b665", "4", "HTTP 503"])
        #expect(columns(lines[2]) == ["1m", "crise", "alerte", "20261129T093757Z-b665", "4", "HTTP 503"])
        #expect(
            lines[1].range(of: "canal")?.lowerBound.utf16Offset(in: lines[1])
                == lines[0].range(of: "STEP")?.lowerBound.utf16Offset(in: lines[0]))
        #expect(lines[3].hasPrefix("corrupt: \(outbox.directory)/0000000000001-msg_torn.json: corrupt entry: byte 11:"))
        #expect(lines[4] == "2 waiting in \(outbox.directory), 1 unreadable")

        let json = try await FiletProcess.run(["outbox", "list", "--journal", directory.journal, "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(entries.map { $0["step"] as? String } == ["canal", "alerte"])
        #expect(entries.first?["attempts"] as? Int == 4)
        #expect((entries.first?["age_seconds"] as? Int).map { $0 >= 3725 } == true)
        #expect((object["unreadable"] as? [[String: Any]])?.first?["file"] as? String == "0000000000001-msg_torn.json")
    }

    @Test func deliversToAFileChannelEndToEnd() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (_, outbox) = try prepare(directory)
        let result = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("  delivered msg_20261129T093757Z-b665_canal (channel journal, step canal)\n"))
        #expect(result.stdout.contains("1 delivered, 0 waiting; journal "))
        #expect(try outbox.scan().entries.isEmpty)
        let lines = try #require(directory.contents("notifications.jsonl")).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(#"{"id":"msg_20261129T093757Z-b665_canal","runbook":{"id":"bascule""#) == true)

        let journal = try JournalFile.only(in: directory.journal)
        #expect(journal.types == ["outbox.started", "outbox.attempt", "outbox.finished", "run.finished"])
        #expect(result.stdout.contains(journal.path))
        let attempt = try #require(journal.records("outbox.attempt").first)
        #expect(attempt["outcome"] as? String == "delivered")
        #expect(attempt["attempt"] as? Int == 5)
        #expect(attempt["origin_run"] as? String == "20261129T093757Z-b665")
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)")

        let again = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal])
        #expect(again.status == 0)
        #expect(again.stdout.contains("the outbox is empty"))
    }

    @Test func aChangedRunbookKeepsTheEntry() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (runbook, outbox) = try prepare(directory)
        try (try String(contentsOfFile: runbook, encoding: .utf8) + "# edited\n").write(toFile: runbook, atomically: true, encoding: .utf8)
        let result = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal, "--format", "json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let entry = try #require((object["entries"] as? [[String: Any]])?.first)
        #expect(entry["outcome"] as? String == "refused")
        #expect((entry["reason"] as? String)?.contains("\(runbook) changed since the notification was stored") == true)
        let kept = try outbox.entries()
        #expect(kept.count == 1)
        #expect(kept.first?.attempts == 4)  // not attempted
        #expect(kept.first?.lastError?.contains("changed since the notification was stored") == true)
        #expect(!directory.exists("notifications.jsonl"))
        let verify = try await FiletProcess.run(["audit", "verify", try #require(object["journal"] as? String)])
        #expect(verify.status == 0)
    }

    @Test func webhooksWaitAndTheChannelOptionSelects() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (_, outbox) = try prepare(directory, webhookEntry: true)
        // A loopback port where nothing listens: the delivery is refused, retried, and the entry waits.
        let hook = "http://127.0.0.1:\(try Loopback.unusedPort(.ipv4))/hooks/sentinel-7c1e"
        let result = try await FiletProcess.run(
            ["outbox", "deliver", "--journal", directory.journal, "--channel", "crise"],
            environment: ["FILET_TEST_HOOK": hook])
        #expect(result.status == 1)
        #expect(result.stdout.contains("  failed msg_20261129T093757Z-b665_alerte (channel crise, step alerte): "), "\(result.stdout)")
        #expect(result.stdout.contains("channel crise: 0 delivered, 1 waiting"))
        #expect(try outbox.entries().map(\.attempts) == [4, 5])  // the file channel's entry was not selected
        for path in JournalFile.paths(in: directory.journal) + [outbox.directory] {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            #expect(!text.contains("sentinel-7c1e"))
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: outbox.directory) {
            #expect(!(try String(contentsOfFile: outbox.directory + "/" + name, encoding: .utf8)).contains("sentinel-7c1e"))
        }
    }

    @Test func aBadFormatIsAUsageError() async throws {
        let result = try await FiletProcess.run(["outbox", "deliver", "--format", "xml"])
        #expect(result.status == 2)
    }
}
