import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
public import FiletSupport

/// `filet audit report --format html`: one self-contained page (inline CSS and SVG, no script, no
/// external resource), printable and readable on a phone. Every text from the journal goes through
/// ``escape(_:)``.
public enum ReportHTML: Sendable {
    /// Times are shown in `time`'s zone (the host's by default), with their offset.
    public static func render(_ timeline: RunTimeline, time: LocalTime = .host) -> String {
        let verification = timeline.verification
        var body = ""
        if !verification.isIntact {
            body += "<section class=\"alert\"><h2>Integrity: NOT INTACT</h2><p><strong>\(escape(verification.verdict))</strong></p><ul>"
            for problem in verification.problems {
                body += "<li>line \(problem.line): \(escape(problem.kind.rawValue)): \(escape(problem.message))</li>"
            }
            body +=
                "</ul><p>What follows is what the file says; it cannot be trusted beyond record \(verification.verifiedThrough).</p></section>\n"
        }
        if let torn = timeline.tornTail {
            body += "<p class=\"warn\">Torn tail: line \(torn.line) is not a whole record (\(escape(torn.reason))); it is left out.</p>\n"
        }
        let rows = timeline.identityRows(verdict: verification.verdict, time: time)
        body += "<table class=\"facts\">"
        for (name, value) in rows {
            let css =
                name == "Status"
                ? " class=\"\(statusClass(timeline.status))\""
                : name == "Integrity" ? " class=\"\(verification.isIntact ? "ok" : "bad")\"" : ""
            body += "<tr><th>\(name)</th><td\(css)>\(name == "Runbook SHA-256" ? "<code>\(escape(value))</code>" : escape(value))</td></tr>"
        }
        body += "</table>\n"

        body += "<h2>Steps</h2><div class=\"scroll\"><table><thead><tr><th>Step</th><th>Action</th><th>Status</th><th>Attempts</th>"
        body += "<th>Duration</th><th>Observed</th></tr></thead><tbody>"
        for step in timeline.steps {
            var observed = step.observed
            if let would = step.would { observed.append("would: \(would)") }
            if step.status != "succeeded", let reason = step.reason { observed.append("reason: \(reason)") }
            body +=
                "<tr><td><strong>\(escape(step.id))</strong>\(step.title.map { "<br><span class=\"muted\">\(escape($0))</span>" } ?? "")"
            body += step.phase == "finally" ? " <span class=\"muted\">(finally)</span>" : ""
            body += "</td><td>\(escape(step.action))</td><td class=\"\(statusClass(step.status))\">\(escape(step.status))</td>"
            body += "<td>\(step.attempts)</td><td>\(RunTimeline.durationText(step.duration))</td>"
            body += "<td>\(observed.map(escape).joined(separator: "<br>"))</td></tr>"
        }
        body += "</tbody></table></div>\n"

        body += "<h2>Timeline</h2>\n" + gantt(timeline) + "\n"

        body += "<h2>Notifications</h2>"
        if timeline.notifications.isEmpty {
            body += "<p>None.</p>\n"
        } else {
            body +=
                "<div class=\"scroll\"><table><thead><tr><th>Step</th><th>Channel</th><th>Outcome</th><th>Delivered</th><th>Outbox</th></tr></thead><tbody>"
            for notification in timeline.notifications {
                body += "<tr><td>\(escape(notification.step))</td><td>\(escape(notification.channel ?? "—"))</td>"
                body += "<td class=\"\(notification.isDelivered ? "ok" : "bad")\">\(escape(notification.outcome))</td>"
                body +=
                    "<td>\(escape(notification.deliveredAt.map(time.dateTime(journal:)) ?? "—"))</td><td>\(escape(notification.outbox.map { "waiting: \($0)" } ?? "—"))</td></tr>"
            }
            body += "</tbody></table></div>\n"
        }

        body += "<h2>Confirmations</h2>"
        if timeline.confirmations.isEmpty {
            body += "<p>None.</p>\n"
        } else {
            body +=
                "<div class=\"scroll\"><table><thead><tr><th>Step</th><th>Decision</th><th>By</th><th>When</th><th>How</th></tr></thead><tbody>"
            for confirmation in timeline.confirmations {
                body += "<tr><td>\(escape(confirmation.step))</td><td class=\"\(confirmation.granted ? "ok" : "bad")\">"
                body += "\(confirmation.granted ? "granted" : "refused")</td><td>\(escape(confirmation.by ?? "nobody"))</td>"
                body += "<td>\(escape(time.dateTime(journal: confirmation.timestamp)))</td><td>\(escape(confirmation.how ?? "—"))</td></tr>"
            }
            body += "</tbody></table></div>\n"
        }

        body += "<h2>Failures</h2>"
        if timeline.failures.isEmpty {
            body += "<p>None.</p>\n"
        } else {
            body += "<ul>"
            for failure in timeline.failures {
                body +=
                    "<li><span class=\"muted\">\(escape(time.dateTime(journal: failure.timestamp)))</span> <strong>\(escape(failure.step))</strong>"
                body += failure.attempt.map { " attempt \($0)" } ?? " (final)"
                body += ": \(escape(failure.reason))</li>"
            }
            body += "</ul>\n"
        }

        if let readiness = timeline.readiness {
            body += "<h2>Readiness</h2><p class=\"big \(readiness.percentage == 100 ? "ok" : "bad")\">\(readiness.percentage)%</p>"
            body += "<p>\(readiness.wouldSucceed) of \(readiness.considered) steps would have succeeded.</p>"
            if !readiness.checks.isEmpty {
                body +=
                    "<div class=\"scroll\"><table><thead><tr><th>Check</th><th>Kind</th><th>Status</th><th>Latency</th><th>Reason</th></tr></thead><tbody>"
                for check in readiness.checks {
                    body +=
                        "<tr><td>\(escape(check.step))</td><td>\(escape(check.kind))</td><td class=\"\(statusClass(check.status))\">\(escape(check.status))</td>"
                    body += "<td>\(check.latency.map { "\($0) ms" } ?? "—")</td>"
                    body += "<td>\(escape(check.status == "succeeded" ? "—" : check.reason ?? "—"))</td></tr>"
                }
                body += "</tbody></table></div>"
            }
            if !readiness.channels.isEmpty {
                body += "<div class=\"scroll\"><table><thead><tr><th>Channel</th><th>Reached</th><th>Steps</th></tr></thead><tbody>"
                for channel in readiness.channels {
                    let reached = channel.reached.map { $0 ? "yes" : "NO" } ?? "not tried"
                    body +=
                        "<tr><td>\(escape(channel.channel))</td><td class=\"\(channel.reached == false ? "bad" : "ok")\">\(reached)</td>"
                    body += "<td>\(escape(channel.steps.joined(separator: ", ")))</td></tr>"
                }
                body += "</tbody></table></div>"
            }
            if !readiness.simulated.isEmpty {
                body += "<p>Simulated steps:</p><ul>"
                for step in readiness.simulated { body += "<li><strong>\(escape(step.step))</strong>: \(escape(step.would ?? "—"))</li>" }
                body += "</ul>"
            }
            body += "\n"
        }
        return page(title: "Run report: \(timeline.title ?? timeline.runbook ?? timeline.runID)", body: body)
    }

    /// The folder summary: one row per run, and readiness over time as a line chart.
    public static func render(_ summary: RunsSummary, time: LocalTime = .host) -> String {
        var body = "<p>\(summary.rows.count) run\(summary.rows.count == 1 ? "" : "s"), oldest first.</p>"
        body += "<div class=\"scroll\"><table><thead><tr><th>Date</th><th>Runbook</th><th>Mode</th><th>Status</th><th>Duration</th>"
        body += "<th>Readiness</th><th>Integrity</th><th>Run</th></tr></thead><tbody>"
        for row in summary.rows {
            body +=
                "<tr><td>\(escape(row.startedAt.map(time.dateTime(journal:)) ?? "?"))</td><td>\(escape(row.runbook ?? "?"))</td><td>\(escape(row.mode ?? "?"))</td>"
            body += "<td class=\"\(statusClass(row.status))\">\(escape(row.status))</td><td>\(RunTimeline.durationText(row.duration))</td>"
            body += "<td>\(row.readiness.map { "\($0)%" } ?? "—")</td>"
            body +=
                "<td class=\"\(row.intact ? "ok" : "bad")\" title=\"\(escape(row.verdict))\">\(row.intact ? "intact" : "NOT INTACT")</td>"
            body += "<td><code>\(escape(row.runID))</code></td></tr>"
        }
        body += "</tbody></table></div>\n"
        let points = summary.readinessOverTime.map { (time.dateTime(journal: $0.0), $0.1) }
        if !points.isEmpty {
            body += "<h2>Readiness over time</h2>\n" + lineChart(points) + "\n"
        }
        return page(title: "Runs in \(summary.directory)", body: body)
    }

    /// Text as HTML character data or attribute value: `&`, `<`, `>`, `"` and `'` escaped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func statusClass(_ status: String) -> String {
        switch status {
        case "succeeded": "ok"
        case "simulated", "skipped", "cancelled": "muted"
        default: "bad"
        }
    }

    static func color(_ status: String) -> String {
        switch status {
        case "succeeded": "#2e7d32"
        case "simulated": "#6a8caf"
        case "skipped", "cancelled": "#9e9e9e"
        default: "#c62828"
        }
    }

    /// One bar per step from its start to its end offset, on a scale of the run's duration.
    static func gantt(_ timeline: RunTimeline) -> String {
        let steps = timeline.steps
        guard !steps.isEmpty else { return "<p>No step.</p>" }
        let total = max(1, timeline.duration, steps.compactMap(\.end).max() ?? 0)
        let label = 170.0
        let width = 800.0
        let chart = width - label - 10
        let row = 22.0
        let height = Double(steps.count) * row + 24
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Steps over time\">"
        for (index, step) in steps.enumerated() {
            let y = Double(index) * row + 4
            let start = Double(step.start ?? 0) / Double(total) * chart
            let end = Double(step.end ?? timeline.duration) / Double(total) * chart
            svg += "<text x=\"0\" y=\"\(format(y + 14))\" class=\"label\">\(escape(String(step.id.prefix(24))))</text>"
            svg +=
                "<rect x=\"\(format(label + start))\" y=\"\(format(y + 3))\" width=\"\(format(max(2, end - start)))\" height=\"14\" rx=\"2\" fill=\"\(color(step.status))\">"
            svg +=
                "<title>\(escape(step.id)): \(escape(step.status)), \(RunTimeline.offsetText(step.start ?? 0)) to \(RunTimeline.offsetText(step.end ?? timeline.duration))</title></rect>"
        }
        let axis = Double(steps.count) * row + 18
        svg +=
            "<line x1=\"\(Int(label))\" y1=\"\(format(axis - 12))\" x2=\"\(Int(label + chart))\" y2=\"\(format(axis - 12))\" stroke=\"#999\"/>"
        for tick in 0...4 {
            let x = label + chart * Double(tick) / 4
            let anchor = tick == 0 ? "start" : tick == 4 ? "end" : "middle"
            svg +=
                "<text x=\"\(format(x))\" y=\"\(format(axis))\" class=\"tick\" text-anchor=\"\(anchor)\">\(RunTimeline.offsetText(total * tick / 4))</text>"
        }
        return svg + "</svg>"
    }

    /// Readiness percent (0–100) by run, oldest first.
    static func lineChart(_ points: [(String, Int)]) -> String {
        let width = 800.0
        let height = 240.0
        let left = 40.0
        let bottom = 30.0
        let top = 10.0
        let plotWidth = width - left - 20
        let plotHeight = height - bottom - top
        func x(_ index: Int) -> Double {
            points.count == 1 ? left + plotWidth / 2 : left + plotWidth * Double(index) / Double(points.count - 1)
        }
        func y(_ percent: Int) -> Double { top + plotHeight * (1 - Double(percent) / 100) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Readiness over time\">"
        for percent in stride(from: 0, through: 100, by: 25) {
            svg +=
                "<line x1=\"\(Int(left))\" y1=\"\(format(y(percent)))\" x2=\"\(Int(width - 20))\" y2=\"\(format(y(percent)))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(Int(left - 4))\" y=\"\(format(y(percent) + 4))\" class=\"tick\" text-anchor=\"end\">\(percent)%</text>"
        }
        let path = points.enumerated().map { "\(format(x($0.offset))),\(format(y($0.element.1)))" }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>"
        for (index, point) in points.enumerated() {
            svg +=
                "<circle cx=\"\(format(x(index)))\" cy=\"\(format(y(point.1)))\" r=\"4\" fill=\"\(point.1 == 100 ? "#2e7d32" : "#c62828")\">"
            svg += "<title>\(escape(point.0)): \(point.1)%</title></circle>"
            let every = max(1, points.count / 6)
            if index % every == 0 || index == points.count - 1 {
                svg +=
                    "<text x=\"\(format(x(index)))\" y=\"\(Int(height - 8))\" class=\"tick\" text-anchor=\"middle\">\(escape(String(point.0.prefix(10))))</text>"
            }
        }
        return svg + "</svg>"
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static let style = """
        :root{color-scheme:light}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:16px;max-width:1100px;color:#1a1a1a;background:#fff}
        h1{font-size:1.5em;margin:.2em 0 .6em;overflow-wrap:anywhere}h2{font-size:1.15em;margin:1.4em 0 .5em;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #e4e4e4}
        thead th{background:#f3f3f3}.facts th{width:11em;white-space:nowrap;color:#555;font-weight:600}
        td{overflow-wrap:break-word}code{font-size:.85em;overflow-wrap:anywhere}
        .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}.scroll table{min-width:620px}.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.muted{color:#666}
        .alert{border:3px solid #c62828;background:#fdecea;padding:8px 14px;margin-bottom:16px}.alert h2{border:0;color:#c62828;margin-top:.3em}
        .warn{border-left:4px solid #ef6c00;background:#fff3e0;padding:6px 10px}.big{font-size:2em;margin:.2em 0}
        svg.chart{width:100%;height:auto;max-width:900px}svg .label{font-size:12px;fill:#333}svg .tick{font-size:11px;fill:#666}
        @media (max-width:600px){body{padding:8px;font-size:14px}.facts th{width:auto;white-space:normal}th,td{padding:3px 5px}}
        @media print{body{max-width:none;padding:0}.scroll{overflow:visible}.scroll table{min-width:0}a{color:inherit}h2{break-after:avoid}tr{break-inside:avoid}}
        """

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <h1>\(escape(title))</h1>
        \(body)<p class="muted">Generated by filet audit report from the journal; every text above is as the journal recorded it.</p>
        </body>
        </html>

        """
    }
}
