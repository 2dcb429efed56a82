import FiletEngine
public import FiletJournal
import FiletRunbook
public import FiletSupport
import Foundation

/// Every run of a journal folder, one row each, oldest first: what `filet audit report DIR` shows.
public struct RunsSummary: Sendable {
    public struct Row: Sendable {
        public var journal: String
        public var runID: String
        public var startedAt: String?
        public var runbook: String?
        public var title: String?
        public var mode: String?
        public var status: String
        public var duration: Int
        /// Drills only.
        public var readiness: Int?
        public var intact: Bool
        public var verdict: String
    }

    public var directory: String
    public var rows: [Row]

    /// The `.jsonl` journals directly in `directory` (the outbox and notification files are not journals:
    /// only files named like a run id are read).
    public static func load(directory: String, key: [UInt8]? = nil) throws(JournalError) -> RunsSummary {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".jsonl") && RunID(String($0.dropLast(6))) != nil }.sorted()
        var rows: [Row] = []
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            do throws(JournalError) {
                let timeline = try RunTimeline.load(path: path, key: key)
                rows.append(
                    Row(
                        journal: path, runID: timeline.runID, startedAt: timeline.startedAt, runbook: timeline.runbook,
                        title: timeline.title, mode: timeline.mode, status: timeline.status, duration: timeline.duration,
                        readiness: timeline.readiness?.percentage, intact: timeline.verification.isIntact,
                        verdict: timeline.verification.verdict))
            } catch {
                if error.kind == .invalidKey { throw error }
                rows.append(
                    Row(
                        journal: path, runID: String(name.dropLast(6)), startedAt: nil, runbook: nil, title: nil, mode: nil,
                        status: "unreadable", duration: 0, readiness: nil, intact: false, verdict: error.message))
            }
        }
        rows.sort { ($0.startedAt ?? $0.runID, $0.runID) < ($1.startedAt ?? $1.runID, $1.runID) }
        return RunsSummary(directory: directory, rows: rows)
    }

    public init(directory: String, rows: [Row]) {
        self.directory = directory
        self.rows = rows
    }

    /// `(date, percent)` of every drill, oldest first.
    public var readinessOverTime: [(String, Int)] {
        rows.compactMap { row in row.readiness.map { (row.startedAt ?? row.runID, $0) } }
    }

    /// Dates are shown in `time`'s zone (the host's by default), with their offset.
    public func markdown(time: LocalTime = .host) -> String {
        var out = "# Runs in \(ReportMarkdown.cell(directory))\n\n\(rows.count) run\(rows.count == 1 ? "" : "s"), oldest first.\n\n"
        out += "| Date | Runbook | Mode | Status | Duration | Readiness | Integrity | Run |\n|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            out +=
                "| \(row.startedAt.map(time.dateTime(journal:)) ?? "?") | \(ReportMarkdown.cell(row.runbook ?? "?")) | \(row.mode ?? "?") | "
            out += "\(ReportMarkdown.cell(row.status)) | \(RunTimeline.durationText(row.duration)) | "
            out += "\(row.readiness.map { "\($0)%" } ?? "—") | \(row.intact ? "intact" : "NOT INTACT") | \(row.runID) |\n"
        }
        let points = readinessOverTime
        if !points.isEmpty {
            out += "\n## Readiness over time\n\n| Date | Readiness |\n|---|---|\n"
            for (date, percent) in points { out += "| \(time.dateTime(journal: date)) | \(percent)% |\n" }
        }
        return out
    }

    /// `started_at` as the journal wrote it (UTC), and `started_at_local` in `time`'s zone.
    public func json(time: LocalTime = .host) -> JSONValue {
        .object([
            ("schema_version", .integer(ReportJSON.schemaVersion)),
            ("kind", "runs-summary"),
            ("directory", .string(directory)),
            (
                "runs",
                .array(
                    rows.map { row in
                        .object([
                            ("journal", .string(row.journal)), ("run", .string(row.runID)), ("started_at", .optional(row.startedAt)),
                            ("started_at_local", .optional(row.startedAt.flatMap(time.rfc3339(journal:)))),
                            ("runbook", .optional(row.runbook)), ("title", .optional(row.title)), ("mode", .optional(row.mode)),
                            ("status", .string(row.status)), ("duration_ms", .integer(row.duration)),
                            ("readiness_percent", row.readiness.map { .integer($0) } ?? .null),
                            ("intact", .bool(row.intact)), ("verdict", .string(row.verdict)),
                        ])
                    })
            ),
        ])
    }
}
