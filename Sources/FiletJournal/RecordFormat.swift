#if canImport(Glibc)
    import Glibc
    import FiletSupport
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exact bytes of one journal line, written and read:
///
///     {"seq":N,"ts":"…","run":"…","type":"…","prev":"<64 hex>",…fields…,"mac":"<64 hex>"}
///
/// The envelope is always in this order, without whitespace; `mac` is present only with a key,
/// and always last. Reading accepts exactly this canonical form: anything else is not a record.
enum RecordFormat {
    /// Member names that belong to the envelope and cannot be used by the caller's fields.
    static let reservedNames: Set<String> = ["seq", "ts", "run", "type", "prev", "mac"]

    // MARK: Writing

    /// A record type: 1 to 64 ASCII letters, digits, `.`, `_` or `-` (such as `step.attempt`).
    static func isValidType(_ type: some Collection<UInt8>) -> Bool {
        !type.isEmpty && type.count <= 64 && type.allSatisfy(isNameByte)
    }

    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The caller's fields as the bytes `,"name":value` for each, checked: no envelope name,
    /// no name twice, no empty name.
    static func renderFields(_ fields: [(String, JSONValue)], type: String, path: String) throws(JournalError) -> [UInt8] {
        var out: [UInt8] = []
        var seen: Set<String> = []
        for (name, value) in fields {
            guard !name.isEmpty else {
                throw JournalError(.invalidRecord, path: path, message: "\(path): a '\(type)' record has a field with an empty name")
            }
            guard !reservedNames.contains(name) else {
                throw JournalError(
                    .invalidRecord, path: path,
                    message: """
                        \(path): a '\(type)' record cannot have a field named '\(name)': \
                        seq, ts, run, type, prev and mac are written by the journal itself
                        """)
            }
            guard seen.insert(name).inserted else {
                throw JournalError(.invalidRecord, path: path, message: "\(path): a '\(type)' record has the field '\(name)' twice")
            }
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: JSONValue.quoted(name).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.rendered(pretty: false).utf8)
        }
        return out
    }

    /// One whole line, without its trailing newline. `prev` is 64 lowercase hex digits.
    static func line(
        seq: Int, milliseconds: Int64, run: [UInt8], type: [UInt8], prev: [UInt8], fields: [UInt8],
        authenticator: LineAuthenticator?
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160 + run.count + type.count + fields.count)
        line.append(contentsOf: #"{"seq":"#.utf8)
        line.append(contentsOf: String(seq).utf8)
        line.append(contentsOf: #","ts":""#.utf8)
        UTCTime.appendRFC3339(milliseconds, to: &line)
        line.append(contentsOf: #"","run":""#.utf8)
        line.append(contentsOf: run)
        line.append(contentsOf: #"","type":""#.utf8)
        line.append(contentsOf: type)
        line.append(contentsOf: #"","prev":""#.utf8)
        line.append(contentsOf: prev)
        line.append(UInt8(ascii: "\""))
        line.append(contentsOf: fields)
        if let authenticator {
            // The MAC covers the line as it would be without the mac member: up to here, then "}".
            let mac = line.withUnsafeBytes { authenticator.mac(ofLinePrefix: $0) }
            line.append(contentsOf: #","mac":""#.utf8)
            mac.appendHex(to: &line)
            line.append(UInt8(ascii: "\""))
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    // MARK: Reading

    /// Where the envelope's members are in a line.
    struct Envelope {
        var seq: Int
        var milliseconds: Int64
        /// The 24 bytes of `ts`.
        var timestamp: Range<Int>
        var run: Range<Int>
        var type: Range<Int>
        /// The 64 hex digits of `prev`, and their value.
        var prev: Range<Int>
        var prevDigest: DigestWords
        /// The caller's members, `,"name":value` each, between `prev` and `mac` (or the closing brace).
        var fields: Range<Int>
        /// The 64 hex digits of `mac`, and their value, when there is one.
        var mac: Range<Int>?
        var macDigest: DigestWords?
        /// The MAC covers `line[0..<unsignedEnd]` followed by `}`.
        var unsignedEnd: Int

        /// Whether the record's type is `kind`, compared in place.
        func has(_ kind: JournalRecordKind, in line: UnsafeBufferPointer<UInt8>) -> Bool {
            var name = kind.rawValue
            return name.withUTF8 { name in
                name.count == type.count && memcmp(line.baseAddress! + type.lowerBound, name.baseAddress!, name.count) == 0
            }
        }
    }

    /// Why a line is not a record, and at which byte.
    struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    /// Finds the envelope of a line in canonical form and checks that the whole line is JSON;
    /// builds nothing (the verifier calls it on every line).
    static func parseEnvelope(_ line: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> Envelope {
        var cursor = Cursor(bytes: line)
        try cursor.literal(#"{"seq":"#, "a record starts with {\"seq\":")
        let seq = try cursor.positiveInteger()
        try cursor.literal(#","ts":""#, "expected ,\"ts\":\" after seq")
        let timestampStart = cursor.index
        guard let milliseconds = UTCTime.parseRFC3339(line, at: timestampStart) else {
            throw SyntaxError(offset: timestampStart, message: "ts is not a UTC time of the form 2026-11-29T08:15:02.123Z")
        }
        cursor.index += 24
        try cursor.literal(#"","run":""#, "expected \",\"run\":\" after ts")
        let run = try cursor.name("run")
        try cursor.literal(#"","type":""#, "expected \",\"type\":\" after run")
        let type = try cursor.name("type")
        try cursor.literal(#"","prev":""#, "expected \",\"prev\":\" after type")
        let prevStart = cursor.index
        guard let prevDigest = DigestWords(hex: line, at: prevStart) else {
            throw SyntaxError(offset: prevStart, message: "prev is not 64 lowercase hex digits")
        }
        cursor.index += 64
        try cursor.literal("\"", "prev is longer than 64 hex digits")
        let fieldsStart = cursor.index
        let count = line.count
        while true {
            guard cursor.index < count else {
                throw SyntaxError(offset: cursor.index, message: "the record is cut short (no closing brace)")
            }
            if line[cursor.index] == UInt8(ascii: "}") {
                guard cursor.index == count - 1 else {
                    throw SyntaxError(offset: cursor.index + 1, message: "text after the record's closing brace")
                }
                return Envelope(
                    seq: seq, milliseconds: milliseconds, timestamp: timestampStart..<timestampStart + 24, run: run, type: type,
                    prev: prevStart..<prevStart + 64, prevDigest: prevDigest, fields: fieldsStart..<cursor.index,
                    mac: nil, macDigest: nil, unsignedEnd: cursor.index)
            }
            let memberStart = cursor.index
            try cursor.literal(",", "expected ',' or '}' after a member")
            guard cursor.index < count, line[cursor.index] == UInt8(ascii: "\"") else {
                throw SyntaxError(offset: cursor.index, message: "expected a member name in double quotes")
            }
            var reader = JSONByteReader(line, index: cursor.index)
            do { _ = try reader.skipString() } catch { throw SyntaxError(offset: error.offset, message: error.message) }
            let name = (cursor.index + 1)..<(reader.index - 1)
            cursor.index = reader.index
            try cursor.literal(":", "expected ':' after a member name")
            if cursor.matches(name, "mac") {
                let macStart = cursor.index + 1
                guard cursor.index < count, line[cursor.index] == UInt8(ascii: "\""), let macDigest = DigestWords(hex: line, at: macStart)
                else {
                    throw SyntaxError(offset: cursor.index, message: "mac is not 64 lowercase hex digits in double quotes")
                }
                cursor.index = macStart + 64
                try cursor.literal("\"}", "mac must be the record's last member")
                guard cursor.index == count else {
                    throw SyntaxError(offset: cursor.index, message: "text after the record's closing brace")
                }
                return Envelope(
                    seq: seq, milliseconds: milliseconds, timestamp: timestampStart..<timestampStart + 24, run: run, type: type,
                    prev: prevStart..<prevStart + 64, prevDigest: prevDigest, fields: fieldsStart..<memberStart,
                    mac: macStart..<macStart + 64, macDigest: macDigest, unsignedEnd: memberStart)
            }
            if cursor.matches(name, "seq") || cursor.matches(name, "ts") || cursor.matches(name, "run") || cursor.matches(name, "type")
                || cursor.matches(name, "prev")
            {
                throw SyntaxError(
                    offset: name.lowerBound, message: "the envelope member '\(String(decoding: line[name], as: UTF8.self))' appears twice")
            }
            reader.index = cursor.index
            do { try reader.skipValue(depth: 1) } catch { throw SyntaxError(offset: error.offset, message: error.message) }
            cursor.index = reader.index
        }
    }

    /// The caller's members of a line whose envelope was found, as values.
    static func parseFields(_ line: UnsafeBufferPointer<UInt8>, _ envelope: Envelope) throws(SyntaxError) -> [(String, JSONValue)] {
        var reader = JSONByteReader(line, index: envelope.fields.lowerBound)
        var fields: [(String, JSONValue)] = []
        do {
            while reader.index < envelope.fields.upperBound {
                try reader.expect(UInt8(ascii: ","), "','")
                let name = try reader.parseString()
                try reader.expect(UInt8(ascii: ":"), "':'")
                fields.append((name, try reader.parseValue(depth: 1)))
            }
        } catch {
            throw SyntaxError(offset: error.offset, message: error.message)
        }
        return fields
    }

    /// Why `line` is not spelled as filet writes it, nil when it is (or when it is no record at all, which the
    /// envelope's parse says on its own).
    static func spellingProblem(_ line: [UInt8]) -> SyntaxError? {
        line.withUnsafeBufferPointer { line in
            do throws(SyntaxError) {
                let envelope = try parseEnvelope(line)
                try requireCanonical(try parseFields(line, envelope), in: line, at: envelope.fields)
                return nil
            } catch {
                return error
            }
        }
    }

    /// The members must be byte for byte what the writer makes of them (``renderFields(_:type:path:)``): no space, no
    /// other escape, no other number form. Any other spelling was not written by filet, so an edit that only adds a
    /// space or re-escapes a character is found even on the last line, which no later `prev` covers.
    private static func requireCanonical(
        _ fields: [(String, JSONValue)], in line: UnsafeBufferPointer<UInt8>, at range: Range<Int>
    ) throws(SyntaxError) {
        var offset = range.lowerBound
        for (name, value) in fields {
            var canonical: [UInt8] = [UInt8(ascii: ",")]
            canonical.append(contentsOf: JSONValue.quoted(name).utf8)
            canonical.append(UInt8(ascii: ":"))
            canonical.append(contentsOf: value.rendered(pretty: false).utf8)
            let end = offset + canonical.count
            guard end <= range.upperBound, canonical.elementsEqual(UnsafeBufferPointer(rebasing: line[offset..<end])) else {
                throw SyntaxError(
                    offset: offset,
                    message: "the field '\(name)' is not written as filet writes it (a space, an escape or a number changed)")
            }
            offset = end
        }
        guard offset == range.upperBound else {
            throw SyntaxError(offset: offset, message: "the record is not written as filet writes it")
        }
    }

    /// A position in a line, with the few checks the envelope needs.
    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func literal(_ text: StaticString, _ message: String) throws(SyntaxError) {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count, memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else {
                throw SyntaxError(offset: index, message: message)
            }
            index += count
        }

        func matches(_ range: Range<Int>, _ text: StaticString) -> Bool {
            range.count == text.utf8CodeUnitCount && memcmp(bytes.baseAddress! + range.lowerBound, text.utf8Start, range.count) == 0
        }

        /// 1 to 18 digits without a leading zero.
        mutating func positiveInteger() throws(SyntaxError) -> Int {
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), index - start < 18 {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > start, bytes[start] != UInt8(ascii: "0"),
                index == bytes.count || bytes[index] < UInt8(ascii: "0") || bytes[index] > UInt8(ascii: "9")
            else { throw SyntaxError(offset: start, message: "seq is not a positive integer") }
            return value
        }

        /// A run id or a record type: name bytes up to the closing quote (not consumed).
        mutating func name(_ member: String) throws(SyntaxError) -> Range<Int> {
            let start = index
            while index < bytes.count, RecordFormat.isNameByte(bytes[index]) { index += 1 }
            guard index > start, index - start <= 64 else {
                throw SyntaxError(offset: start, message: "\(member) must be 1 to 64 letters, digits, '.', '_' or '-'")
            }
            return start..<index
        }
    }
}
