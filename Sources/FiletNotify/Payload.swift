public import FiletRunbook
public import FiletSupport

/// The JSON bodies filet posts, one per ``Channel/Format``; see `docs/notifications.md`.
///
/// Every builder is a pure function of the message: the same message gives the same bytes, with
/// object members in a fixed order, so that a signature can be checked against a stored body and a
/// golden test can compare whole texts. Texts arrive final (interpolated, with the engine's
/// `[EXERCICE] ` prefix in a drill); each format still marks a drill on its own (a field, a
/// context line), since a receiver may show the card without the text.
public enum NotificationPayload: Sendable {
    /// The body for `format`.
    public static func payload(for message: NotificationMessage, format: Channel.Format) -> JSONValue {
        switch format {
        case .generic: generic(message)
        case .slack: slack(message)
        case .mattermost: mattermost(message)
        case .rocketchat: rocketChat(message)
        case .teams: teams(message)
        }
    }

    /// The bytes sent (and signed): the payload as compact JSON, UTF-8.
    public static func body(for message: NotificationMessage, format: Channel.Format) -> [UInt8] {
        Array(payload(for: message, format: format).rendered(pretty: false).utf8)
    }

    /// The documented object of the `generic` format (also one line of a file channel).
    public static func generic(_ message: NotificationMessage) -> JSONValue {
        .object([
            ("id", .string(message.id)),
            ("runbook", .object([("id", .string(message.runbookID)), ("title", .string(message.runbookTitle))])),
            ("run", .object([("id", .string(message.runID)), ("mode", .string(message.mode.rawValue))])),
            ("step", .string(message.stepID)),
            ("channel", .string(message.channel)),
            ("severity", .string(message.severity.rawValue)),
            ("text", .string(message.text)),
            ("timestamp", .string(message.timestamp)),
            ("drill", .bool(message.drill)),
        ])
    }

    /// A Slack incoming webhook: a fallback `text` (shown in notifications) and Block Kit blocks.
    public static func slack(_ message: NotificationMessage) -> JSONValue {
        var context =
            "*\(Self.label(message.severity))* · runbook `\(message.runbookID)` · run `\(message.runID)` · step `\(message.stepID)`"
        if message.drill { context = "*\(drillWord)* · " + context }
        // Slack refuses (400) a section over 3,000 characters and a message over 50 blocks: a long text takes several
        // sections, and what still does not fit is cut with a notice, never sent to be refused.
        let sections = TextLimit.pieces(
            "\(shortcode(message.severity)) \(message.text)", of: slackSectionLimit, atMost: slackBlockLimit - 1)
        let blocks: [JSONValue] =
            sections.map { .object([("type", "section"), ("text", .object([("type", "mrkdwn"), ("text", .string($0))]))]) }
            + [
                .object([
                    ("type", "context"),
                    ("elements", .array([.object([("type", "mrkdwn"), ("text", .string(context))])])),
                ])
            ]
        return .object([
            ("text", .string(TextLimit.cut(fallbackText(message, emoji: shortcode(message.severity)), to: slackTextLimit))),
            ("blocks", .array(blocks)),
        ])
    }

    /// A Mattermost incoming webhook: `text`, one attachment coloured by severity with the
    /// details as fields, and the generic object under `props.filet` for integrations.
    public static func mattermost(_ message: NotificationMessage) -> JSONValue {
        .object([
            ("text", .string(fallbackText(message, emoji: shortcode(message.severity)))),
            (
                "attachments",
                .array([
                    .object([
                        ("fallback", .string(fallbackText(message, emoji: ""))),
                        ("color", .string(color(message.severity))),
                        ("fields", .array(fields(message, titleKey: "title"))),
                        ("footer", .string(footer(message))),
                    ])
                ])
            ),
            ("props", .object([("filet", generic(message))])),
        ])
    }

    /// A Rocket.Chat incoming webhook: `text` (cut to Rocket.Chat's 5,000 characters, with a notice) and one
    /// attachment with a colour and fields.
    public static func rocketChat(_ message: NotificationMessage) -> JSONValue {
        .object([
            ("text", .string(TextLimit.cut(fallbackText(message, emoji: shortcode(message.severity)), to: rocketChatTextLimit))),
            (
                "attachments",
                .array([
                    .object([
                        ("title", .string(message.runbookTitle)),
                        ("color", .string(color(message.severity))),
                        ("fields", .array(fields(message, titleKey: "title"))),
                    ])
                ])
            ),
        ])
    }

    /// A Microsoft Teams Workflows webhook ("When a Teams webhook request is received" → post to
    /// a channel): a message carrying one Adaptive Card 1.4. Not the retired Office 365
    /// connector `MessageCard`.
    public static func teams(_ message: NotificationMessage) -> JSONValue {
        var body: [JSONValue] = []
        if message.drill {
            body.append(
                .object([
                    ("type", "TextBlock"), ("text", .string("\(drillWord) — this is a drill")), ("weight", "Bolder"),
                    ("color", "Warning"), ("wrap", true),
                ]))
        }
        body.append(
            .object([
                ("type", "TextBlock"),
                ("text", .string("\(unicodeMarker(message.severity)) \(label(message.severity)) · \(message.runbookTitle)")),
                ("weight", "Bolder"), ("size", "Medium"), ("color", .string(teamsColor(message.severity))), ("wrap", true),
            ]))
        // A card's TextBlock joins single line breaks: each line of the text is a block of its own, a blank line a gap.
        var gap = false
        for line in message.text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.contains(where: { !$0.isWhitespace }) else {
                gap = true
                continue
            }
            body.append(
                .object([
                    ("type", "TextBlock"), ("text", .string(String(line))), ("wrap", true),
                    ("spacing", .string(gap ? "Medium" : "None")),
                ]))
            gap = false
        }
        var facts: [JSONValue] = [
            fact("Runbook", message.runbookID), fact("Run", message.runID), fact("Step", message.stepID),
            fact("Severity", message.severity.rawValue), fact("Time", message.timestamp),
        ]
        if message.drill { facts.append(fact("Mode", drillWord)) }
        body.append(.object([("type", "FactSet"), ("facts", .array(facts))]))
        return .object([
            ("type", "message"),
            (
                "attachments",
                .array([
                    .object([
                        ("contentType", "application/vnd.microsoft.card.adaptive"),
                        ("contentUrl", .null),
                        (
                            "content",
                            .object([
                                ("$schema", "http://adaptivecards.io/schemas/adaptive-card.json"),
                                ("type", "AdaptiveCard"),
                                ("version", "1.4"),
                                ("body", .array(body)),
                                ("msteams", .object([("width", "Full")])),
                            ])
                        ),
                    ])
                ])
            ),
        ])
    }

    // MARK: Shared pieces

    /// Slack's limits (api.slack.com/reference/block-kit): a section's text, the blocks of a message, the top `text`.
    static let slackSectionLimit = 3_000
    static let slackBlockLimit = 50
    static let slackTextLimit = 40_000
    /// Rocket.Chat's default `Message_MaxAllowedSize`.
    static let rocketChatTextLimit = 5_000

    /// The word every format shows in a drill.
    public static let drillWord = "EXERCICE"

    /// `INFO`, `WARNING`, `CRITICAL`.
    static func label(_ severity: Notification.Severity) -> String { severity.rawValue.uppercased() }

    /// Emoji shortcodes understood by Slack, Mattermost and Rocket.Chat.
    static func shortcode(_ severity: Notification.Severity) -> String {
        switch severity {
        case .info: ":information_source:"
        case .warning: ":warning:"
        case .critical: ":rotating_light:"
        }
    }

    static func unicodeMarker(_ severity: Notification.Severity) -> String {
        switch severity {
        case .info: "ℹ️"
        case .warning: "⚠️"
        case .critical: "🚨"
        }
    }

    /// Attachment colours: blue, amber, red.
    static func color(_ severity: Notification.Severity) -> String {
        switch severity {
        case .info: "#2F80ED"
        case .warning: "#F2994A"
        case .critical: "#D0021B"
        }
    }

    /// Adaptive Card text colours.
    static func teamsColor(_ severity: Notification.Severity) -> String {
        switch severity {
        case .info: "Accent"
        case .warning: "Warning"
        case .critical: "Attention"
        }
    }

    /// `:warning: [WARNING] text`, with `[EXERCICE] ` in a drill unless the text already carries it.
    static func fallbackText(_ message: NotificationMessage, emoji: String) -> String {
        let drill = message.drill && !message.text.contains("[\(drillWord)]") ? "[\(drillWord)] " : ""
        let marker = emoji.isEmpty ? "" : emoji + " "
        return "\(marker)[\(label(message.severity))] \(drill)\(message.text)"
    }

    static func footer(_ message: NotificationMessage) -> String {
        "filet · \(message.runbookTitle)" + (message.drill ? " · \(drillWord)" : "")
    }

    /// Attachment fields (Mattermost and Rocket.Chat share the `short`/`title`/`value` shape).
    static func fields(_ message: NotificationMessage, titleKey: String) -> [JSONValue] {
        var pairs = [
            ("Runbook", message.runbookID), ("Run", message.runID), ("Step", message.stepID), ("Severity", message.severity.rawValue),
        ]
        if message.drill { pairs.append(("Mode", drillWord)) }
        return pairs.map { .object([("short", true), (titleKey, .string($0.0)), ("value", .string($0.1))]) }
    }

    static func fact(_ title: String, _ value: String) -> JSONValue {
        .object([("title", .string(title)), ("value", .string(value))])
    }
}

/// Texts fitted to a service's limits, counted in Unicode scalars (what the services count, or more).
enum TextLimit {
    /// The notice that ends a cut text.
    static func notice(_ cut: Int) -> String { " … [\(cut) characters cut: the whole text is in filet's journal]" }

    /// `text` whole when it fits `limit`, else cut with ``notice(_:)`` so that the whole stays within it.
    static func cut(_ text: String, to limit: Int) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > limit else { return text }
        var kept = max(0, limit - notice(scalars.count).unicodeScalars.count)
        kept = max(0, limit - notice(scalars.count - kept).unicodeScalars.count)
        return String(String.UnicodeScalarView(scalars[..<kept])) + notice(scalars.count - kept)
    }

    /// `text` in pieces of at most `limit` each, broken after a line feed or a space where one is near the end of a
    /// piece; at most `count` pieces, the last one cut with a notice when the text is longer still.
    static func pieces(_ text: String, of limit: Int, atMost count: Int) -> [String] {
        var rest = Array(text.unicodeScalars)
        var pieces: [String] = []
        while !rest.isEmpty {
            if pieces.count == count - 1 {
                pieces.append(cut(String(String.UnicodeScalarView(rest)), to: limit))
                break
            }
            var end = min(limit, rest.count)
            if end < rest.count,
                let breakAt = rest[(end - min(end, 200))..<end].lastIndex(where: { $0 == "\n" || $0 == " " }), breakAt > 0
            {
                end = breakAt + 1
            }
            pieces.append(String(String.UnicodeScalarView(rest[..<end])))
            rest.removeFirst(end)
        }
        return pieces
    }
}
