import FiletRunbook
import FiletSupport

/// One notification waiting in the outbox: the message as it was made, where it goes, and
/// where to find the channel's configuration again.
///
/// It never holds a webhook URL, a header or a signing secret: those are secrets, resolved
/// again from the runbook (checked by its SHA-256) and the environment when it is delivered.
public struct OutboxEntry: Sendable, Hashable {
    /// The notification, every field as the engine made it (its text final and already masked).
    public var message: NotificationMessage
    /// The channel it waits for (the message's own, or the fallback it was handed to).
    public var channel: String
    /// The runbook file that declares the channel: an absolute path.
    public var runbookPath: String
    /// The SHA-256 of that file's bytes when the notification was made, 64 lowercase hex digits.
    public var runbookSHA256: String
    /// When it was first stored, in milliseconds since 1970 (UTC): the outbox's order.
    public var createdMilliseconds: Int64
    /// Delivery attempts so far, those of the run included.
    public var attempts: Int
    /// The last failure, already masked by whoever recorded it.
    public var lastError: String?
    /// The run whose journal recorded the notification first.
    public var journalRunID: String

    /// The message id: the entry's identity in the outbox (de-duplication).
    public var id: String { message.id }

    public init(
        message: NotificationMessage, channel: String, runbookPath: String, runbookSHA256: String,
        createdMilliseconds: Int64, attempts: Int, lastError: String?, journalRunID: String
    ) {
        self.message = message
        self.channel = channel
        self.runbookPath = runbookPath
        self.runbookSHA256 = runbookSHA256
        self.createdMilliseconds = createdMilliseconds
        self.attempts = attempts
        self.lastError = lastError
        self.journalRunID = journalRunID
    }

    /// ``createdMilliseconds`` as UTC RFC 3339 with milliseconds, such as `2026-11-29T08:15:02.123Z`.
    public var created: String {
        var out: [UInt8] = []
        UTCTime.appendRFC3339(createdMilliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Now, in milliseconds since 1970 (for ``createdMilliseconds``).
    public static func nowMilliseconds() -> Int64 { UTCTime.nowMilliseconds() }
}

// MARK: The entry file

extension OutboxEntry {
    /// The `format` member of every entry file.
    static let formatName = "filet-outbox-entry/1"

    /// The file's JSON: an object whose members are listed in docs/outbox.md.
    var json: JSONValue {
        .object([
            ("format", .string(Self.formatName)),
            ("id", .string(id)),
            ("channel", .string(channel)),
            ("created", .string(created)),
            ("created_ms", .integer(Int(createdMilliseconds))),
            ("attempts", .integer(attempts)),
            ("last_error", .optional(lastError)),
            ("journal_run", .string(journalRunID)),
            ("runbook_path", .string(runbookPath)),
            ("runbook_sha256", .string(runbookSHA256)),
            ("message", message.json),
        ])
    }

    /// Reads an entry back; the message says what is wrong (the caller adds the file name).
    init(json value: JSONValue) throws(EntryProblem) {
        let members = try value.members("the entry")
        guard members.string("format") == Self.formatName else {
            throw EntryProblem("not a \(Self.formatName) entry (its 'format' is \(members.text(of: "format")))")
        }
        let message = try NotificationMessage(json: members.require("message"))
        guard try members.requireString("id") == message.id else { throw EntryProblem("'id' differs from the message's id") }
        guard case .integer(let created) = try members.require("created_ms") else { throw EntryProblem("'created_ms' is not an integer") }
        guard case .integer(let attempts) = try members.require("attempts"), attempts >= 0 else {
            throw EntryProblem("'attempts' is not a whole number")
        }
        let lastError: String?
        switch try members.require("last_error") {
        case .null: lastError = nil
        case .string(let text): lastError = text
        default: throw EntryProblem("'last_error' is neither text nor null")
        }
        self.init(
            message: message, channel: try members.requireString("channel"), runbookPath: try members.requireString("runbook_path"),
            runbookSHA256: try members.requireString("runbook_sha256"), createdMilliseconds: Int64(created), attempts: attempts,
            lastError: lastError, journalRunID: try members.requireString("journal_run"))
    }
}

extension NotificationMessage {
    /// Every field, with the names the journal uses: the outbox entry's `message`, and the line a
    /// `file:` channel receives.
    var json: JSONValue {
        .object([
            ("id", .string(id)), ("runbook", .string(runbookID)), ("runbook_title", .string(runbookTitle)), ("run", .string(runID)),
            ("mode", .string(mode.rawValue)), ("step", .string(stepID)), ("channel", .string(channel)),
            ("severity", .string(severity.rawValue)), ("text", .string(text)), ("timestamp", .string(timestamp)), ("drill", .bool(drill)),
        ])
    }

    init(json value: JSONValue) throws(EntryProblem) {
        let members = try value.members("'message'")
        guard let mode = RunMode(rawValue: try members.requireString("mode")) else {
            throw EntryProblem("'message.mode' is not run or drill")
        }
        guard let severity = Notification.Severity(rawValue: try members.requireString("severity")) else {
            throw EntryProblem("'message.severity' is not info, warning or critical")
        }
        guard case .bool(let drill) = try members.require("drill") else { throw EntryProblem("'message.drill' is not true or false") }
        self.init(
            id: try members.requireString("id"), runbookID: try members.requireString("runbook"),
            runbookTitle: try members.requireString("runbook_title"), runID: try members.requireString("run"), mode: mode,
            stepID: try members.requireString("step"), channel: try members.requireString("channel"), severity: severity,
            text: try members.requireString("text"), timestamp: try members.requireString("timestamp"), drill: drill)
    }
}

/// What is wrong with an entry file's content.
struct EntryProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The members of a JSON object, looked up by name.
private struct Members {
    let pairs: [(String, JSONValue)]
    let what: String

    func value(_ name: String) -> JSONValue? { pairs.first { $0.0 == name }?.1 }

    func string(_ name: String) -> String? {
        if case .string(let text)? = value(name) { return text }
        return nil
    }

    func text(of name: String) -> String { value(name).map { $0.rendered(pretty: false) } ?? "missing" }

    func require(_ name: String) throws(EntryProblem) -> JSONValue {
        guard let value = value(name) else { throw EntryProblem("\(what) has no '\(name)'") }
        return value
    }

    func requireString(_ name: String) throws(EntryProblem) -> String {
        guard case .string(let text) = try require(name) else { throw EntryProblem("'\(name)' in \(what) is not text") }
        return text
    }
}

extension JSONValue {
    fileprivate func members(_ what: String) throws(EntryProblem) -> Members {
        guard case .object(let pairs) = self else { throw EntryProblem("\(what) is not a JSON object") }
        return Members(pairs: pairs, what: what)
    }
}
