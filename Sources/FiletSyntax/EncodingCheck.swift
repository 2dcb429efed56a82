import FiletSupport

/// The byte-level checks made before parsing: valid UTF-8, no NUL or other
/// control characters, no lone carriage return, no invisible characters that
/// change how a file reads.
enum EncodingCheck {
    static func check(_ bytes: [UInt8]) throws(Diagnostic) {
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var lineStart = index
        func location(_ offset: Int) -> SourceLocation {
            var column = 1
            for position in lineStart..<offset where bytes[position] & 0xC0 != 0x80 { column += 1 }
            return SourceLocation(line: line, column: column, offset: offset)
        }
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte >= 0x20 && byte < 0x7F || byte == 0x09 {
                index += 1
                continue
            }
            switch byte {
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            case 0x0D:
                guard index + 1 < count, bytes[index + 1] == 0x0A else {
                    throw Diagnostic(
                        "lone-carriage-return", "a carriage return (CR) that is not followed by a line feed",
                        at: location(index), hint: "save the file with LF or CRLF line ends")
                }
                index += 2
                line += 1
                lineStart = index
            case 0x00:
                throw Diagnostic(
                    "nul-byte", "a NUL byte; runbooks are text files", at: location(index),
                    hint: "check that this is the right file and that it is saved as UTF-8 text")
            case 0x01..<0x20, 0x7F:
                throw Diagnostic(
                    "control-character",
                    "control character U+\(Hex.codePoint(UInt32(byte))) is not allowed in a runbook",
                    at: location(index), hint: "remove it, or write it as an escape inside double quotes")
            default:
                guard let (scalar, length) = UTF8Sequence.decode(bytes, at: index) else { throw invalid(at: location(index)) }
                if scalar.value >= 0x80 && scalar.value < 0xA0 && scalar.value != 0x85 {
                    throw Diagnostic(
                        "control-character",
                        "control character U+\(Hex.codePoint(scalar.value)) is not allowed in a runbook",
                        at: location(index), hint: "remove it, or write it as an escape inside double quotes")
                }
                if Syntax.isInvisibleHazard(scalar) || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    throw hazard(scalar, at: location(index))
                }
                index += length
            }
        }
    }

    private static func hazard(_ scalar: Unicode.Scalar, at location: SourceLocation) -> Diagnostic {
        let code = "U+\(Hex.codePoint(scalar.value))"
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069:
            return Diagnostic(
                "bidi-control", "bidirectional control character \(code): it makes the file read differently than it runs",
                at: location, hint: "delete it; if you need right-to-left text, write it without direction overrides")
        case 0x85, 0x2028, 0x2029:
            return Diagnostic(
                "unicode-line-separator", "Unicode line separator \(code); YAML parsers disagree on whether it ends a line",
                at: location, hint: "use an ordinary line break (LF)")
        case 0xFEFF:
            return Diagnostic(
                "byte-order-mark", "byte order mark \(code) in the middle of the file",
                at: location, hint: "a byte order mark is only allowed as the very first character; delete this one")
        default:
            return Diagnostic("non-character", "Unicode non-character \(code)", at: location, hint: "delete it")
        }
    }

    private static func invalid(at location: SourceLocation) -> Diagnostic {
        Diagnostic(
            "invalid-utf8", "invalid UTF-8: runbooks must be UTF-8 text", at: location,
            hint: "re-save the file as UTF-8 (for example with `iconv -f LATIN1 -t UTF-8`)")
    }
}
