public import FiletNotify
import FiletRunbook
import Foundation

/// A fresh directory for one outbox test.
public struct OutboxTestDirectory: Sendable {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("filet-outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public var outbox: Outbox { Outbox(journalDirectory: path + "/journal") }

    public func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

public enum OutboxSample: Sendable {
    public static let sha = String(repeating: "ab", count: 32)

    public static func message(
        step: String = "canal", run: String = "20261129T093757Z-b665", channel: String = "crise",
        text: String = "Cellule de crise ouverte"
    ) -> NotificationMessage {
        NotificationMessage(
            id: NotificationMessage.id(runID: run, stepID: step), runbookID: "bascule", runbookTitle: "Bascule \"B\"",
            runID: run, mode: .run, stepID: step, channel: channel, severity: .critical, text: text,
            timestamp: "2026-11-29T09:37:57.670Z", drill: false)
    }

    public static func entry(
        step: String = "canal", channel: String = "crise", created: Int64 = 1_764_409_077_670, attempts: Int = 4,
        lastError: String? = "HTTP 503", runbook: String = "/srv/runbooks/bascule.yaml", sha: String = sha
    ) -> OutboxEntry {
        OutboxEntry(
            message: message(step: step, channel: channel), channel: channel, runbookPath: runbook, runbookSHA256: sha,
            createdMilliseconds: created, attempts: attempts, lastError: lastError, journalRunID: "20261129T093757Z-b665")
    }
}
