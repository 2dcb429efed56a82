import FiletEngine
import FiletNotify
import FiletSupport
import FiletSyntax
import FiletTestSupport
import Foundation
import Synchronization
import Testing

/// Records what the delivery does, in order, with the outbox's state at each journal record.
private final class Trace: Sendable {
    let events = Mutex<[String]>([])
    func add(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
}

@Suite struct OutboxDeliveryTests {
    @Test func deliversInOrderAndRemovesOnlyAfterTheRecord() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "b", created: 2_000))
        try outbox.store(OutboxSample.entry(step: "a", created: 1_000))
        try outbox.store(OutboxSample.entry(step: "c", created: 3_000, attempts: 1))
        let trace = Trace()
        let summary = try await OutboxDelivery(outbox: outbox).run(
            deliver: { entry in
                trace.add("send \(entry.message.stepID)")
                return entry.message.stepID == "c"
                    ? .failed(reason: "HTTP 503", retryable: true) : entry.message.stepID == "b" ? .accepted : .delivered
            },
            record: { type, fields in
                // When the record is written, the entry must still be waiting.
                let step = fields.first { $0.0 == "step" }?.1
                let waiting = try outbox.entries().map { JSONValue.string($0.message.stepID) }
                trace.add("\(type) \(step?.rendered(pretty: false) ?? "") waiting=\(waiting.contains { $0 == step })")
            })
        #expect(
            trace.all == [
                "send a", #"outbox.attempt "a" waiting=true"#,
                "send b", #"outbox.attempt "b" waiting=true"#,
                "send c", #"outbox.attempt "c" waiting=true"#,
            ])
        #expect(summary.delivered == 2)
        #expect(summary.waiting == 1)
        #expect(!summary.isComplete)
        #expect(summary.outcomes.map(\.outcome) == ["delivered", "accepted", "failed"])
        let left = try outbox.entries()
        #expect(left.map(\.message.stepID) == ["c"])
        #expect(left.first?.attempts == 2)
        #expect(left.first?.lastError == "HTTP 503")
    }

    @Test func aJournalFailureKeepsTheEntry() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "a"))
        struct DiskFull: Error {}
        do {
            _ = try await OutboxDelivery(outbox: outbox).run(deliver: { _ in .delivered }, record: { _, _ in throw DiskFull() })
            Issue.record("the delivery went on without its journal")
        } catch {
            guard case .journal = error else {
                Issue.record("\(error)")
                return
            }
        }
        #expect(try outbox.entries().map(\.message.stepID) == ["a"])
    }

    @Test func aGoneChannelStopsItsOtherEntriesOnly() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "a1", channel: "crise", created: 1_000))
        try outbox.store(OutboxSample.entry(step: "b1", channel: "sms", created: 2_000))
        try outbox.store(OutboxSample.entry(step: "a2", channel: "crise", created: 3_000))
        let trace = Trace()
        let summary = try await OutboxDelivery(outbox: outbox).run(
            deliver: { entry in
                trace.add("send \(entry.message.stepID)")
                return entry.channel == "crise" ? .gone(reason: "HTTP 410") : .delivered
            },
            record: { type, fields in
                let outcome = fields.first { $0.0 == "outcome" }?.1.rendered(pretty: false) ?? "-"
                trace.add("\(type) \(fields.first { $0.0 == "step" }!.1.rendered(pretty: false)) \(outcome)")
            })
        #expect(
            trace.all == [
                "send a1", #"outbox.attempt "a1" "gone""#,
                "send b1", #"outbox.attempt "b1" "delivered""#,
                #"outbox.skipped "a2" -"#,
            ])
        #expect(summary.channels == [.init(channel: "crise", delivered: 0, waiting: 2), .init(channel: "sms", delivered: 1, waiting: 0)])
        #expect(try outbox.entries().map(\.message.stepID) == ["a1", "a2"])
        #expect(try outbox.entries().map(\.attempts) == [5, 4])  // the skipped one was not tried
    }

    @Test func onlyTheChosenChannel() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "a", channel: "crise", created: 1_000))
        try outbox.store(OutboxSample.entry(step: "b", channel: "sms", created: 2_000))
        let summary = try await OutboxDelivery(outbox: outbox, channel: "sms").run(deliver: { _ in .delivered }, record: { _, _ in })
        #expect(summary.outcomes.map(\.stepID) == ["b"])
        #expect(summary.notSelected == 1)
        #expect(summary.isComplete)
        #expect(try outbox.entries().map(\.message.stepID) == ["a"])
    }

    @Test func unreadableFilesAreRecordedAndKept() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "a"))
        try Data("{".utf8).write(to: URL(fileURLWithPath: outbox.directory + "/0000000000001-msg_x.json"))
        let trace = Trace()
        let summary = try await OutboxDelivery(outbox: outbox).run(
            deliver: { _ in .delivered }, record: { type, _ in trace.add("\(type)") })
        #expect(trace.all == ["outbox.unreadable", "outbox.attempt"])
        #expect(summary.unreadable.map(\.file) == ["0000000000001-msg_x.json"])
        #expect(!summary.isComplete)
        #expect(FileManager.default.fileExists(atPath: outbox.directory + "/0000000000001-msg_x.json"))
    }

    @Test func theDispatcherRefusesAChangedRunbookAndDeliversToAFile() async throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let target = directory.path + "/notifications.jsonl"
        let runbookPath = try directory.write(
            "runbook.yaml",
            """
            runbook: bascule
            title: Bascule
            channels:
              journal:
                file: \(target)
            steps:
              - id: canal
                notify: { channel: journal, text: "Cellule ouverte" }

            """)
        let sha = try SourceFile.read(path: runbookPath).sha256
        let entry = OutboxSample.entry(channel: "journal", runbook: runbookPath, sha: sha)
        let dispatcher = OutboxDispatcher(sender: ChannelSender(skipsRepeatsInFiles: true), environment: [:])
        #expect(await dispatcher.deliver(entry) == .delivered)
        #expect(await dispatcher.deliver(entry) == .delivered)  // the same id is not written twice
        let lines = try String(contentsOfFile: target, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let line = try JSONValue(parsing: String(lines[0]))
        #expect(line.rendered(pretty: false).hasPrefix(#"{"id":"msg_20261129T093757Z-b665_canal","runbook":{"id":"bascule""#))

        var changed = entry
        changed.runbookSHA256 = String(repeating: "0", count: 64)
        guard case .refused(let reason) = await dispatcher.deliver(changed) else {
            Issue.record("delivered with another runbook")
            return
        }
        #expect(reason.contains("changed since the notification was stored"))
    }
}
