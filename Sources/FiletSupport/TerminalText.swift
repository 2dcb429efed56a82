/// Text measured as a terminal shows it: in display columns, not characters or bytes. An accented letter
/// takes one column, an emoji or an East Asian wide character two, a combining mark none. Lines are fitted
/// to a width by clipping (`…`) or by wrapping, and what could move the cursor or change colours is removed.
public enum TerminalText: Sendable {
    /// The ellipsis that ends a clipped line (one column).
    public static let ellipsis = "…"

    /// The columns `text` takes on a terminal (control characters count for nothing: remove them first).
    public static func width(_ text: some StringProtocol) -> Int {
        if let ascii = asciiWidth(text) { return ascii }
        var total = 0
        for character in text { total += width(of: character) }
        return total
    }

    /// The columns one character (a grapheme cluster) takes: 0, 1 or 2.
    public static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.value < 0x7F { return first.value < 0x20 ? 0 : 1 }
        // An emoji made to look like one (U+FE0F), a flag (two regional indicators) or a keycap: two columns.
        if scalars.count > 1, scalars.contains(where: { $0.value == 0xFE0F || (0x1F1E6...0x1F1FF).contains($0.value) }) {
            return 2
        }
        for scalar in scalars {
            let columns = width(of: scalar)
            if columns > 0 { return columns }
        }
        return 0
    }

    /// The columns of one scalar on its own: 0 for marks and format characters, 2 for wide ones, else 1.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x7F { return value < 0x20 ? 0 : 1 }
        if value < 0xA0 { return 0 }
        if value < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return 0
        default: break
        }
        // Hangul vowels and final consonants that join a leading consonant.
        if (0x1160...0x11FF).contains(value) || (0xD7B0...0xD7FF).contains(value) { return 0 }
        if value == 0x200B { return 0 }
        if isWide(value) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth.txt, W and F), emoji aside.
    private static func isWide(_ value: UInt32) -> Bool {
        guard value >= 0x1100 else { return false }
        for range in wideRanges {
            if value < range.lowerBound { return false }
            if value <= range.upperBound { return true }
        }
        return false
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x303E,
        0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
        0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x17000...0x18CFF, 0x1AFF0...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E,
        0x1F191...0x1F19A, 0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248, 0x1F250...0x1F251,
        0x1F260...0x1F265, 0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F900...0x1F9FF,
        0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    /// `text` cut to at most `width` columns, its end replaced by `…` when it was cut.
    public static func clip(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if let ascii = asciiWidth(text) {
            return ascii <= width ? text : String(text.utf8.prefix(width - 1))! + ellipsis
        }
        guard Self.width(text) > width else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let columns = Self.width(of: character)
            if used + columns > width - 1 { break }
            kept.append(character)
            used += columns
        }
        return kept + ellipsis
    }

    /// `text` cut into lines of at most `width` columns, at spaces where it can be (a word longer than a
    /// line is cut where it must). The first line keeps the text's leading spaces; the others start with
    /// `indent`. Nothing is lost but the spaces where lines break.
    public static func wrap(_ text: String, width: Int, indent: String = "") -> [String] {
        let width = max(1, width)
        if let ascii = asciiWidth(text), ascii <= width { return [text] }
        var indent = indent
        var indentWidth = Self.width(indent)
        if indentWidth >= width {
            indent = ""
            indentWidth = 0
        }
        var lines: [String] = []
        // The text's own leading spaces start its first line.
        let leading = min(text.prefix(while: { $0 == " " }).count, width - 1)
        var line = String(repeating: " ", count: leading)
        var used = leading
        var start = leading
        func newLine() {
            lines.append(line)
            line = indent
            used = indentWidth
            start = indentWidth
        }
        for word in text.split(separator: " ") {
            let wordWidth = Self.width(word)
            let hasContent = used > start
            if hasContent && used + 1 + wordWidth <= width {
                line += " " + word
                used += 1 + wordWidth
            } else if !hasContent && used + wordWidth <= width {
                line += word
                used += wordWidth
            } else if wordWidth <= width - indentWidth {
                newLine()
                line += word
                used += wordWidth
            } else {
                // A word longer than any line: cut where it must be.
                if hasContent {
                    if used + 2 <= width {
                        line += " "
                        used += 1
                    } else {
                        newLine()
                    }
                }
                for character in word {
                    let columns = Self.width(of: character)
                    if used + columns > width { newLine() }
                    line.append(character)
                    used += columns
                }
            }
        }
        lines.append(line)
        return lines
    }

    /// `text` as one line that cannot act on a terminal, and that shows what was there: tabs and line breaks turned
    /// into spaces, colours dropped, every other control character written out (`\e` for ESC, so that `\e]0;title`
    /// is seen, not run; `\x07`, `\u{9B}`), and so are the characters that reorder text (bidirectional controls,
    /// `\u{202E}`).
    public static func displayable(_ text: String) -> String {
        inert(text, keepingLines: false)
    }

    /// ``displayable(_:)`` for text of several lines (`audit show`, a Markdown report): line feeds and tabs are kept.
    public static func inert(_ text: String) -> String {
        inert(text, keepingLines: true)
    }

    private static func inert(_ text: String, keepingLines: Bool) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var result = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            // Colours and styles (SGR, `ESC [ digits ; … m`) only colour: dropped, not shown.
            if scalar.value == 0x1B, let end = colourSequenceEnd(scalars, from: index) {
                index = end
                continue
            }
            switch scalar.value {
            case 0x0A where keepingLines, 0x09 where keepingLines:
                result.append(scalar)
            case 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                if keepingLines {
                    result.append(contentsOf: ("\\x" + hex(scalar.value, digits: 2)).unicodeScalars)
                } else {
                    result.append(" ")
                }
            case 0x1B:
                result.append(contentsOf: "\\e".unicodeScalars)
            case 0x00..<0x20, 0x7F:
                result.append(contentsOf: ("\\x" + hex(scalar.value, digits: 2)).unicodeScalars)
            case 0x80..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C:
                result.append(contentsOf: ("\\u{" + hex(scalar.value, digits: 2) + "}").unicodeScalars)
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// After an ESC at `start - 1`: the index past `[ digits ; … m` when that is what follows.
    private static func colourSequenceEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        guard start < scalars.count, scalars[start] == "[" else { return nil }
        var index = start + 1
        while index < scalars.count, scalars[index] == ";" || ("0"..."9").contains(scalars[index]) { index += 1 }
        return index < scalars.count && scalars[index] == "m" ? index + 1 : nil
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The width of printable ASCII text (its byte count), or nil when it holds anything else.
    private static func asciiWidth(_ text: some StringProtocol) -> Int? {
        var count = 0
        for byte in text.utf8 {
            guard byte >= 0x20 && byte < 0x7F else { return nil }
            count += 1
        }
        return count
    }
}
