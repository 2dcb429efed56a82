/// A position in a source file: 1-based line and column (columns count Unicode
/// scalars, as editors do) and the 0-based byte offset.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// The start of a file.
    public static let start = SourceLocation(line: 1, column: 1, offset: 0)

    /// `line:column`, as compilers print it.
    public var description: String { "\(line):\(column)" }

    /// The location `count` characters further on the same line.
    public func advanced(byColumns count: Int, bytes: Int) -> SourceLocation {
        SourceLocation(line: line, column: column + count, offset: offset + bytes)
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        lhs.offset < rhs.offset
    }
}

/// The bytes of one runbook file and the path it is reported under.
public struct SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The text of the line that contains `location`, without its line break,
    /// or nil when the line cannot be shown as text.
    public func lineText(containing location: SourceLocation) -> String? {
        guard location.offset >= 0, location.offset <= bytes.count else { return nil }
        var start = min(location.offset, bytes.count)
        while start > 0, bytes[start - 1] != 0x0A, bytes[start - 1] != 0x0D { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
        if start == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = min(3, end) }
        let slice = bytes[start..<end]
        if slice.count > 400 { return nil }
        guard let text = String(validating: slice, as: UTF8.self) else { return nil }
        // Show control characters as the Unicode "control picture" so the caret stays aligned.
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    if scalar.value < 0x20 && scalar != "\t" { return Unicode.Scalar(0x2400 + scalar.value)! }
                    if Syntax.isInvisibleHazard(scalar) { return "\u{FFFD}" }
                    return scalar
                }))
    }
}
