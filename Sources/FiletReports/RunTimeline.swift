import Foundation
public import FiletEngine
public import FiletJournal
public import FiletRunbook
import FiletSupport

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
    }

    public struct Failure: Sendable {
        public var step: String
        /// The attempt, or nil for the step's final outcome.
        public var attempt: Int?
        public var timestamp: String
        public var reason: String
    }

    public struct Readiness: Sendable {
        public struct Check: Sendable {
            public var step: String
            public var kind: String
            public var status: String
            public var latency: Int?
            public var reason: String?
        }

        public struct Channel: Sendable {
            public var channel: String
            /// nil when no notification was tried.
            public var reached: Bool?
            public var steps: [String]
        }

        public var considered: Int
        public var wouldSucceed: Int
        public var simulated: [(step: String, would: String?)]
        public var checks: [Check]
        public var channels: [Channel]
        /// Whole percent, rounded down, as `filet drill` computes it (100 with no step).
        public var percentage: Int { FiletEngine.Readiness.percentage(considered: considered, wouldSucceed: wouldSucceed) }
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
    public var readiness: Readiness?
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

        let started = records.first { $0.type == "run.started" }
        let finished = records.last { $0.type == "run.finished" }
        runbook = started?.string("runbook")
        title = started?.string("title")
        version = started?.integer("version")
        runbookSHA256 = started?.string("runbook_sha256") ?? started?.prev
        mode = started?.string("mode")
        operatorName = started?.string("operator")
        host = started?.string("host")
        filetVersion = started?.string("filet_version")
        startedAt = records.first?.timestamp
        finishedAt = finished?.timestamp
        duration = finished?.integer("duration_ms") ?? records.last.map(offset) ?? 0
        status = finished?.string("status") ?? "not closed"
        if case .object(let members)? = finished?.field("counts") {
            counts = members.compactMap { name, value in if case .integer(let count) = value { (name, count) } else { nil } }
        } else {
            counts = []
        }

        var plannedActions: [String: String] = [:]
        if case .object(let plan)? = started?.field("plan") {
            for (_, list) in plan {
                guard case .array(let entries) = list else { continue }
                for case .object(let entry) in entries {
                    let fields = JSONFields(entry)
                    if let id = fields.string("id"), let action = fields.string("action") { plannedActions[id] = action }
                }
            }
        }

        var events: [Event] = []
        var steps: [Step] = []
        var stepIndex: [String: Int] = [:]
        var notifications: [Notification] = []
        var confirmations: [Confirmation] = []
        var failures: [Failure] = []
        func index(of id: String) -> Int {
            if let index = stepIndex[id] { return index }
            steps.append(Step(id: id, title: nil, action: plannedActions[id] ?? "?", phase: "main", status: "running", attempts: 0,
                              duration: 0, reason: nil, start: nil, end: nil, observed: [], would: nil))
            stepIndex[id] = steps.count - 1
            return steps.count - 1
        }

        for record in records {
            let step = record.string("step")
            var event = Event(line: record.line, seq: record.seq, timestamp: record.timestamp, offset: offset(record), type: record.type,
                              step: step, attempt: record.integer("attempt"), outcome: nil, details: [])
            switch record.type {
            case "run.started":
                event.details = [
                    "runbook \(runbook ?? "?")" + (version.map { " v\($0)" } ?? ""),
                    "mode \(mode ?? "?")", "operator \(operatorName ?? "?")", "host \(host ?? "?")",
                ]
            case "step.started":
                guard let step else { break }
                let position = index(of: step)
                steps[position].title = record.string("title")
                steps[position].action = record.string("action") ?? steps[position].action
                steps[position].phase = record.string("phase") ?? "main"
                if steps[position].start == nil { steps[position].start = event.offset }
                event.details = [steps[position].action] + (record.string("title").map { [$0] } ?? [])
            case "step.attempt":
                guard let step else { break }
                let position = index(of: step)
                let outcome = record.string("outcome") ?? "?"
                event.outcome = outcome
                let observed = record.object("observed")
                let phrases = Self.describe(observed, action: steps[position].action)
                event.details = phrases + (record.string("reason").map { ["reason: \($0)"] } ?? [])
                steps[position].observed = phrases
                if outcome != "succeeded", let reason = record.string("reason") {
                    failures.append(Failure(step: step, attempt: event.attempt, timestamp: record.timestamp, reason: reason))
                }
                if steps[position].action == "notify" {
                    let delivered = observed.string("outcome") ?? outcome
                    let deliveries: [Notification.Delivery] = observed.array("deliveries").compactMap { item in
                        guard case .object(let members) = item else { return nil }
                        let fields = JSONFields(members)
                        return Notification.Delivery(channel: fields.string("channel") ?? "?", outcome: fields.string("outcome") ?? "?",
                                                     reason: fields.string("reason"))
                    }
                    let notification = Notification(
                        step: step, channel: observed.string("channel") ?? deliveries.first?.channel, outcome: delivered,
                        deliveredAt: delivered == "delivered" || delivered == "accepted" ? record.timestamp : nil,
                        outbox: observed.string("outbox"), deliveries: deliveries)
                    if let existing = notifications.firstIndex(where: { $0.step == step }) {
                        notifications[existing] = notification
                    } else {
                        notifications.append(notification)
                    }
                }
            case "confirm.granted", "confirm.refused":
                guard let step else { break }
                let granted = record.type == "confirm.granted"
                event.outcome = granted ? "granted" : "refused"
                let by = record.string("by"), how = record.string("how")
                event.details = ["by \(by ?? "nobody")"] + (how.map { [$0] } ?? []) + (record.string("reason").map { ["reason: \($0)"] } ?? [])
                confirmations.append(Confirmation(step: step, granted: granted, by: by, how: how, reason: record.string("reason"),
                                                  timestamp: record.timestamp))
            case "step.finished":
                guard let step else { break }
                let position = index(of: step)
                let status = record.string("status") ?? "?"
                event.outcome = status
                steps[position].status = status
                steps[position].attempts = record.integer("attempts") ?? steps[position].attempts
                steps[position].duration = record.integer("duration_ms") ?? 0
                steps[position].reason = record.string("reason")
                steps[position].would = record.string("would")
                steps[position].end = event.offset
                if steps[position].start == nil { steps[position].start = event.offset }
                if status == "simulated", steps[position].action == "notify" {
                    notifications.append(Notification(step: step, channel: nil, outcome: "not sent (simulated)", deliveredAt: nil,
                                                       outbox: nil, deliveries: []))
                }
                if status == "failed" {
                    failures.append(Failure(step: step, attempt: nil, timestamp: record.timestamp, reason: record.string("reason") ?? "failed"))
                }
                event.details = ["\(steps[position].attempts) attempt\(steps[position].attempts == 1 ? "" : "s")",
                                 "\(steps[position].duration) ms"]
                    + (steps[position].reason.map { ["reason: \($0)"] } ?? []) + (steps[position].would.map { ["would: \($0)"] } ?? [])
            case "undo.started":
                event.details = (record.string("command").map { ["command: \($0)"] } ?? []) + (record.string("because").map { [$0] } ?? [])
            case "undo.finished":
                event.outcome = record.string("outcome")
                event.details = Self.describe(record.object("observed"), action: "run") + (record.string("reason").map { ["reason: \($0)"] } ?? [])
            case "run.interrupted":
                event.details = [record.string("signal") ?? "?", "stops \(record.string("stops") ?? "?")"]
            case "run.timed_out":
                event.details = ["limit \(record.string("limit") ?? "?")"]
            case "run.finished":
                event.outcome = record.string("status")
                event.details = ["\(record.integer("duration_ms") ?? 0) ms"] + counts.map { "\($0.1) \($0.0)" }
            default:
                event.details = record.fields.filter { $0.0 != "step" }.map { "\($0.0): \($0.1.rendered(pretty: false))" }
            }
            events.append(event)
        }
        self.events = events
        self.steps = steps
        self.notifications = notifications
        self.confirmations = confirmations
        self.failures = failures
        if started?.string("mode") == "drill" {
            readiness = Self.readiness(steps: steps, notifications: notifications)
        } else {
            readiness = nil
        }
    }

    /// The readiness of a drill, as `filet drill` computes it, from the steps' final records.
    static func readiness(steps: [Step], notifications: [Notification]) -> Readiness {
        let finished = steps.filter { $0.status != "running" }
        let counted = finished.filter { !StepResult.isDeliberateSkip(status: $0.status, reason: $0.reason) }
        let checks = steps.filter { $0.action.hasPrefix("check.") }.map { step in
            Readiness.Check(step: step.id, kind: step.action, status: step.status,
                            latency: step.observed.lazy.compactMap(Self.latency).first, reason: step.reason)
        }
        var channels: [Readiness.Channel] = []
        for notification in notifications {
            let name = notification.channel ?? "(not sent)"
            let reached: Bool? = notification.outcome.hasPrefix("not sent") ? nil : notification.isDelivered
            if let index = channels.firstIndex(where: { $0.channel == name }) {
                channels[index].steps.append(notification.step)
                channels[index].reached = FiletEngine.Readiness.reached(channels[index].reached, adding: reached)
            } else {
                channels.append(Readiness.Channel(channel: name, reached: reached, steps: [notification.step]))
            }
        }
        return Readiness(considered: counted.count,
                         wouldSucceed: counted.filter { FiletEngine.Readiness.wouldSucceed(status: $0.status) }.count,
                         simulated: steps.filter { $0.status == "simulated" }.map { ($0.id, $0.would) },
                         checks: checks, channels: channels)
    }

    private static func latency(_ phrase: String) -> Int? {
        guard let range = phrase.range(of: " in "), phrase.hasSuffix(" ms") else { return nil }
        return Int(phrase[range.upperBound...].dropLast(3))
    }

    /// What an action observed, in short phrases, most telling first.
    static func describe(_ observed: JSONFields, action: String) -> [String] {
        var out: [String] = []
        switch action {
        case "check.http":
            var phrase = observed.string("method").map { "\($0) " } ?? ""
            if let status = observed.integer("status") { phrase += "HTTP \(status)" } else { phrase += "no HTTP status" }
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
            if let location = observed.string("location") { out.append("location \(location)") }
            if let error = observed.string("error") { out.append("error: \(error)") }
        case "check.tcp":
            var phrase = "TCP " + (observed.string("address") ?? "not connected")
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
            let tried = observed.array("tried").compactMap { if case .string(let text) = $0 { text } else { nil } }
            if !tried.isEmpty { out.append("tried \(tried.joined(separator: ", "))") }
        case "check.dns":
            let addresses = observed.array("addresses").compactMap { if case .string(let text) = $0 { text } else { nil } }
            var phrase = addresses.isEmpty ? "DNS: no address" : "DNS \(addresses.joined(separator: ", "))"
            if let latency = observed.integer("latency_ms") { phrase += " in \(latency) ms" }
            out.append(phrase)
        case "notify":
            let outcome = observed.string("outcome") ?? "?"
            out.append(outcome + (observed.string("channel").map { " to \($0)" } ?? ""))
            if let outbox = observed.string("outbox") { out.append("in the outbox: \(outbox)") }
        case "confirm":
            if let by = observed.string("by") { out.append("confirmed by \(by)") }
            if let how = observed.string("how") { out.append(how) }
        case "wait":
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
        if let error = observed.string("error"), action != "check.http" { out.append("error: \(error)") }
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
    func object(_ name: String) -> JSONFields { if case .object(let members)? = value(name) { JSONFields(members) } else { JSONFields([]) } }
}

extension JournalRecord {
    func string(_ name: String) -> String? { JSONFields(fields).string(name) }
    func integer(_ name: String) -> Int? { JSONFields(fields).integer(name) }
    func object(_ name: String) -> JSONFields { JSONFields(fields).object(name) }
}

extension RunTimeline {
    /// The opening rows of a report: what ran, where, by whom, how it ended, and whether the journal verifies.
    /// `emphasis` dresses the status for the format (bold in Markdown).
    func identityRows(verdict: String, emphasis: (String) -> String = { $0 }) -> [(String, String)] {
        [
            ("Runbook", "\(runbook ?? "?")" + (title.map { " — \($0)" } ?? "")),
            ("Version", version.map(String.init) ?? "none"),
            ("Runbook SHA-256", runbookSHA256 ?? "?"),
            ("Run", runID),
            ("Mode", mode ?? "?"),
            ("Operator", operatorName ?? "?"),
            ("Host", host ?? "?"),
            ("Started", startedAt ?? "?"),
            ("Finished", finishedAt ?? "never (not closed)"),
            ("Duration", Self.durationText(duration)),
            ("Status", emphasis(status) + (countsText.isEmpty ? "" : " (\(countsText))")),
            ("Integrity", verdict),
        ]
    }
}
