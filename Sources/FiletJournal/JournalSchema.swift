public import FiletSupport

/// Every record type filet writes: the one place their names are spelled (docs/journal.md section 8,
/// docs/outbox.md). The payload types in `JournalRecords.swift` hold each one's fields.
public enum JournalRecordKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case runStarted = "run.started"
    case stepStarted = "step.started"
    case stepAttempt = "step.attempt"
    case confirmGranted = "confirm.granted"
    case confirmRefused = "confirm.refused"
    case stepFinished = "step.finished"
    case undoStarted = "undo.started"
    case undoFinished = "undo.finished"
    case runInterrupted = "run.interrupted"
    case runTimedOut = "run.timed_out"
    case runFinished = "run.finished"
    /// Written by the journal itself, with a signing key (``CheckpointPolicy``).
    case checkpoint = "checkpoint"
    /// Written by `filet resume` after it cut off a torn last line.
    case journalRecovered = "journal.recovered"
    /// Written by `filet resume` in place of `run.started`.
    case runResumed = "run.resumed"
    /// The records of a `filet outbox deliver` session.
    case outboxStarted = "outbox.started"
    case outboxUnreadable = "outbox.unreadable"
    case outboxAttempt = "outbox.attempt"
    case outboxSkipped = "outbox.skipped"
    case outboxFinished = "outbox.finished"
    /// The process group of a step's command, once it started (added after the legacy fixtures).
    case stepProcess = "step.process"
    /// Written by `filet resume --kill-leftover`: a process group left by the run it continues was ended.
    case processKilled = "process.killed"

    public var description: String { rawValue }
}

/// The typed fields of one record type, with their one encoding as the record's members.
public protocol JournalPayload: Sendable {
    /// The record type it is written as.
    var kind: JournalRecordKind { get }
    /// Its members, in the order they are written after the envelope.
    var fields: [(String, JSONValue)] { get }
}

/// A record read back as its typed payload.
public enum JournalEntry: Sendable {
    case runStarted(RunStarted)
    case stepStarted(StepStarted)
    case stepAttempt(StepAttempt)
    /// `confirm.granted` or `confirm.refused`.
    case confirmation(ConfirmationDecision)
    case stepFinished(StepFinished)
    case undoStarted(UndoStarted)
    case undoFinished(UndoFinished)
    case runInterrupted(RunInterrupted)
    case runTimedOut(RunTimedOut)
    case runFinished(RunFinished)
    case checkpoint(Checkpoint)
    case journalRecovered(JournalRecovered)
    case runResumed(RunResumed)
    case outboxStarted(OutboxStarted)
    case outboxUnreadable(OutboxUnreadable)
    case outboxAttempt(OutboxAttempt)
    case outboxSkipped(OutboxSkipped)
    case outboxFinished(OutboxFinished)
    case stepProcess(StepProcess)
    case processKilled(ProcessKilled)

    /// Decodes `record`'s fields as its type says.
    /// - Throws: when the type is not one of ``JournalRecordKind`` or a field it needs is missing or of another type.
    public init(_ record: JournalRecord) throws(JournalRecordError) {
        guard let kind = record.kind else {
            throw JournalRecordError(
                line: record.line, type: record.type, field: nil, "'\(record.type)' is not a record type this filet knows")
        }
        let fields = RecordFields(line: record.line, type: record.type, members: record.fields)
        self =
            switch kind {
            case .runStarted: .runStarted(try RunStarted(fields))
            case .stepStarted: .stepStarted(try StepStarted(fields))
            case .stepAttempt: .stepAttempt(try StepAttempt(fields))
            case .confirmGranted, .confirmRefused: .confirmation(try ConfirmationDecision(fields, granted: kind == .confirmGranted))
            case .stepFinished: .stepFinished(try StepFinished(fields))
            case .undoStarted: .undoStarted(try UndoStarted(fields))
            case .undoFinished: .undoFinished(try UndoFinished(fields))
            case .runInterrupted: .runInterrupted(try RunInterrupted(fields))
            case .runTimedOut: .runTimedOut(try RunTimedOut(fields))
            case .runFinished: .runFinished(try RunFinished(fields))
            case .checkpoint: .checkpoint(try Checkpoint(fields))
            case .journalRecovered: .journalRecovered(try JournalRecovered(fields))
            case .runResumed: .runResumed(try RunResumed(fields))
            case .outboxStarted: .outboxStarted(try OutboxStarted(fields))
            case .outboxUnreadable: .outboxUnreadable(try OutboxUnreadable(fields))
            case .outboxAttempt: .outboxAttempt(try OutboxAttempt(fields))
            case .outboxSkipped: .outboxSkipped(try OutboxSkipped(fields))
            case .outboxFinished: .outboxFinished(try OutboxFinished(fields))
            case .stepProcess: .stepProcess(try StepProcess(fields))
            case .processKilled: .processKilled(try ProcessKilled(fields))
            }
    }

    public var payload: any JournalPayload {
        switch self {
        case .runStarted(let payload): payload
        case .stepStarted(let payload): payload
        case .stepAttempt(let payload): payload
        case .confirmation(let payload): payload
        case .stepFinished(let payload): payload
        case .undoStarted(let payload): payload
        case .undoFinished(let payload): payload
        case .runInterrupted(let payload): payload
        case .runTimedOut(let payload): payload
        case .runFinished(let payload): payload
        case .checkpoint(let payload): payload
        case .journalRecovered(let payload): payload
        case .runResumed(let payload): payload
        case .outboxStarted(let payload): payload
        case .outboxUnreadable(let payload): payload
        case .outboxAttempt(let payload): payload
        case .outboxSkipped(let payload): payload
        case .outboxFinished(let payload): payload
        case .stepProcess(let payload): payload
        case .processKilled(let payload): payload
        }
    }
}

extension JournalRecord {
    /// The record's type, nil for a type this filet does not know.
    public var kind: JournalRecordKind? { JournalRecordKind(rawValue: type) }

    /// The record as its typed payload.
    public func decoded() throws(JournalRecordError) -> JournalEntry { try JournalEntry(self) }

    /// The record as a `Payload`, which its type must be.
    public func decode<Payload: JournalPayload>(_: Payload.Type = Payload.self) throws(JournalRecordError) -> Payload {
        guard let payload = try decoded().payload as? Payload else {
            throw JournalRecordError(line: line, type: type, field: nil, "a \(type) record stands where a \(Payload.self) was expected")
        }
        return payload
    }
}

/// A record whose fields are not what its type says, located: `line 7: the step.finished record has no field 'status'`.
public struct JournalRecordError: Error, Sendable, CustomStringConvertible {
    /// The 1-based line of the record.
    public var line: Int
    public var type: String
    /// The field at fault (`plan.steps[2].id` for a nested one); nil when the record's type is.
    public var field: String?
    /// What is wrong, a sentence without the line.
    public var message: String

    public init(line: Int, type: String, field: String?, _ message: String) {
        self.line = line
        self.type = type
        self.field = field
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// One record's members, read by name for its payload's decoder; every failure names the line, the type and the field.
struct RecordFields {
    let line: Int
    let type: String
    let members: [(String, JSONValue)]
    /// Where these members are in the record (`plan.steps[2].`), for a nested object.
    var path = ""

    func value(_ name: String) -> JSONValue? { members.first { $0.0 == name }?.1 }

    func failure(_ name: String, _ problem: String) -> JournalRecordError {
        JournalRecordError(line: line, type: type, field: path + name, "the \(type) record's field '\(path + name)' \(problem)")
    }

    func required(_ name: String) throws(JournalRecordError) -> JSONValue {
        guard let value = value(name) else {
            throw JournalRecordError(line: line, type: type, field: path + name, "the \(type) record has no field '\(path + name)'")
        }
        return value
    }

    func string(_ name: String) throws(JournalRecordError) -> String {
        let value = try required(name)
        guard case .string(let text) = value else { throw failure(name, "is not a text: \(value.rendered(pretty: false))") }
        return text
    }

    /// A text, null, or (as older filets wrote it) no field at all.
    func optionalString(_ name: String) throws(JournalRecordError) -> String? {
        switch value(name) {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw failure(name, "is neither a text nor null: \(other.rendered(pretty: false))")
        }
    }

    func integer(_ name: String) throws(JournalRecordError) -> Int {
        let value = try required(name)
        guard case .integer(let number) = value else { throw failure(name, "is not an integer: \(value.rendered(pretty: false))") }
        return number
    }

    func optionalInteger(_ name: String) throws(JournalRecordError) -> Int? {
        switch value(name) {
        case nil, .null?: return nil
        case .integer(let number)?: return number
        case let other?: throw failure(name, "is neither an integer nor null: \(other.rendered(pretty: false))")
        }
    }

    func bool(_ name: String) throws(JournalRecordError) -> Bool {
        let value = try required(name)
        guard case .bool(let flag) = value else { throw failure(name, "is not true or false: \(value.rendered(pretty: false))") }
        return flag
    }

    func optionalBool(_ name: String) throws(JournalRecordError) -> Bool? {
        guard value(name) != nil else { return nil }
        return try bool(name)
    }

    func strings(_ name: String) throws(JournalRecordError) -> [String] {
        let value = try required(name)
        guard case .array(let items) = value else { throw failure(name, "is not a list: \(value.rendered(pretty: false))") }
        return try items.map { item throws(JournalRecordError) in
            guard case .string(let text) = item else {
                throw failure(name, "holds something other than texts: \(item.rendered(pretty: false))")
            }
            return text
        }
    }

    func object(_ name: String) throws(JournalRecordError) -> [(String, JSONValue)] {
        let value = try required(name)
        guard case .object(let members) = value else { throw failure(name, "is not an object: \(value.rendered(pretty: false))") }
        return members
    }

    /// An object whose members are all texts (`vars`) or all integers (`counts`), in order.
    func namedValues<Value>(_ name: String, _ read: (JSONValue) -> Value?) throws(JournalRecordError) -> [(String, Value)] {
        try object(name).map { member, value throws(JournalRecordError) in
            guard let read = read(value) else { throw failure(name + "." + member, "is of another type: \(value.rendered(pretty: false))") }
            return (member, read)
        }
    }

    /// A list of objects, each read by `read`.
    func objects<Element>(_ name: String, _ read: (RecordFields) throws(JournalRecordError) -> Element) throws(JournalRecordError)
        -> [Element]
    {
        let value = try required(name)
        guard case .array(let items) = value else { throw failure(name, "is not a list: \(value.rendered(pretty: false))") }
        return try items.enumerated().map { index, item throws(JournalRecordError) in
            guard case .object(let members) = item else {
                throw failure("\(name)[\(index)]", "is not an object: \(item.rendered(pretty: false))")
            }
            return try read(RecordFields(line: line, type: type, members: members, path: "\(path)\(name)[\(index)]."))
        }
    }

    /// The members of the object `name`, to read its own fields.
    func nested(_ name: String) throws(JournalRecordError) -> RecordFields {
        RecordFields(line: line, type: type, members: try object(name), path: "\(path)\(name).")
    }

    /// A word of a closed list (a status, a mode).
    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, _: Choice.Type = Choice.self) throws(JournalRecordError) -> Choice
    where Choice.RawValue == String {
        let word = try string(name)
        guard let choice = Choice(rawValue: word) else {
            throw failure(name, "is '\(word)', not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}
