public import FiletJournal
import FiletRunbook
public import FiletSupport
import Foundation

/// What one journal says about its run, arranged for people: the run's identity, every event with its
/// offset from the start, each step's outcome, the notifications, confirmations and failures, the
/// integrity verdict and, for a drill, the readiness rebuilt from the records.
///
/// Built from what ``JournalReader`` read and ``JournalVerifier`` found; renderers
/// (``TimelineText``, ``ReportMarkdown``, ``ReportHTML``, ``ReportJSON``) only format it.
public struct RunTimeline: Sendable {
    public struct Event: Sendable {
        public var line: Int
        public var seq: Int
        public var timestamp: String
        /// Milliseconds since the first record.
        public var offset: Int
        public var type: String
        public var step: String?
        public var attempt: Int?
        /// `succeeded`, `failed`, `granted`… when the record has one.
        public var outcome: String?
        /// What the record says, in short phrases: `exit 0`, `HTTP 503 in 81 ms`, `reason: …`.
        public var details: [String]
    }

    public struct Step: Sendable {
        public var id: String
        public var title: String?
        public var action: String
        public var phase: String
        /// `succeeded`, `failed`, `skipped`, `cancelled`, `simulated`; `running` when no `step.finished` was found.
        public var status: String
        public var attempts: Int
        public var duration: Int
        public var reason: String?
        /// Offsets from the start of the run, in milliseconds.
        public var start: Int?
        public var end: Int?
        /// What the last attempt observed, in short phrases.
        public var observed: [String]
        /// What the last attempt observed, as recorded.
        public var observations: [(String, JSONValue)]
        /// A simulated step: what it would have done.
        public var would: String?
    }

    public struct Notification: Sendable {
        public var step: String
        public var channel: String?
        /// `delivered`, `accepted`, `undelivered`, `delivered_later`, or `not sent` (simulated or skipped).
        public var outcome: String
        /// When the notification reached its channel (the record's time), if it did.
        public var deliveredAt: String?
        /// Where the outbox keeps it, when it could not be delivered.
        public var outbox: String?
        public var deliveries: [Delivery]

        public struct Delivery: Sendable {
            public var channel: String
            public var outcome: String
            public var reason: String?
        }

        public var isDelivered: Bool { outcome == "delivered" || outcome == "accepted" }
    }

    public struct Confirmation: Sendable {
        public var step: String
        public var granted: Bool
        public var by: String?
        public var how: String?
        public var reason: String?
        public var timestamp: String
        /// The operating-system account filet ran as when `by` answered.
        public var systemUser: SystemUser?
    }

    public struct Failure: Sendable {
        public var step: String
        /// The attempt, or nil for the step's final outcome.
        public var attempt: Int?
        public var timestamp: String
        public var reason: String
    }

    public var path: String
    public var runID: String
    public var runbook: String?
    public var title: String?
    public var version: Int?
    public var runbookSHA256: String?
    /// `run` or `drill`.
    public var mode: String?
    public var operatorName: String?
    /// The operating-system account that ran filet, beside ``operatorName`` (a label); nil in older journals.
    public var systemUser: SystemUser?
    public var host: String?
    public var filetVersion: String?
    public var startedAt: String?
    public var finishedAt: String?
    /// The run's duration: `run.finished`'s, else from the first record to the last.
    public var duration: Int
    /// `run.finished`'s status, or `not closed`.
    public var status: String
    public var counts: [(String, Int)]
    public var events: [Event]
    public var steps: [Step]
    public var notifications: [Notification]
    public var confirmations: [Confirmation]
    public var failures: [Failure]
    /// A drill's readiness, as `filet drill` prints it at its end; nil for a real run.
    public var readiness: DrillReadiness?
    public var verification: JournalVerification
    public var tornTail: TornLine?

    public var isDrill: Bool { mode == "drill" }

    /// Reads and verifies the journal at `path`.
    public static func load(path: String, key: [UInt8]? = nil) throws(JournalError) -> RunTimeline {
        let verification = try JournalVerifier.verify(path: path, key: key)
        let contents = try JournalReader.read(path: path)
        return RunTimeline(contents: contents, verification: verification)
    }

    public init(contents: JournalContents, verification: JournalVerification) {
        let records = contents.records
        path = contents.path
        self.verification = verification
        tornTail = contents.tornTail
        runID = records.first?.run ?? Self.runID(fromPath: contents.path)
        let origin = records.first.flatMap { Self.milliseconds($0.timestamp) } ?? 0
        func offset(_ record: JournalRecord) -> Int { Int((Self.milliseconds(record.timestamp) ?? origin) - origin) }

        let entries = records.map { record in Result { () throws(JournalRecordError) in try record.decoded() } }
        let started = entries.lazy.compactMap { if case .success(.runStarted(let started)) = $0 { started } else { nil } }.first
        let finishedIndex = entries.lastIndex { if case .success(.runFinished) = $0 { true } else { false } }
        let finished = finishedIndex.flatMap { if case .success(.runFinished(let finished)) = entries[$0] { finished } else { nil } }
        runbook = started?.runbook
        title = started?.title
        version = started?.version
        runbookSHA256 = started?.runbookSHA256
        mode = started?.mode.rawValue
        operatorName = started?.operatorName
        systemUser = started?.systemUser
        host = started?.host
        filetVersion = started?.filetVersion
        startedAt = records.first?.timestamp
        finishedAt = finishedIndex.map { records[$0].timestamp }
        duration = finished?.durationMilliseconds ?? records.last.map(offset) ?? 0
        status = finished?.status.rawValue ?? "not closed"
        counts = finished?.counts ?? []

        var plannedActions: [String: String] = [:]
        for planned in (started?.plan ?? []) + (started?.finallyPlan ?? []) { plannedActions[planned.id] = planned.action }

        var events: [Event] = []
        var steps: [Step] = []
        var stepIndex: [String: Int] = [:]
        var notifications: [Notification] = []
        var confirmations: [Confirmation] = []
        var failures: [Failure] = []
        func index(of id: String) -> Int {
            if let index = stepIndex[id] { return index }
            steps.append(
                Step(
                    id: id, title: nil, action: plannedActions[id] ?? "?", phase: StepPhase.main.rawValue, status: "running", attempts: 0,
                    duration: 0, reason: nil, start: nil, end: nil, observed: [], observations: [], would: nil))
            stepIndex[id] = steps.count - 1
            return steps.count - 1
        }
        func reason(_ reason: String?) -> [String] { reason.map { ["reason: \($0)"] } ?? [] }

        for (record, entry) in zip(records, entries) {
            var event = Event(
                line: record.line, seq: record.seq, timestamp: record.timestamp, offset: offset(record), type: record.type,
                step: nil, attempt: nil, outcome: nil, details: [])
            switch entry {
            case .success(.runStarted):
                event.details = [
                    "runbook \(runbook ?? "?")" + (version.map { " v\($0)" } ?? ""),
                    "mode \(mode ?? "?")", "operator \(Self.operatorText(operatorName, systemUser))", "host \(host ?? "?")",
                ]
            case .success(.stepStarted(let started)):
                event.step = started.step
                let position = index(of: started.step)
                steps[position].title = started.title
                steps[position].action = started.action.rawValue
                steps[position].phase = started.phase.rawValue
                if steps[position].start == nil { steps[position].start = event.offset }
                event.details = [steps[position].action] + (started.title.map { [$0] } ?? [])
            case .success(.stepAttempt(let attempt)):
                event.step = attempt.step
                event.attempt = attempt.attempt
                event.outcome = attempt.outcome
                let position = index(of: attempt.step)
                let observed = JSONFields(attempt.observed)
                let phrases = Self.describe(observed, action: steps[position].action)
                event.details = phrases + reason(attempt.reason)
                steps[position].observed = phrases
                steps[position].observations = attempt.observed
                if attempt.outcome != "succeeded", let reason = attempt.reason {
                    failures.append(Failure(step: attempt.step, attempt: attempt.attempt, timestamp: record.timestamp, reason: reason))
                }
                if steps[position].action == ActionKind.notify.rawValue {
                    let delivered = observed.string("outcome") ?? attempt.outcome
                    let deliveries: [Notification.Delivery] = observed.array("deliveries").compactMap { item in
                        guard case .object(let members) = item else { return nil }
                        let fields = JSONFields(members)
                        return Notification.Delivery(
                            channel: fields.string("channel") ?? "?", outcome: fields.string("outcome") ?? "?",
                            reason: fields.string("reason"))
                    }
                    let notification = Notification(
                        step: attempt.step, channel: observed.string("channel") ?? deliveries.first?.channel, outcome: delivered,
                        deliveredAt: delivered == "delivered" || delivered == "accepted" ? record.timestamp : nil,
                        outbox: observed.string("outbox"), deliveries: deliveries)
                    if let existing = notifications.firstIndex(where: { $0.step == attempt.step }) {
                        notifications[existing] = notification
                    } else {
                        notifications.append(notification)
                    }
                }
            case .success(.confirmation(let decision)):
                event.step = decision.step
                event.outcome = decision.granted ? "granted" : "refused"
                let who = (decision.by ?? "nobody") + (decision.systemUser.map { " (OS user \($0.label))" } ?? "")
                event.details = ["by \(who)"] + (decision.how.map { [$0] } ?? []) + reason(decision.reason)
                confirmations.append(
                    Confirmation(
                        step: decision.step, granted: decision.granted, by: decision.by, how: decision.how,
                        reason: decision.reason, timestamp: record.timestamp, systemUser: decision.systemUser))
            case .success(.stepFinished(let finished)):
                event.step = finished.step
                let position = index(of: finished.step)
                let status = finished.status.rawValue
                event.outcome = status
                steps[position].status = status
                steps[position].attempts = finished.attempts
                steps[position].duration = finished.durationMilliseconds
                steps[position].reason = finished.reason
                steps[position].would = finished.would
                steps[position].end = event.offset
                if steps[position].start == nil { steps[position].start = event.offset }
                if finished.status == .simulated, steps[position].action == ActionKind.notify.rawValue {
                    notifications.append(
                        Notification(
                            step: finished.step, channel: Self.channel(would: finished.would), outcome: "not sent (simulated)",
                            deliveredAt: nil, outbox: nil, deliveries: []))
                }
                if finished.status == .failed {
                    failures.append(
                        Failure(step: finished.step, attempt: nil, timestamp: record.timestamp, reason: finished.reason ?? status))
                }
                event.details =
                    ["\(finished.attempts) attempt\(finished.attempts == 1 ? "" : "s")", "\(finished.durationMilliseconds) ms"]
                    + reason(finished.reason) + (finished.would.map { ["would: \($0)"] } ?? [])
                    + (finished.interrupted ? ["interrupted: stopped before it ended, whether it took effect is unknown"] : [])
            case .success(.undoStarted(let undo)):
                event.step = undo.step
                event.details = ["command: \(undo.command)", undo.because]
            case .success(.undoFinished(let undo)):
                event.step = undo.step
                event.outcome = undo.outcome
                event.details = Self.describe(JSONFields(undo.observed), action: ActionKind.run.rawValue) + reason(undo.reason)
            case .success(.runInterrupted(let interruption)):
                event.details = [interruption.signal, "stops \(interruption.stops)"]
            case .success(.runTimedOut(let timeout)):
                event.details = ["limit \(timeout.limit)"]
            case .success(.runFinished(let finished)):
                event.outcome = finished.status.rawValue
                event.details = ["\(finished.durationMilliseconds) ms"] + counts.map { "\($0.1) \($0.0)" }
            case .success(.outboxAttempt(let attempt)):
                event.step = attempt.entry.step
                event.attempt = attempt.attempt
                event.details = Self.fieldsAsWritten(record)
            case .success(.outboxSkipped(let skipped)):
                event.step = skipped.entry.step
                event.details = Self.fieldsAsWritten(record)
            case .success(.stepProcess(let process)):
                event.step = process.step
                event.attempt = process.attempt
                event.details = ["process group \(process.pgid)"]
            case .success(.processKilled(let killed)):
                event.step = killed.step
                event.details = [
                    "process group \(killed.pgid), left running by the earlier run", "last signal \(killed.signal)",
                    killed.ended ? "ended" : "still running",
                ]
            case .success(.checkpoint), .success(.journalRecovered), .success(.runResumed), .success(.outboxStarted),
                .success(.outboxUnreadable), .success(.outboxFinished):
                event.details = Self.fieldsAsWritten(record)
            case .failure(let error):
                // A type this filet does not know is shown as written; a known one that lacks what its type needs says so.
                event.details = (record.kind == nil ? [] : ["malformed: \(error.message)"]) + Self.fieldsAsWritten(record)
            }
            events.append(event)
        }
        self.events = events
        self.steps = steps
        self.notifications = notifications
        self.confirmations = confirmations
        self.failures = failures
        readiness =
            started?.mode == .drill
            ? DrillReadiness(steps: steps, notifications: notifications, runID: runID, duration: duration) : nil
    }

    /// The channel a simulated notification would have used, from its `would` (`notify crise [info]: …`):
    /// channel names are `a-z`, `0-9`, `_` and `-`, so the name is the word after `notify `.
    static func channel(would: String?) -> String? {
        guard let would, would.hasPrefix("notify ") else { return nil }
        let name = would.dropFirst("notify ".count).prefix { $0 != " " }
        return name.isEmpty ? nil : String(name)
    }

    /// Every field of a record but the step (it has its column), as written.
    static func fieldsAsWritten(_ record: JournalRecord) -> [String] {
        record.fields.filter { $0.0 != "step" }.map { "\($0.0): \($0.1.rendered(pretty: false))" }
    }

    /// What an action observed, in short phrases, most telling first.
    static func describe(_ observed: JSONFields, action: String) -> [String] {
        var out: [String] = []
        switch ActionKind(rawValue: action) {
        case .checkHTTP:
            var phrase = observed.string("method").map { "\($0) " } ?? ""
            if let status = observed.integer("status") { phrase += "HTTP \(status)" } else { phrase += "no HTTP status" }
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
            if let location = observed.string("location") { out.append("location \(location)") }
            if let error = observed.string("error") { out.append("error: \(error)") }
        case .checkTCP:
            var phrase = "TCP " + (observed.string("address") ?? "not connected")
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
            let tried = observed.array("tried").compactMap { if case .string(let text) = $0 { text } else { nil } }
            if !tried.isEmpty { out.append("tried \(tried.joined(separator: ", "))") }
        case .checkDNS:
            let addresses = observed.array("addresses").compactMap { if case .string(let text) = $0 { text } else { nil } }
            var phrase = addresses.isEmpty ? "DNS: no address" : "DNS \(addresses.joined(separator: ", "))"
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
        case .notify:
            let outcome = observed.string("outcome") ?? "?"
            out.append(outcome + (observed.string("channel").map { " to \($0)" } ?? ""))
            if let outbox = observed.string("outbox") { out.append("in the outbox: \(outbox)") }
        case .confirm:
            if let by = observed.string("by") { out.append("confirmed by \(by)") }
            if let how = observed.string("how") { out.append(how) }
        case .wait:
            if let waited = observed.integer("waited_ms") { out.append("waited \(waited) ms") }
        default:
            if let code = observed.integer("exit_code") { out.append("exit \(code)") }
            if let signal = observed.string("signal") { out.append("signal \(signal)") }
            if let stdout = observed.object("stdout").string("text"), let last = stdout.split(separator: "\n").last {
                out.append("stdout: \(last)")
            }
            if let stderr = observed.object("stderr").string("text"), let last = stderr.split(separator: "\n").last {
                out.append("stderr: \(last)")
            }
            if observed.bool("killed_after_grace") == true { out.append("killed after the grace period") }
        }
        if let error = observed.string("error"), action != ActionKind.checkHTTP.rawValue { out.append("error: \(error)") }
        return out
    }

    /// Milliseconds since 1970 of a journal `ts`.
    static func milliseconds(_ timestamp: String) -> Int64? {
        Array(timestamp.utf8).withUnsafeBufferPointer { UTCTime.parseRFC3339($0, at: 0) }
    }

    static func runID(fromPath path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.hasSuffix(".jsonl") ? String(name.dropLast(6)) : name
    }

    /// `+0.512s`
    public static func offsetText(_ milliseconds: Int) -> String {
        let value = max(0, milliseconds)
        let fraction = String(value % 1000)
        return "+\(value / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }

    /// `1.2s`, `1m05s`, as `filet run` prints durations.
    public static func durationText(_ milliseconds: Int) -> String {
        RunSummary.elapsed(.milliseconds(milliseconds))
    }

    /// Counts as `3 succeeded, 1 failed` (only the non-zero ones).
    public var countsText: String {
        counts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
    }
}

/// The members of a JSON object, looked up by name.
struct JSONFields {
    var members: [(String, JSONValue)]
    init(_ members: [(String, JSONValue)]) { self.members = members }

    func value(_ name: String) -> JSONValue? { members.first { $0.0 == name }?.1 }
    func string(_ name: String) -> String? { if case .string(let text)? = value(name) { text } else { nil } }
    func integer(_ name: String) -> Int? { if case .integer(let number)? = value(name) { number } else { nil } }
    func bool(_ name: String) -> Bool? { if case .bool(let flag)? = value(name) { flag } else { nil } }
    func array(_ name: String) -> [JSONValue] { if case .array(let items)? = value(name) { items } else { [] } }
    func object(_ name: String) -> JSONFields {
        if case .object(let members)? = value(name) { JSONFields(members) } else { JSONFields([]) }
    }
}

extension RunTimeline {
    /// The opening rows of a report: what ran, where, by whom, how it ended, and whether the journal verifies.
    /// `emphasis` dresses the status for the format (bold in Markdown).
    /// Times are shown in `time`'s zone, with their offset.
    /// `chef (OS user camille, uid 1000)`: the `--operator` label, and the account that ran filet when recorded.
    public var operatorText: String { Self.operatorText(operatorName, systemUser) }

    private static func operatorText(_ operatorName: String?, _ systemUser: SystemUser?) -> String {
        (operatorName ?? "?") + (systemUser.map { " (OS user \($0.label))" } ?? "")
    }

    func identityRows(verdict: String, time: LocalTime, emphasis: (String) -> String = { $0 }) -> [(String, String)] {
        [
            ("Runbook", "\(runbook ?? "?")" + (title.map { " — \($0)" } ?? "")),
            ("Version", version.map(String.init) ?? "none"),
            ("Runbook SHA-256", runbookSHA256 ?? "?"),
            ("Run", runID),
            ("Mode", mode ?? "?"),
            ("Operator", operatorText),
            ("Host", host ?? "?"),
            ("Started", startedAt.map(time.dateTime(journal:)) ?? "?"),
            ("Finished", finishedAt.map(time.dateTime(journal:)) ?? "never (not closed)"),
            ("Duration", Self.durationText(duration)),
            ("Status", emphasis(status) + (countsText.isEmpty ? "" : " (\(countsText))")),
            ("Integrity", verdict),
        ]
    }
}
