import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
public import FiletSupport

/// `filet audit report --format md`: one run as a Markdown document.
public enum ReportMarkdown: Sendable {
    /// Times are shown in `time`'s zone (the host's by default), with their offset.
    public static func render(_ timeline: RunTimeline, time: LocalTime = .host) -> String {
        // The journal's texts cannot act on the terminal a report is read in (`cat report.md`).
        TerminalText.inert(compose(timeline, time: time))
    }

    private static func compose(_ timeline: RunTimeline, time: LocalTime = .host) -> String {
        let verification = timeline.verification
        var out = "# Run report: \(cell(timeline.title ?? timeline.runbook ?? timeline.runID))\n\n"
        if !verification.isIntact {
            out += "> **INTEGRITY: \(cell(verification.verdict))**\n>\n"
            for problem in verification.problems { out += "> - line \(problem.line): \(problem.kind): \(cell(problem.message))\n" }
            out += ">\n> What follows is what the file says; it cannot be trusted beyond record \(verification.verifiedThrough).\n\n"
        }
        if let torn = timeline.tornTail {
            out += "> Torn tail: line \(torn.line) is not a whole record (\(cell(torn.reason))); it is left out.\n\n"
        }
        out += "| | |\n|---|---|\n"
        let header = timeline.identityRows(verdict: verification.verdict, time: time) { "**\($0)**" }
        for (name, value) in header { out += "| \(name) | \(cell(value)) |\n" }

        out += "\n## Steps\n\n| Step | Action | Status | Attempts | Duration | Observed |\n|---|---|---|---|---|---|\n"
        for step in timeline.steps {
            var observed = step.observed
            if let would = step.would { observed.append("would: \(would)") }
            if step.status != "succeeded", let reason = step.reason { observed.append("reason: \(reason)") }
            let name = step.id + (step.title.map { " — \($0)" } ?? "") + (step.phase == "finally" ? " (finally)" : "")
            out += "| \(cell(name)) | \(cell(step.action)) | \(cell(step.status)) | \(step.attempts) | "
            out += "\(RunTimeline.durationText(step.duration)) | \(cell(observed.joined(separator: "; "))) |\n"
        }

        out += "\n## Notifications\n\n"
        if timeline.notifications.isEmpty {
            out += "None.\n"
        } else {
            out += "| Step | Channel | Outcome | Delivered | Outbox |\n|---|---|---|---|---|\n"
            for notification in timeline.notifications {
                out += "| \(cell(notification.step)) | \(cell(notification.channel ?? "—")) | \(cell(notification.outcome)) | "
                out +=
                    "\(notification.deliveredAt.map(time.dateTime(journal:)) ?? "—") | \(cell(notification.outbox.map { "waiting: \($0)" } ?? "—")) |\n"
            }
        }

        out += "\n## Confirmations\n\n"
        if timeline.confirmations.isEmpty {
            out += "None.\n"
        } else {
            out += "| Step | Decision | By | When | How |\n|---|---|---|---|---|\n"
            for confirmation in timeline.confirmations {
                out +=
                    "| \(cell(confirmation.step)) | \(confirmation.granted ? "granted" : "refused") | \(cell(confirmation.by ?? "nobody")) | "
                out += "\(time.dateTime(journal: confirmation.timestamp)) | \(cell(confirmation.how ?? "—")) |\n"
            }
        }

        out += "\n## Failures\n\n"
        if timeline.failures.isEmpty {
            out += "None.\n"
        } else {
            for failure in timeline.failures {
                out +=
                    "- \(time.dateTime(journal: failure.timestamp)) \(cell(failure.step))\(failure.attempt.map { " attempt \($0)" } ?? " (final)"): \(cell(failure.reason))\n"
            }
        }

        out += "\n## Timeline\n\n| Step | Start | End | Duration | Status |\n|---|---|---|---|---|\n"
        for step in timeline.steps {
            out +=
                "| \(cell(step.id)) | \(step.start.map(RunTimeline.offsetText) ?? "—") | \(step.end.map(RunTimeline.offsetText) ?? "—") | "
            out += "\(RunTimeline.durationText(step.duration)) | \(cell(step.status)) |\n"
        }

        if let readiness = timeline.readiness {
            out +=
                "\n## Readiness\n\n**\(readiness.percentage)%**: \(readiness.wouldSucceed) of \(readiness.considered) steps would have succeeded.\n"
            if !readiness.checks.isEmpty {
                out += "\n| Check | Kind | Status | Latency | Reason |\n|---|---|---|---|---|\n"
                for check in readiness.checks {
                    out += "| \(cell(check.step)) | \(check.kind) | \(check.status) | \(check.latency.map { "\($0) ms" } ?? "—") | "
                    out += "\(cell(check.status == "succeeded" ? "—" : check.reason ?? "—")) |\n"
                }
            }
            if !readiness.channels.isEmpty {
                out += "\n| Channel | Reached | Steps |\n|---|---|---|\n"
                for channel in readiness.channels {
                    out += "| \(cell(channel.channel)) | \(channel.reached.map { $0 ? "yes" : "NO" } ?? "not tried") | "
                    out += "\(cell(channel.steps.joined(separator: ", "))) |\n"
                }
            }
            if !readiness.simulated.isEmpty {
                out += "\nSimulated steps:\n\n"
                for step in readiness.simulated { out += "- \(cell(step.step)): \(cell(step.would ?? "—"))\n" }
            }
        }
        return out
    }

    /// Text from the journal, safe in a Markdown table cell: no line break, no column break, no HTML.
    static func cell(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "|": out += "\\|"
            case "\n", "\r", "\r\n": out += " "
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "`": out += "\\`"
            default: out.append(character)
            }
        }
        return out
    }
}
