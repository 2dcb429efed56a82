public import FiletSupport

/// One record of a journal, as read back.
public struct JournalRecord: Sendable {
    /// The 1-based line number in the file.
    public var line: Int
    public var seq: Int
    /// `ts`: UTC, RFC 3339 with milliseconds.
    public var timestamp: String
    public var run: String
    public var type: String
    /// `prev`: 64 hex digits.
    public var prev: String
    /// `mac`: 64 hex digits, when the journal was written with a key.
    public var mac: String?
    /// The caller's members, in order (the envelope's are not repeated here).
    public var fields: [(String, JSONValue)]
    /// The line's exact bytes, without its `\n`: what the next record's `prev` hashes.
    public var bytes: [UInt8]

    /// The first field named `name`.
    public func field(_ name: String) -> JSONValue? {
        fields.first { $0.0 == name }?.1
    }
}

/// A last line that was cut short: what a crash in the middle of a write leaves.
public struct TornLine: Sendable, Hashable {
    /// The 1-based line number (the file's last line).
    public var line: Int
    /// Its bytes as found.
    public var bytes: [UInt8]
    /// Why it is not a whole record.
    public var reason: String
}

/// A whole journal file, read.
public struct JournalContents: Sendable {
    public var path: String
    public var records: [JournalRecord]
    /// The torn last line, if the file ends with one; it is not among ``records``.
    public var tornTail: TornLine?
}

/// Reads journal files. A crash can only leave a torn *last* line: it is returned as
/// ``JournalContents/tornTail``, never thrown. Any other line that is not a record is
/// corruption and throws ``JournalError/Kind/corrupt`` with its line number.
///
/// Reading does not verify the chain: that is ``JournalVerifier``'s work.
public enum JournalReader: Sendable {
    /// Reads every record of the journal at `path`.
    public static func read(path: String) throws(JournalError) -> JournalContents {
        var records: [JournalRecord] = []
        let torn = try forEachRecord(path: path) { records.append($0) }
        return JournalContents(path: path, records: records, tornTail: torn)
    }

    /// Calls `body` with each record in file order, reading the file once in constant memory
    /// (besides the records `body` keeps). Returns the torn last line, if any.
    public static func forEachRecord(path: String, _ body: (JournalRecord) -> Void) throws(JournalError) -> TornLine? {
        var suspect: TornLine?
        var corruption: JournalError?
        _ = try LineScanner.scan(path: path) { line, number, terminated in
            if let earlier = suspect {
                // A bad line followed by another line: not a torn tail.
                corruption = JournalError(.corrupt, path: path, message: "\(path):\(earlier.line): not a journal record: \(earlier.reason)")
                return false
            }
            guard terminated else {
                suspect = TornLine(line: number, bytes: Array(line), reason: "the last line has no newline: its write was cut short")
                return true
            }
            switch parse(line, number: number) {
            case .success(let record): body(record)
            case .failure(let error): suspect = TornLine(line: number, bytes: Array(line), reason: error.message)
            }
            return true
        }
        if let corruption { throw corruption }
        return suspect
    }

    /// One line as a record, or why it is not one.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, number: Int) -> Result<JournalRecord, RecordFormat.SyntaxError> {
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self) }
        do throws(RecordFormat.SyntaxError) {
            let envelope = try RecordFormat.parseEnvelope(line)
            let fields = try RecordFormat.parseFields(line, envelope)
            return .success(
                JournalRecord(
                    line: number, seq: envelope.seq, timestamp: text(envelope.timestamp), run: text(envelope.run),
                    type: text(envelope.type),
                    prev: text(envelope.prev), mac: envelope.mac.map(text), fields: fields, bytes: Array(line)))
        } catch {
            return .failure(RecordFormat.SyntaxError(offset: error.offset, message: "byte \(error.offset + 1): \(error.message)"))
        }
    }
}
