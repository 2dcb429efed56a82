extension JSONValue {
    /// JSON text that ``JSONValue`` cannot read, with the byte offset where reading stopped.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The 0-based byte offset of the problem in the parsed bytes.
        public var offset: Int
        public var message: String

        public init(offset: Int, message: String) {
            self.offset = offset
            self.message = message
        }

        public var description: String { "byte \(offset + 1): \(message)" }
    }

    /// Parses one JSON value from UTF-8 bytes (RFC 8259), with nothing but whitespace around it.
    ///
    /// ``JSONValue`` has no fractional numbers: a number with a fraction or an exponent, or an
    /// integer that does not fit in `Int`, is reported as an error rather than rounded.
    /// Objects keep their members in order, duplicates included.
    public init(parsing bytes: [UInt8]) throws(ParseError) {
        self = try bytes.withUnsafeBufferPointer { (buffer) throws(ParseError) -> JSONValue in
            var reader = JSONByteReader(buffer)
            reader.skipWhitespace()
            let value = try reader.parseValue(depth: 0)
            reader.skipWhitespace()
            guard reader.isAtEnd else { throw reader.error("unexpected text after the JSON value") }
            return value
        }
    }

    /// Parses one JSON value from text; see ``init(parsing:)-(_:[UInt8])``.
    public init(parsing text: String) throws(ParseError) {
        try self.init(parsing: Array(text.utf8))
    }
}

/// A cursor over JSON bytes that either builds ``JSONValue``s or only checks and skips them
/// (no allocation: what the journal verifier uses on every line).
package struct JSONByteReader {
    /// Nesting deeper than this is refused rather than risking the stack.
    static let maximumDepth = 256

    let bytes: UnsafeBufferPointer<UInt8>
    package var index: Int

    package init(_ bytes: UnsafeBufferPointer<UInt8>, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var isAtEnd: Bool { index >= bytes.count }

    func error(_ message: String, at offset: Int? = nil) -> JSONValue.ParseError {
        JSONValue.ParseError(offset: offset ?? index, message: message)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` or throws, naming what was expected.
    package mutating func expect(_ byte: UInt8, _ what: String) throws(JSONValue.ParseError) {
        guard index < bytes.count else { throw error("the text ends where \(what) was expected") }
        guard bytes[index] == byte else { throw error("expected \(what)") }
        index += 1
    }

    // MARK: Building values

    package mutating func parseValue(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard index < bytes.count else { throw error("the text ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            index += 1
            var members: [(String, JSONValue)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error("expected a member name in double quotes")
                }
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a member name")
                skipWhitespace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(members)
            }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(items)
            }
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return .integer(try parseInteger())
        }
    }

    /// A string literal, unescaped. The cursor is on the opening quote.
    package mutating func parseString() throws(JSONValue.ParseError) -> String {
        let start = index + 1
        let hasEscapes = try skipString()
        let end = index - 1
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var position = start
        while position < end {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                position += 1
                continue
            }
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var value = Self.hex4(bytes, at: position)
                position += 4
                if (0xD800..<0xDC00).contains(value) {
                    // skipString checked that a low surrogate escape follows.
                    let low = Self.hex4(bytes, at: position + 2)
                    position += 6
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                UTF8.encode(Unicode.Scalar(value) ?? "\u{FFFD}") { out.append($0) }
            default: out.append(escape)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An integer: JSON number syntax, without fraction or exponent, within `Int`.
    mutating func parseInteger() throws(JSONValue.ParseError) -> Int {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw error("expected a value (a string, number, object, array, true, false or null)", at: start)
        }
        if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index + 1])
        {
            throw error("a number with a leading zero")
        }
        var value = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw error("the integer does not fit in 64 bits", at: start) }
            value = next
            index += 1
        }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw error("a number with a fraction or an exponent; filet's JSON holds integers only", at: start)
        }
        return value
    }

    mutating func literal(_ word: StaticString) throws(JSONValue.ParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            word.withUTF8Buffer({ word in (0..<count).allSatisfy { bytes[index + $0] == word[$0] } })
        else { throw error("expected a value (a string, number, object, array, true, false or null)") }
        index += count
    }

    // MARK: Checking without building

    /// Checks and steps over one value.
    package mutating func skipValue(depth: Int) throws(JSONValue.ParseError) {
        guard index < bytes.count else { throw error("the text ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error("expected a member name in double quotes")
                }
                _ = try skipString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a member name")
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return
            }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("the text ends inside an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseInteger()
        }
    }

    /// Checks a string literal (escapes, control characters, UTF-8) and steps past its closing
    /// quote. The cursor is on the opening quote. Returns whether it holds escapes.
    package mutating func skipString() throws(JSONValue.ParseError) -> Bool {
        let start = index
        index += 1
        var hasEscapes = false
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return hasEscapes
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                guard index + 1 < count else { break }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 6 <= count, Self.isHex4(bytes, at: index + 2) else { throw error("a \\u escape needs four hex digits") }
                    let value = Self.hex4(bytes, at: index + 2)
                    if (0xDC00..<0xE000).contains(value) { throw error("a lone low surrogate escape") }
                    if (0xD800..<0xDC00).contains(value) {
                        guard index + 12 <= count, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                            Self.isHex4(bytes, at: index + 8), (0xDC00..<0xE000).contains(Self.hex4(bytes, at: index + 8))
                        else { throw error("a high surrogate escape without its low surrogate") }
                        index += 12
                    } else {
                        index += 6
                    }
                default: throw error("an unknown escape '\\\(Character(Unicode.Scalar(bytes[index + 1])))'")
                }
                continue
            }
            if byte < 0x20 { throw error("a control character inside a string (it must be escaped)") }
            if byte < 0x80 {
                index += 1
                continue
            }
            guard let (_, length) = UTF8Sequence.decode(bytes, at: index) else { throw error("invalid UTF-8") }
            index += length
        }
        throw error("a string that is never closed", at: start)
    }

    static func isHex4(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        (index..<index + 4).allSatisfy { Hex.value(ofAnyCase: bytes[$0]) != nil }
    }

    static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        (index..<index + 4).reduce(0) { $0 << 4 | UInt32(Hex.value(ofAnyCase: bytes[$1]) ?? 0) }
    }
}
