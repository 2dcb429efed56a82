import FiletSyntax

/// Writes a ``GeneratedNode`` tree as filet YAML, choosing every layout and style at
/// random among those that compose back to exactly that tree.
///
/// Everything it writes stays inside filet YAML: spaces for indentation, no tabs after
/// ':' or '-', no multi-line keys, continuation lines of quoted scalars and flow
/// collections indented past their parent, '#' always after a blank, block scalars
/// whose leading blank lines are no deeper than their text.
struct DocumentEmitter {
    /// Per-document tendencies, drawn once so that documents differ in character.
    struct Knobs {
        var comment: Double
        var blank: Double
        var flow: Double
        var fold: Double
        var trailingSpace: Double
        var nextLineValue: Double
        /// One indentation width for the document, or nil for a random width per collection.
        var width: Int?

        init(_ rng: inout SplitMix64) {
            comment = rng.pick([0, 0.05, 0.15, 0.3])
            blank = rng.pick([0, 0.05, 0.15, 0.3])
            flow = rng.pick([0, 0.1, 0.25, 0.5])
            fold = rng.pick([0, 0.05, 0.2, 0.5])
            trailingSpace = rng.pick([0, 0.05, 0.2])
            nextLineValue = rng.pick([0, 0.05, 0.15])
            width = rng.chance(0.6) ? rng.int(1...4) : nil
        }
    }

    enum Layout {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// Pieces of a flow scalar's text: text, and the line breaks between its lines.
    enum Piece {
        case text(String)
        /// A line break that folds to a space.
        case fold
        /// A line break followed by `count` empty lines: `count` newlines in the value.
        case breaks(Int)
        /// A backslash-escaped line break (double quotes only): nothing in the value.
        case escapedBreak
    }

    private var rng: SplitMix64
    private let knobs: Knobs
    private var out = ""
    private var column = 0
    /// The content indentation of the block scalar just written, and whether it keeps
    /// trailing lines: the lines that follow it must not be read as part of it.
    private var lastBlock: (indent: Int, keep: Bool)?

    init(rng: SplitMix64) {
        self.rng = rng
        knobs = Knobs(&self.rng)
    }

    // MARK: Document

    mutating func document(_ root: GeneratedNode) -> String {
        let bom = rng.chance(0.08)
        let crlf = rng.chance(0.15)
        if rng.chance(0.25) { commentLine(indent: 0) }
        if rng.chance(0.3) {
            write("---")
            if rng.chance(0.2) { write(" # \(commentText())") }
            newline()
        }
        let rootIndent = rng.chance(0.1) ? rng.int(1...3) : 0
        switch root {
        case .mapping(let entries) where !entries.isEmpty:
            blockMapping(entries, indent: rootIndent, inline: false)
        case .sequence(let items) where !items.isEmpty:
            blockSequence(items, indent: rootIndent, inline: false)
        default:
            preconditionFailure("the root of a generated document is a non-empty collection")
        }
        if rng.chance(0.12) {
            write("...")
            if rng.chance(0.3) { write(" # end") }
            newline()
        }
        if rng.chance(0.15) { commentLine(indent: 0) }
        if lastBlock == nil && rng.chance(0.1) { out.removeLast() }
        var text = out
        if crlf {
            text = String(decoding: text.utf8.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }, as: UTF8.self)
        }
        return bom ? "\u{FEFF}" + text : text
    }

    // MARK: Block collections

    private mutating func blockMapping(_ entries: [GeneratedNode.Entry], indent: Int, inline: Bool) {
        for (index, entry) in entries.enumerated() {
            if index > 0 || !inline {
                gap(indent: indent)
                spaces(indent)
            }
            key(entry.key, flow: false)
            write(":")
            blockValue(entry.value, parent: indent, inSequence: false)
        }
    }

    private mutating func blockSequence(_ items: [GeneratedNode], indent: Int, inline: Bool) {
        for (index, item) in items.enumerated() {
            if index > 0 || !inline {
                gap(indent: indent)
                spaces(indent)
            }
            write("-")
            blockValue(item, parent: indent, inSequence: true)
        }
    }

    /// Writes what follows `key:` or `-` (which the cursor is just after), up to and
    /// including the line break that ends it.
    private mutating func blockValue(_ node: GeneratedNode, parent: Int, inSequence: Bool) {
        switch node {
        case .scalar(let text):
            if text.isEmpty && rng.chance(0.6) {
                trailingComment()
                newline()
                return
            }
            blockScalarValue(text, parent: parent)
        case .mapping(let entries):
            if entries.isEmpty || rng.chance(knobs.flow) {
                flowValue(node, parent: parent)
            } else if inSequence && rng.chance(0.8) {
                write(String(repeating: " ", count: rng.chance(0.85) ? 1 : rng.int(2...3)))
                blockMapping(entries, indent: column, inline: true)
            } else {
                trailingComment()
                newline()
                blockMapping(entries, indent: parent + width(), inline: false)
            }
        case .sequence(let items):
            if items.isEmpty || rng.chance(knobs.flow) {
                flowValue(node, parent: parent)
            } else if inSequence && rng.chance(0.6) {
                write(String(repeating: " ", count: rng.chance(0.85) ? 1 : rng.int(2...3)))
                blockSequence(items, indent: column, inline: true)
            } else {
                trailingComment()
                newline()
                let indentless = !inSequence && rng.chance(0.35)
                blockSequence(items, indent: parent + (indentless ? 0 : width()), inline: false)
            }
        }
    }

    private mutating func flowValue(_ node: GeneratedNode, parent: Int) {
        if rng.chance(knobs.nextLineValue) {
            trailingComment()
            newline()
            gap(indent: parent + 1)
            spaces(parent + width())
        } else {
            write(" ")
        }
        flowNode(node, parent: parent, multiline: rng.chance(0.3))
        trailingComment()
        newline(blanks: true)
    }

    private mutating func blockScalarValue(_ text: String, parent: Int) {
        let scalars = Array(text.unicodeScalars)
        var options: [(Layout, Int)] = [(.doubleQuoted, 3)]
        if Self.canBePlain(scalars, flow: false) { options.append((.plain, 10)) }
        if Self.canBeSingleQuoted(scalars) { options.append((.singleQuoted, 3)) }
        if Self.canBeBlock(scalars) {
            let weight = text.contains("\n") ? 6 : 1
            options += [(.literal, weight), (.folded, weight)]
        }
        let layout = weighted(options)
        if layout == .literal || layout == .folded {
            write(" ")
            blockScalar(scalars, literal: layout == .literal, parent: parent)
            return
        }
        if rng.chance(knobs.nextLineValue) {
            trailingComment()
            newline()
            gap(indent: parent + 1)
            spaces(parent + width())
        } else {
            write(String(repeating: " ", count: rng.chance(0.9) ? 1 : rng.int(2...4)))
        }
        flowScalar(scalars, layout: layout, parent: parent, fold: knobs.fold)
        trailingComment()
        newline(blanks: true)
    }

    // MARK: Block scalars

    /// Writes `|` or `>` with its header, then the text's lines, so that the scalar reads back as `scalars`.
    private mutating func blockScalar(_ scalars: [Unicode.Scalar], literal: Bool, parent: Int) {
        var trailing = 0
        while trailing < scalars.count && scalars[scalars.count - 1 - trailing] == "\n" { trailing += 1 }
        let body = Array(scalars[..<(scalars.count - trailing)])
        let parts = body.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        let firstText = parts.first { !$0.isEmpty }!
        let needsIndicator = Self.isBlank(firstText[0])
        let indicator = needsIndicator || rng.chance(0.15) ? rng.int(1...9) : 0
        let indent = indicator > 0 ? max(parent, 0) + indicator : parent + width()
        let keep = trailing > 1 || (trailing == 1 && rng.chance(0.2))

        var header = literal ? "|" : ">"
        let chomping = trailing == 0 ? "-" : keep ? "+" : ""
        let digit = indicator > 0 ? String(indicator) : ""
        header += rng.chance(0.5) ? chomping + digit : digit + chomping
        write(header)
        if rng.chance(0.1) { write(" # \(commentText())") }
        newline(blanks: true)

        // The lines after the indentation: nil for an empty line.
        var lines: [String?] = []
        var previous: [Unicode.Scalar]?
        var empties = 0
        for part in parts {
            if part.isEmpty {
                empties += 1
                continue
            }
            if let previous {
                // In a folded scalar, one line break between two lines that do not start
                // with a blank reads as a space, so n newlines take n empty lines.
                let folds = !literal && !Self.isBlank(previous[0]) && !Self.isBlank(part[0])
                lines += Array(repeating: nil, count: folds ? empties + 1 : empties)
            } else {
                lines += Array(repeating: nil, count: empties)
            }
            if literal || Self.isBlank(part[0]) {
                lines.append(Self.string(part))
            } else {
                for piece in foldedPieces(part) { lines.append(piece) }
            }
            previous = part
            empties = 0
        }
        for line in lines {
            if let line {
                spaces(indent)
                rawWrite(line)
                rawWrite("\n")
            } else {
                blankLine(maxSpaces: indent)
            }
        }
        if keep {
            for _ in 0..<max(0, trailing - 1) { blankLine(maxSpaces: indent) }
        } else if rng.chance(0.2) {
            for _ in 0..<rng.int(1...2) { blankLine(maxSpaces: indent) }
        }
        column = 0
        lastBlock = (indent, keep)
    }

    /// Splits a line of a folded scalar at single spaces between non-blank characters.
    private mutating func foldedPieces(_ part: [Unicode.Scalar]) -> [String] {
        var pieces: [String] = []
        var current = ""
        for (index, scalar) in part.enumerated() {
            if scalar == " ", index > 0, index + 1 < part.count, !Self.isBlank(part[index - 1]), !Self.isBlank(part[index + 1]),
                rng.chance(knobs.fold)
            {
                pieces.append(current)
                current = ""
                continue
            }
            current.unicodeScalars.append(scalar)
        }
        pieces.append(current)
        return pieces
    }

    // MARK: Flow scalars

    /// Writes a plain or quoted scalar at the cursor; its continuation lines go deeper than `parent`.
    private mutating func flowScalar(_ scalars: [Unicode.Scalar], layout: Layout, parent: Int, fold: Double) {
        switch layout {
        case .plain:
            writePieces(pieces(scalars, fold: fold) { String($0) }, parent: parent)
        case .singleQuoted:
            write("'")
            writePieces(pieces(scalars, fold: fold) { $0 == "'" ? "''" : String($0) }, parent: parent)
            write("'")
        default:
            write("\"")
            writePieces(doubleQuotedPieces(scalars, fold: fold), parent: parent)
            write("\"")
        }
    }

    /// Splits plain or single-quoted text into lines: folds at some single spaces, and
    /// writes each run of newlines as line breaks.
    private mutating func pieces(_ scalars: [Unicode.Scalar], fold: Double, atom: (Unicode.Scalar) -> String) -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                var count = 0
                while index < scalars.count && scalars[index] == "\n" {
                    count += 1
                    index += 1
                }
                pieces.append(.text(text))
                pieces.append(.breaks(count))
                text = ""
                continue
            }
            if scalar == " " && Self.isFoldPoint(scalars, index) && rng.chance(fold) {
                pieces.append(.text(text))
                pieces.append(.fold)
                text = ""
                index += 1
                continue
            }
            text += atom(scalar)
            index += 1
        }
        pieces.append(.text(text))
        return pieces
    }

    private mutating func doubleQuotedPieces(_ scalars: [Unicode.Scalar], fold: Double) -> [Piece] {
        var pieces: [Piece] = []
        var text = ""
        var index = 0
        func flush(_ piece: Piece) {
            pieces.append(.text(text))
            pieces.append(piece)
            text = ""
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                var end = index
                while end < scalars.count && scalars[end] == "\n" { end += 1 }
                let before = index > 0 ? scalars[index - 1] : nil
                let after = end < scalars.count ? scalars[end] : nil
                if fold > 0, !(before.map(Self.isBlank) ?? false), !(after.map(Self.isBlank) ?? false), rng.chance(0.5) {
                    flush(.breaks(end - index))
                    index = end
                    continue
                }
            }
            if scalar == " " && Self.isFoldPoint(scalars, index) && rng.chance(fold) {
                flush(.fold)
                index += 1
                continue
            }
            if fold > 0 && !Self.isBlank(scalar) && rng.chance(fold / 8) {
                flush(.escapedBreak)
            }
            let literalTab =
                scalar == "\t" && index > 0 && index + 1 < scalars.count
                && !Self.isBlank(scalars[index - 1]) && scalars[index - 1] != "\n"
                && !Self.isBlank(scalars[index + 1]) && scalars[index + 1] != "\n" && rng.chance(0.5)
            text += literalTab ? "\t" : escape(scalar)
            index += 1
        }
        if fold > 0 && rng.chance(fold / 8) { flush(.escapedBreak) }
        pieces.append(.text(text))
        return pieces
    }

    private mutating func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "/": return rng.chance(0.2) ? "\\/" : "/"
        default:
            let value = scalar.value
            if !Self.isRawSafe(scalar) || (value > 0x7F && rng.chance(0.15)) || (value < 0x7F && rng.chance(0.02)) {
                return hexEscape(value)
            }
            return String(scalar)
        }
    }

    private mutating func hexEscape(_ value: UInt32) -> String {
        let (letter, digits) = value <= 0xFF && rng.chance(0.5) ? ("x", 2) : value <= 0xFFFF && rng.chance(0.7) ? ("u", 4) : ("U", 8)
        var hex = String(value, radix: 16, uppercase: rng.chance(0.5))
        hex = String(repeating: "0", count: digits - hex.count) + hex
        return "\\" + letter + hex
    }

    private mutating func writePieces(_ pieces: [Piece], parent: Int) {
        for piece in pieces {
            switch piece {
            case .text(let text):
                write(text)
            case .fold:
                newline(blanks: true)
                spaces(parent + 1 + rng.int(0...3))
            case .breaks(let count):
                newline(blanks: true)
                for _ in 0..<count { blankLine(maxSpaces: parent + 3) }
                spaces(parent + 1 + rng.int(0...3))
            case .escapedBreak:
                write("\\")
                newline()
                spaces(parent + 1 + rng.int(0...3))
            }
        }
    }

    // MARK: Flow collections

    private mutating func flowNode(_ node: GeneratedNode, parent: Int, multiline: Bool) {
        switch node {
        case .scalar(let text):
            let scalars = Array(text.unicodeScalars)
            var options: [(Layout, Int)] = [(.doubleQuoted, 3)]
            if !text.isEmpty && Self.canBePlain(scalars, flow: true) { options.append((.plain, 10)) }
            if Self.canBeSingleQuoted(scalars) && (multiline || !text.contains("\n")) { options.append((.singleQuoted, 3)) }
            flowScalar(scalars, layout: weighted(options), parent: parent, fold: multiline ? knobs.fold : 0)
        case .sequence(let items):
            write("[")
            if multiline && rng.chance(0.3) { flowBreak(parent: parent) }
            for (index, item) in items.enumerated() {
                if index > 0 { flowSeparator(parent: parent, multiline: multiline) }
                flowNode(item, parent: parent, multiline: multiline)
            }
            flowEnd(parent: parent, multiline: multiline, empty: items.isEmpty)
            write("]")
        case .mapping(let entries):
            write("{")
            if multiline && rng.chance(0.3) { flowBreak(parent: parent) }
            for (index, entry) in entries.enumerated() {
                if index > 0 { flowSeparator(parent: parent, multiline: multiline) }
                let quotedKey = key(entry.key, flow: true)
                if case .scalar("") = entry.value, rng.chance(0.5) {
                    write(": ")
                    continue
                }
                write(quotedKey && rng.chance(0.3) ? ":" : ": ")
                if multiline && rng.chance(0.1) { flowBreak(parent: parent) }
                flowNode(entry.value, parent: parent, multiline: multiline)
            }
            flowEnd(parent: parent, multiline: multiline, empty: entries.isEmpty)
            write("}")
        }
    }

    private mutating func flowSeparator(parent: Int, multiline: Bool) {
        write(",")
        if multiline && rng.chance(0.4) {
            flowBreak(parent: parent)
        } else if rng.chance(0.9) {
            write(" ")
        }
    }

    private mutating func flowEnd(parent: Int, multiline: Bool, empty: Bool) {
        if !empty && rng.chance(0.08) { write(rng.chance(0.5) ? "," : ", ") }
        if multiline && rng.chance(0.3) { flowBreak(parent: parent) }
    }

    /// A line break inside a flow collection, with maybe a comment before it and blank
    /// or comment lines after it; the next line is indented past `parent`.
    private mutating func flowBreak(parent: Int) {
        trailingComment()
        newline(blanks: true, tabs: false)
        if rng.chance(knobs.blank) { blankLine(maxSpaces: parent + 2) }
        if rng.chance(knobs.comment) { commentLine(indent: rng.int(0...parent + 2)) }
        spaces(parent + 1 + rng.int(0...3))
    }

    // MARK: Keys

    /// Writes a key; returns whether it was quoted.
    @discardableResult
    private mutating func key(_ text: String, flow: Bool) -> Bool {
        let scalars = Array(text.unicodeScalars)
        let oneLine = !text.contains("\n")
        if oneLine && !text.isEmpty && text != "<<" && Self.canBePlain(scalars, flow: flow) && rng.chance(0.9) {
            write(text)
            return false
        }
        if oneLine && Self.canBeSingleQuoted(scalars) && rng.chance(0.5) {
            write("'" + text.replacing("'", with: "''") + "'")
        } else {
            write("\"")
            for scalar in scalars {
                write(escape(scalar))
            }
            write("\"")
        }
        return true
    }

    // MARK: What a value may be written as

    static func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }

    /// Whether the character may appear as is in a filet YAML file (outside escapes).
    static func isRawSafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value == 0x09 { return true }
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return false }
        switch value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    /// A space between two non-blank characters, where a line break can replace it.
    static func isFoldPoint(_ scalars: [Unicode.Scalar], _ index: Int) -> Bool {
        index > 0 && index + 1 < scalars.count
            && !isBlank(scalars[index - 1]) && scalars[index - 1] != "\n"
            && !isBlank(scalars[index + 1]) && scalars[index + 1] != "\n"
    }

    /// Whether `scalars` reads back unchanged as a plain scalar (its newlines written as blank lines).
    static func canBePlain(_ scalars: [Unicode.Scalar], flow: Bool) -> Bool {
        guard let first = scalars.first, let last = scalars.last else { return false }
        if isBlank(first) || isBlank(last) || first == "\n" || last == "\n" { return false }
        let second = scalars.count > 1 ? scalars[1] : nil
        switch first {
        case "-":
            guard let second, !isBlank(second), second != "\n" else { return false }
        case "?", ":":
            guard !flow, let second, !isBlank(second), second != "\n" else { return false }
        case ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
            return false
        default:
            break
        }
        for (index, scalar) in scalars.enumerated() {
            let previous = index > 0 ? scalars[index - 1] : nil
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            switch scalar {
            case "\n":
                if isBlank(previous!) || next.map(isBlank) == true || next == "#" { return false }
            case ":":
                guard let next, !isBlank(next), next != "\n" else { return false }
                if flow && [",", "?", "[", "]", "{", "}"].contains(next) { return false }
            case "#":
                if let previous, isBlank(previous) { return false }
            case ",", "[", "]", "{", "}":
                if flow { return false }
            default:
                if !isRawSafe(scalar) { return false }
            }
        }
        return true
    }

    /// Whether `scalars` reads back unchanged between single quotes (its newlines written as blank lines).
    static func canBeSingleQuoted(_ scalars: [Unicode.Scalar]) -> Bool {
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\n" {
                if index > 0 && isBlank(scalars[index - 1]) { return false }
                if index + 1 < scalars.count && isBlank(scalars[index + 1]) { return false }
            } else if !isRawSafe(scalar) {
                return false
            }
        }
        return true
    }

    /// Whether `scalars` can be a literal or folded block scalar: printable text with a non-empty line.
    static func canBeBlock(_ scalars: [Unicode.Scalar]) -> Bool {
        scalars.contains { $0 != "\n" } && scalars.allSatisfy { $0 == "\n" || isRawSafe($0) }
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    // MARK: Writing

    private mutating func weighted(_ options: [(Layout, Int)]) -> Layout {
        var roll = rng.below(options.reduce(0) { $0 + $1.1 })
        for (layout, weight) in options {
            if roll < weight { return layout }
            roll -= weight
        }
        return options[0].0
    }

    private mutating func width() -> Int {
        knobs.width ?? rng.int(1...4)
    }

    private mutating func write(_ text: String) {
        out += text
        column += text.utf8.count
        lastBlock = nil
    }

    private mutating func rawWrite(_ text: String) {
        out += text
    }

    private mutating func spaces(_ count: Int) {
        write(String(repeating: " ", count: count))
    }

    /// Ends the line; `blanks` allows trailing spaces (and rarely a tab, unless `tabs` is
    /// false: filet YAML rejects tabs between the tokens of a flow collection) before the break.
    private mutating func newline(blanks: Bool = false, tabs: Bool = true) {
        if blanks && rng.chance(knobs.trailingSpace) {
            out += tabs && rng.chance(0.1) ? "\t" : String(repeating: " ", count: rng.int(1...3))
        }
        out += "\n"
        column = 0
    }

    private mutating func blankLine(maxSpaces: Int) {
        out += String(repeating: " ", count: rng.chance(0.3) ? rng.int(0...max(0, maxSpaces)) : 0) + "\n"
        column = 0
    }

    private mutating func commentLine(indent: Int) {
        out += String(repeating: " ", count: indent) + "#" + (rng.chance(0.9) ? " " : "") + commentText() + "\n"
        column = 0
    }

    private mutating func trailingComment() {
        if rng.chance(knobs.comment / 2) { write(" # \(commentText())") }
    }

    private mutating func commentText() -> String {
        var words: [String] = []
        for _ in 0..<rng.int(0...5) {
            words.append(rng.pick(rng.chance(0.7) ? Vocabulary.english : rng.chance(0.5) ? Vocabulary.french : Vocabulary.awkward))
        }
        return words.joined(separator: " ")
    }

    /// Blank and comment lines before an entry or item at `indent` (the cursor is at a line start).
    private mutating func gap(indent: Int) {
        if let block = lastBlock {
            // Stay out of the block scalar above: an empty line would be part of a kept
            // ending, and a line indented like its text would be text.
            if !block.keep && rng.chance(knobs.blank) { blankLine(maxSpaces: min(indent, block.indent)) }
            if rng.chance(knobs.comment) { commentLine(indent: rng.int(0...min(indent, block.indent - 1))) }
            return
        }
        if rng.chance(knobs.blank) {
            for _ in 0..<rng.int(1...2) { blankLine(maxSpaces: indent + 2) }
        }
        if rng.chance(knobs.comment) { commentLine(indent: rng.int(0...indent + 2)) }
    }
}
