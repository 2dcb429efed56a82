import FiletJournal
import FiletRunbook
public import FiletSupport

/// `filet audit show`: the timeline of a run as text, for a terminal.
public enum TimelineText: Sendable {
    /// Which events to show.
    public struct Filter: Sendable {
        public var step: String?
        /// Only the steps that failed, and their events.
        public var failedOnly: Bool
        /// A record type (`step.attempt`) or a family (`step`, `confirm`).
        public var type: String?

        public init(step: String? = nil, failedOnly: Bool = false, type: String? = nil) {
            self.step = step
            self.failedOnly = failedOnly
            self.type = type
        }

        var isEmpty: Bool { step == nil && !failedOnly && type == nil }

        func keeps(_ event: RunTimeline.Event, failedSteps: Set<String>) -> Bool {
            if let step, event.step != step { return false }
            if failedOnly, !(event.step.map(failedSteps.contains) ?? false) { return false }
            if let type, event.type != type, !event.type.hasPrefix(type + ".") { return false }
            return true
        }
    }

    /// The timeline with its times in `time`'s zone (the host's by default), each with its offset in the header;
    /// the journal's own times stay UTC.
    public static func render(_ timeline: RunTimeline, filter: Filter = Filter(), time: LocalTime = .host) -> String {
        // The journal's texts (command output, receivers' answers, the operator's label) cannot act on a terminal.
        TerminalText.inert(compose(timeline, filter: filter, time: time))
    }

    private static func compose(_ timeline: RunTimeline, filter: Filter = Filter(), time: LocalTime = .host) -> String {
        let verification = timeline.verification
        var out = ""
        if !verification.isIntact {
            out += "INTEGRITY: \(verification.verdict)\n"
            for problem in verification.problems { out += "  line \(problem.line): \(problem.kind): \(problem.message)\n" }
            out += "  What follows is what the file says; it cannot be trusted beyond record \(verification.verifiedThrough).\n\n"
        }
        if let torn = timeline.tornTail {
            out += "Torn tail: line \(torn.line) is not a whole record (\(torn.reason)); it is left out below.\n\n"
        }
        out += "Run \(timeline.runID): \(timeline.runbook ?? "?")"
        out += timeline.version.map { " v\($0)" } ?? ""
        out += timeline.title.map { " — \($0)" } ?? ""
        out += " (\(timeline.mode ?? "?"))\n"
        out +=
            "  operator \(timeline.operatorText) on host \(timeline.host ?? "?"), runbook SHA-256 \(timeline.runbookSHA256 ?? "?")\n"
        out += "  started \(timeline.startedAt.map(time.dateTime(journal:)) ?? "?")"
        out += timeline.finishedAt.map { ", finished \(time.dateTime(journal: $0))" } ?? ", never finished"
        out += "\n"
        if !filter.isEmpty {
            var parts: [String] = []
            if let step = filter.step { parts.append("step \(step)") }
            if filter.failedOnly { parts.append("failed steps") }
            if let type = filter.type { parts.append("type \(type)") }
            out += "  showing only: \(parts.joined(separator: ", "))\n"
        }
        out += "\n"

        let failed = Set(timeline.steps.filter { $0.status == "failed" }.map(\.id))
        let events = timeline.events.filter { filter.keeps($0, failedSteps: failed) }
        let typeWidth = events.map(\.type.count).max() ?? 0
        let stepWidth = events.map { label($0).count }.max() ?? 0
        // The header gives the offset; each clock says its own only when the offset changes during the run.
        let offsets = Set(events.compactMap { time.offsetSeconds(journal: $0.timestamp) })
        func clock(_ timestamp: String) -> String {
            guard offsets.count > 1, let offset = time.offsetSeconds(journal: timestamp) else { return time.clock(journal: timestamp) }
            return time.clock(journal: timestamp) + " " + LocalTime.offsetText(offset)
        }
        for event in events {
            var line = "\(pad(RunTimeline.offsetText(event.offset), 9)) \(clock(event.timestamp))  \(pad(event.type, typeWidth))"
            if stepWidth > 0 { line += "  \(pad(label(event), stepWidth))" }
            if let outcome = event.outcome { line += "  \(outcome)" }
            if !event.details.isEmpty { line += (event.outcome == nil ? "  " : ": ") + event.details.joined(separator: "; ") }
            out += trimTrailing(line) + "\n"
        }
        if events.isEmpty { out += "(no event matches)\n" }

        out += "\nSummary\n"
        out += "  status: \(timeline.status) in \(RunTimeline.durationText(timeline.duration))"
        out += timeline.countsText.isEmpty ? "\n" : " (\(timeline.countsText))\n"
        out +=
            "  records: \(timeline.events.count)\(timeline.tornTail == nil ? "" : " and a torn last line"), steps: \(timeline.steps.count)\n"
        for notification in timeline.notifications {
            out += "  notification \(notification.step): \(notificationText(notification, time: time))\n"
        }
        for confirmation in timeline.confirmations {
            out += "  confirmation \(confirmation.step): \(confirmation.granted ? "granted" : "refused") by \(confirmation.by ?? "nobody")"
            out += " at \(time.dateTime(journal: confirmation.timestamp))\(confirmation.how.map { " (\($0))" } ?? "")\n"
        }
        if let readiness = timeline.readiness {
            out +=
                "  readiness: \(readiness.percentage)% (\(readiness.wouldSucceed) of \(readiness.considered) steps would have succeeded)\n"
        }
        out += "  integrity: \(verification.verdict)\n"
        return out
    }

    static func notificationText(_ notification: RunTimeline.Notification, time: LocalTime) -> String {
        var text = notification.outcome
        if notification.isDelivered {
            text += notification.channel.map { " to \($0)" } ?? ""
        } else if !notification.deliveries.isEmpty {
            text += " (tried " + notification.deliveries.map { "\($0.channel): \($0.reason ?? $0.outcome)" }.joined(separator: ", ") + ")"
        }
        if let at = notification.deliveredAt { text += " at \(time.dateTime(journal: at))" }
        if let outbox = notification.outbox { text += ", waiting in the outbox (\(outbox))" }
        return text
    }

    private static func label(_ event: RunTimeline.Event) -> String {
        guard let step = event.step else { return "" }
        return event.attempt.map { "\(step) #\($0)" } ?? step
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    private static func trimTrailing(_ text: String) -> String {
        var text = text
        while text.last == " " { text.removeLast() }
        return text
    }
}
