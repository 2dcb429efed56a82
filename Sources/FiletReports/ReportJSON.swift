import FiletEngine
import FiletJournal
public import FiletSupport

/// `filet audit report --format json`: the schema documented in `docs/reports.md`.
/// Members are only ever added; ``schemaVersion`` changes when one is removed or changes meaning.
public enum ReportJSON: Sendable {
    public static let schemaVersion = 1

    /// Times as the journal wrote them (UTC, `…Z`), each beside its `…_local` twin in `time`'s zone
    /// (the host's by default), RFC 3339 with the offset.
    public static func value(_ timeline: RunTimeline, time: LocalTime = .host) -> JSONValue {
        let verification = timeline.verification
        func optionalInt(_ value: Int?) -> JSONValue { value.map { .integer($0) } ?? .null }
        func local(_ timestamp: String?) -> JSONValue { .optional(timestamp.flatMap(time.rfc3339(journal:))) }
        return .object([
            ("schema_version", .integer(schemaVersion)),
            ("kind", "run-report"),
            ("journal", .string(timeline.path)),
            (
                "run",
                .object([
                    ("id", .string(timeline.runID)),
                    ("runbook", .optional(timeline.runbook)),
                    ("title", .optional(timeline.title)),
                    ("version", optionalInt(timeline.version)),
                    ("runbook_sha256", .optional(timeline.runbookSHA256)),
                    ("mode", .optional(timeline.mode)),
                    ("operator", .optional(timeline.operatorName)),
                    ("os_uid", optionalInt(timeline.systemUser?.uid)),
                    ("os_user", .optional(timeline.systemUser?.name)),
                    ("host", .optional(timeline.host)),
                    ("filet_version", .optional(timeline.filetVersion)),
                    ("started_at", .optional(timeline.startedAt)),
                    ("finished_at", .optional(timeline.finishedAt)),
                    ("started_at_local", local(timeline.startedAt)),
                    ("finished_at_local", local(timeline.finishedAt)),
                    ("duration_ms", .integer(timeline.duration)),
                    ("status", .string(timeline.status)),
                    ("counts", .object(timeline.counts.map { ($0.0, .integer($0.1)) })),
                ])
            ),
            ("integrity", integrity(verification, tornTail: timeline.tornTail)),
            (
                "steps",
                .array(
                    timeline.steps.map { step in
                        .object([
                            ("id", .string(step.id)), ("title", .optional(step.title)), ("action", .string(step.action)),
                            ("phase", .string(step.phase)), ("status", .string(step.status)), ("attempts", .integer(step.attempts)),
                            ("duration_ms", .integer(step.duration)), ("start_offset_ms", optionalInt(step.start)),
                            ("end_offset_ms", optionalInt(step.end)), ("reason", .optional(step.reason)),
                            ("observed", .array(step.observed.map { .string($0) })), ("would", .optional(step.would)),
                        ])
                    })
            ),
            (
                "notifications",
                .array(
                    timeline.notifications.map { notification in
                        .object([
                            ("step", .string(notification.step)), ("channel", .optional(notification.channel)),
                            ("outcome", .string(notification.outcome)), ("delivered", .bool(notification.isDelivered)),
                            ("delivered_at", .optional(notification.deliveredAt)),
                            ("delivered_at_local", local(notification.deliveredAt)), ("outbox", .optional(notification.outbox)),
                            (
                                "deliveries",
                                .array(
                                    notification.deliveries.map { delivery in
                                        .object([
                                            ("channel", .string(delivery.channel)), ("outcome", .string(delivery.outcome)),
                                            ("reason", .optional(delivery.reason)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
            (
                "confirmations",
                .array(
                    timeline.confirmations.map { confirmation in
                        .object([
                            ("step", .string(confirmation.step)), ("granted", .bool(confirmation.granted)),
                            ("by", .optional(confirmation.by)),
                            ("how", .optional(confirmation.how)), ("at", .string(confirmation.timestamp)),
                            ("at_local", local(confirmation.timestamp)),
                            ("reason", .optional(confirmation.reason)),
                            ("os_uid", optionalInt(confirmation.systemUser?.uid)),
                            ("os_user", .optional(confirmation.systemUser?.name)),
                        ])
                    })
            ),
            (
                "failures",
                .array(
                    timeline.failures.map { failure in
                        .object([
                            ("step", .string(failure.step)), ("attempt", optionalInt(failure.attempt)), ("at", .string(failure.timestamp)),
                            ("at_local", local(failure.timestamp)), ("reason", .string(failure.reason)),
                        ])
                    })
            ),
            ("readiness", timeline.readiness.map(readiness) ?? .null),
        ])
    }

    public static func render(_ timeline: RunTimeline, time: LocalTime = .host) -> String {
        value(timeline, time: time).rendered() + "\n"
    }

    static func integrity(_ verification: JournalVerification, tornTail: TornLine?) -> JSONValue {
        .object([
            ("intact", .bool(verification.isIntact)), ("verdict", .string(verification.verdict)),
            ("records", .integer(verification.recordCount)), ("verified_through", .integer(verification.verifiedThrough)),
            ("macs_checked", .bool(verification.macsChecked)), ("closed", .bool(verification.isClosed)),
            ("torn_tail", tornTail.map { .object([("line", .integer($0.line)), ("reason", .string($0.reason))]) } ?? .null),
            (
                "problems",
                .array(
                    verification.problems.map { problem in
                        .object([
                            ("line", .integer(problem.line)), ("kind", .string(problem.kind.rawValue)),
                            ("message", .string(problem.message)),
                        ])
                    })
            ),
        ])
    }

    static func readiness(_ readiness: DrillReadiness) -> JSONValue {
        .object([
            ("percent", .integer(readiness.percentage)), ("steps_considered", .integer(readiness.considered)),
            ("steps_would_succeed", .integer(readiness.wouldSucceed)), ("simulated", readiness.simulatedJSON),
            ("checks", readiness.checksJSON), ("channels", readiness.channelsJSON),
        ])
    }
}
