/// The filet YAML parser: a byte-level recursive-descent parser over a UTF-8
/// buffer that has already passed ``EncodingCheck``.
///
/// Conventions: `pos` is a byte offset; `column` is 0-based and counted in bytes,
/// which is exact for indentation since indentation is made of ASCII spaces.
/// Reported locations count Unicode scalars. Node parsers leave `pos` just after
/// their content (or on the first content character of a following line, which
/// ``nextContentLine(after:)`` recognises).
struct Parser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private var pos: Int
    private var line = 1
    private var lineStart: Int
    /// The position of the first content character of the current line, once skipped to.
    private var contentStart = -1
    private var depth = 0
    private var scratch: [UInt8] = []
    private let lastLocation = LocationMemo()
    private(set) var duplicateKeys: [Diagnostic] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        end = bytes.count
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        pos = bom ? 3 : 0
        lineStart = pos
    }

    // MARK: Document

    mutating func parseStream() throws(Diagnostic) -> Node {
        try skipEmptyLines()
        if pos < end && byte(pos) == .percent {
            throw Diagnostic(
                "directive", "YAML directives ('%YAML', '%TAG') are not supported in filet YAML",
                at: location(), hint: "delete the directive line")
        }
        if isDocumentMarker(.dash) {
            pos += 3
            try nextContentLine(after: "'---'")
            if isDocumentMarker(.dash) { throw secondDocument() }
        }
        if pos >= end || isDocumentMarker(.dot) {
            throw Diagnostic(
                "empty-document", "the document is empty", at: location(),
                hint: "a runbook starts with 'runbook: ID', 'title: ...' and 'steps:'")
        }
        let root = try parseBlockNode(parentIndent: -1, allowsCollection: true)
        try nextContentLine()
        if isDocumentMarker(.dot) {
            pos += 3
            try nextContentLine(after: "'...'")
            if pos < end {
                if isDocumentMarker(.dash) { throw secondDocument() }
                throw Diagnostic(
                    "content-after-document-end", "content after the end-of-document marker '...'",
                    at: location(), hint: "delete it, or delete the '...' line above")
            }
        }
        if isDocumentMarker(.dash) { throw secondDocument() }
        if pos < end {
            throw Diagnostic(
                "bad-indentation", "this line does not fit in the document above: its indentation matches no open mapping or list",
                at: location(), hint: "indent it like the keys or '- ' items it belongs with")
        }
        return root
    }

    private func secondDocument() -> Diagnostic {
        Diagnostic(
            "second-document", "a second document ('---'); a runbook file holds exactly one document",
            at: location(), hint: "put each runbook in its own file")
    }

    // MARK: Block context

    /// Parses the node whose first character is at `pos`.
    /// - Parameters:
    ///   - parentIndent: the column of the entries of the enclosing block collection (-1 at the root).
    ///   - allowsCollection: false right after `key:` on the same line, where YAML forbids a block collection.
    private mutating func parseBlockNode(parentIndent: Int, allowsCollection: Bool) throws(Diagnostic) -> Node {
        let start = location()
        switch byte(pos) {
        case .dash where isBlankOrEnd(pos + 1):
            guard allowsCollection else {
                throw Diagnostic(
                    "sequence-on-key-line", "a list cannot start on the same line as its key", at: start,
                    hint: "put each '- ' item on its own line under the key, indented")
            }
            return try parseBlockSequence(indent: column, indentless: false)
        case .pipe, .greater:
            return try parseBlockScalar(parentIndent: parentIndent)
        case .openBracket, .openBrace:
            let node = try parseFlowCollection(parentIndent: parentIndent)
            skipSpacesAndTabs()
            if byte(pos) == .colon && isBlankOrEnd(pos + 1) {
                throw complexKey(at: start)
            }
            try nextContentLine(after: "a closed flow collection")
            return node
        case .doubleQuote, .singleQuote:
            if allowsCollection && blockKeyAhead() {
                return try parseBlockMapping(indent: column)
            }
            let startLine = line
            let node = try parseQuoted(parentIndent: parentIndent)
            skipSpacesAndTabs()
            if byte(pos) == .colon && isBlankOrEnd(pos + 1) {
                if line != startLine { throw multilineKey(at: start) }
                throw mappingValueNotAllowed(at: location())
            }
            try nextContentLine(after: "a quoted value")
            return node
        default:
            try checkNodeStart(flow: false)
            if allowsCollection && blockKeyAhead() {
                return try parseBlockMapping(indent: column)
            }
            return try parsePlain(parentIndent: parentIndent, flow: false)
        }
    }

    private mutating func parseBlockMapping(indent: Int) throws(Diagnostic) -> Node {
        let start = location()
        try enterCollection(at: start)
        defer { depth -= 1 }
        var entries: [Node.Entry] = []
        var index: [String: Int] = [:]
        while true {
            let (key, keyLocation) = try parseBlockKey()
            recordKey(key, at: keyLocation, in: entries, index: &index)
            let value = try parseValue(parentIndent: indent, inSequence: false)
            entries.append(Node.Entry(key: key, keyLocation: keyLocation, value: value))
            try nextContentLine()
            if pos >= end || isDocumentMarker(.dash) || isDocumentMarker(.dot) || column < indent { break }
            if column > indent {
                throw Diagnostic(
                    "bad-indentation", "this line is indented more than the keys of its mapping (column \(indent + 1))",
                    at: location(), hint: "align it with the other keys, or put it under a key that ends with ':'")
            }
        }
        return Node(.mapping(entries), at: start)
    }

    private mutating func parseBlockKey() throws(Diagnostic) -> (Scalar, SourceLocation) {
        let start = location()
        let key: Scalar
        switch byte(pos) {
        case .doubleQuote, .singleQuote:
            let startLine = line
            let node = try parseQuoted(parentIndent: -1)
            if line != startLine { throw multilineKey(at: start) }
            key = node.scalar!
            skipSpacesAndTabs()
        case .dash where isBlankOrEnd(pos + 1):
            throw Diagnostic(
                "sequence-in-mapping", "a list item '- ' where a key of the mapping above was expected", at: start,
                hint: "indent the list under the key it belongs to, or add the missing 'key:'")
        case .openBracket, .openBrace:
            throw complexKey(at: start)
        case .pipe, .greater:
            throw Diagnostic(
                "block-scalar-key", "a key cannot start with '\(Character(Unicode.Scalar(byte(pos))))': in YAML it starts a block scalar",
                at: start, hint: "quote the key: '\(Character(Unicode.Scalar(byte(pos))))...': value")
        default:
            try checkNodeStart(flow: false)
            let textStart = pos
            var textEnd = pos
            while true {
                let c = byte(pos)
                if pos >= end || isBreak(c) || (isBlank(c) && byte(pos + 1) == .hash) {
                    let text = decode(textStart, textEnd)
                    let hint =
                        text.contains(":")
                        ? "a key needs a colon followed by a space: 'key: value'"
                        : "every line at this indentation must be a 'key: value' pair"
                    throw Diagnostic("missing-colon", "expected ':' after '\(text.prefix(60))'", at: start, hint: hint)
                }
                if c == .colon && isBlankOrEnd(pos + 1) { break }
                pos += 1
                if !isBlank(c) { textEnd = pos }
            }
            key = Scalar(decode(textStart, textEnd), style: .plain)
            if key.text == "<<" {
                throw Diagnostic(
                    "merge-key", "merge keys ('<<') are not supported in filet YAML", at: start,
                    hint: "write the keys out in full")
            }
        }
        guard byte(pos) == .colon && isBlankOrEnd(pos + 1) else {
            throw Diagnostic(
                "missing-colon", "expected ': ' after the key", at: location(),
                hint: "a key is followed by a colon and a space: 'key: value'")
        }
        try checkKeyLength(from: start)
        pos += 1
        return (key, start)
    }

    /// Parses what follows `key:` or `- `: on the same line, on the lines below, or nothing (an empty value).
    private mutating func parseValue(parentIndent: Int, inSequence: Bool) throws(Diagnostic) -> Node {
        let here = location()
        while byte(pos) == .space { pos += 1 }
        if byte(pos) == .tab {
            throw Diagnostic(
                "tab", "a tab character after '\(inSequence ? "-" : ":")'", at: location(),
                hint: "use spaces: filet YAML allows tabs only inside quoted and block scalars and comments")
        }
        guard byte(pos) == .hash || isBreakOrEnd(pos) else {
            return try parseBlockNode(parentIndent: parentIndent, allowsCollection: inSequence)
        }
        try nextContentLine()
        if pos >= end || isDocumentMarker(.dash) || isDocumentMarker(.dot) { return Node(.scalar(Scalar("")), at: here) }
        if column > parentIndent {
            return try parseBlockNode(parentIndent: parentIndent, allowsCollection: true)
        }
        if column == parentIndent && !inSequence && byte(pos) == .dash && isBlankOrEnd(pos + 1) {
            return try parseBlockSequence(indent: column, indentless: true)
        }
        return Node(.scalar(Scalar("")), at: here)
    }

    private mutating func parseBlockSequence(indent: Int, indentless: Bool) throws(Diagnostic) -> Node {
        let start = location()
        try enterCollection(at: start)
        defer { depth -= 1 }
        var items: [Node] = []
        while true {
            pos += 1
            items.append(try parseValue(parentIndent: indent, inSequence: true))
            try nextContentLine()
            if pos >= end || isDocumentMarker(.dash) || isDocumentMarker(.dot) || column < indent { break }
            if column > indent {
                throw Diagnostic(
                    "bad-indentation", "this line is indented more than the '- ' items of its list (column \(indent + 1))",
                    at: location(), hint: "align it with the other '- ' items, or indent the item's content under it")
            }
            guard byte(pos) == .dash && isBlankOrEnd(pos + 1) else {
                if indentless { break }
                throw Diagnostic(
                    "expected-sequence-item", "expected a '- ' list item at this indentation", at: location(),
                    hint: "a list's items all start with '- ' at the same column")
            }
        }
        return Node(.sequence(items), at: start)
    }

    // MARK: Block scalars

    private mutating func parseBlockScalar(parentIndent: Int) throws(Diagnostic) -> Node {
        let start = location()
        let literal = byte(pos) == .pipe
        pos += 1
        var chomping = 0
        var increment = 0
        func readChomping(_ parser: inout Parser) {
            if parser.byte(parser.pos) == .plus || parser.byte(parser.pos) == .dash {
                chomping = parser.byte(parser.pos) == .plus ? 1 : -1
                parser.pos += 1
            }
        }
        func readIncrement(_ parser: inout Parser) throws(Diagnostic) {
            let c = parser.byte(parser.pos)
            guard c >= .zero && c <= .nine else { return }
            if c == .zero {
                throw Diagnostic(
                    "block-indentation-indicator", "a block scalar's indentation indicator must be 1 to 9, not 0",
                    at: parser.location())
            }
            increment = Int(c - .zero)
            parser.pos += 1
        }
        if byte(pos) == .plus || byte(pos) == .dash {
            readChomping(&self)
            try readIncrement(&self)
        } else {
            try readIncrement(&self)
            readChomping(&self)
        }
        skipSpacesAndTabs()
        if byte(pos) == .hash {
            try checkCommentSpacing()
            skipToLineEnd()
        }
        guard isBreakOrEnd(pos) else {
            throw Diagnostic(
                "block-scalar-header", "unexpected text after the block scalar header '\(literal ? "|" : ">")'",
                at: location(), hint: "the text of a block scalar starts on the next line, indented under its key")
        }
        if pos < end { consumeBreak() }

        var indent = increment > 0 ? max(parentIndent, 0) + increment : 0
        var out: [UInt8] = []
        var leadingBreak = false
        var trailingBreaks = 0
        var leadingBlank = false
        try scanBlockScalarBreaks(indent: &indent, breaks: &trailingBreaks, parentIndent: parentIndent, detecting: indent == 0)
        while column == indent && pos < end {
            let trailingBlank = isBlank(byte(pos))
            if !literal && leadingBreak && !leadingBlank && !trailingBlank {
                if trailingBreaks == 0 { out.append(.space) }
            } else if leadingBreak {
                out.append(.newline)
            }
            leadingBreak = false
            out.append(contentsOf: repeatElement(UInt8.newline, count: trailingBreaks))
            trailingBreaks = 0
            leadingBlank = isBlank(byte(pos))
            let lineContent = pos
            while !isBreakOrEnd(pos) { pos += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineContent..<pos]))
            if pos < end {
                consumeBreak()
                leadingBreak = true
            }
            try scanBlockScalarBreaks(indent: &indent, breaks: &trailingBreaks, parentIndent: parentIndent, detecting: false)
        }
        if chomping != -1 && leadingBreak { out.append(.newline) }
        if chomping == 1 { out.append(contentsOf: repeatElement(UInt8.newline, count: trailingBreaks)) }
        // Hand the first less-indented line back to the enclosing collection.
        if pos < end {
            pos = lineStart
            contentStart = -1
        }
        return Node(.scalar(Scalar(String(decoding: out, as: UTF8.self), style: literal ? .literal : .folded)), at: start)
    }

    /// Skips the indentation and empty lines that precede a block scalar's next line of text,
    /// and settles the content indentation when it is detected from the first line.
    private mutating func scanBlockScalarBreaks(
        indent: inout Int, breaks: inout Int, parentIndent: Int, detecting: Bool
    ) throws(Diagnostic) {
        var maxBlankIndent = 0
        while true {
            while (indent == 0 || column < indent) && byte(pos) == .space { pos += 1 }
            if (indent == 0 || column < indent) && byte(pos) == .tab {
                throw Diagnostic(
                    "tab", "a tab character in the indentation of a block scalar", at: location(),
                    hint: "indent block scalar lines with spaces; after the first line of text, tabs may follow the indentation")
            }
            guard pos < end, isBreak(byte(pos)) else { break }
            maxBlankIndent = max(maxBlankIndent, column)
            consumeBreak()
            breaks += 1
        }
        guard detecting else { return }
        if pos < end && maxBlankIndent > column && column > parentIndent {
            throw Diagnostic(
                "block-scalar-indentation", "a blank line at the start of this block scalar is indented more than its first line of text",
                at: location(), hint: "remove the trailing spaces of the blank lines above")
        }
        indent = max(column, maxBlankIndent, parentIndent + 1, 1)
    }

    // MARK: Flow context

    private mutating func parseFlowCollection(parentIndent: Int) throws(Diagnostic) -> Node {
        let start = location()
        try enterCollection(at: start)
        defer { depth -= 1 }
        let isSequence = byte(pos) == .openBracket
        let closing: UInt8 = isSequence ? .closeBracket : .closeBrace
        pos += 1
        var items: [Node] = []
        var entries: [Node.Entry] = []
        var index: [String: Int] = [:]
        while true {
            try skipFlowSpace(parentIndent: parentIndent, opening: start)
            let c = byte(pos)
            if c == closing {
                pos += 1
                break
            }
            if c == .closeBracket || c == .closeBrace {
                throw Diagnostic(
                    "mismatched-bracket",
                    "'\(Character(Unicode.Scalar(c)))' does not close the '\(isSequence ? "[" : "{")' opened at \(start)",
                    at: location(), notes: [.init("the collection opens here", at: start)])
            }
            if c == .comma {
                throw Diagnostic(
                    "empty-flow-entry", "an empty entry in a flow collection (two commas, or a comma first)",
                    at: location(), hint: "remove the extra ','")
            }
            if isSequence {
                let itemStart = location()
                items.append(try parseFlowNode(parentIndent: parentIndent, opening: start))
                try skipFlowSpace(parentIndent: parentIndent, opening: start)
                if byte(pos) == .colon {
                    throw Diagnostic(
                        "pair-in-flow-sequence", "a 'key: value' pair inside a flow list '[...]'", at: itemStart,
                        hint: "write a mapping inside the list: [{key: value}]")
                }
            } else {
                let (key, keyLocation) = try parseFlowKey(parentIndent: parentIndent, opening: start)
                recordKey(key, at: keyLocation, in: entries, index: &index)
                try skipFlowSpace(parentIndent: parentIndent, opening: start)
                let value: Node
                if byte(pos) == .comma || byte(pos) == .closeBrace {
                    value = Node(.scalar(Scalar("")), at: location())
                } else {
                    value = try parseFlowNode(parentIndent: parentIndent, opening: start)
                }
                entries.append(Node.Entry(key: key, keyLocation: keyLocation, value: value))
            }
            try skipFlowSpace(parentIndent: parentIndent, opening: start)
            if byte(pos) == .comma {
                pos += 1
                continue
            }
            if byte(pos) == closing {
                pos += 1
                break
            }
            throw Diagnostic(
                "expected-flow-separator", "expected ',' or '\(isSequence ? "]" : "}")' in the flow collection opened at \(start)",
                at: location(), notes: [.init("the collection opens here", at: start)])
        }
        return Node(isSequence ? .sequence(items) : .mapping(entries), at: start)
    }

    private mutating func parseFlowKey(parentIndent: Int, opening: SourceLocation) throws(Diagnostic) -> (Scalar, SourceLocation) {
        let start = location()
        let startLine = line
        let c = byte(pos)
        if c == .openBracket || c == .openBrace { throw complexKey(at: start) }
        let node = try parseFlowNode(parentIndent: parentIndent, opening: opening)
        guard let key = node.scalar else { throw complexKey(at: start) }
        let quoted = key.style != .plain
        skipSpacesAndTabs()
        guard byte(pos) == .colon, quoted || isBlankOrEnd(pos + 1) else {
            throw Diagnostic(
                "missing-colon", "expected ':' after the key '\(key.text.prefix(60))' in a flow mapping", at: start,
                hint: "each entry of '{...}' is 'key: value' (with a space after the colon)")
        }
        if line != startLine { throw multilineKey(at: start) }
        if key.style == .plain && key.text == "<<" {
            throw Diagnostic(
                "merge-key", "merge keys ('<<') are not supported in filet YAML", at: start,
                hint: "write the keys out in full")
        }
        try checkKeyLength(from: start)
        pos += 1
        return (key, start)
    }

    private mutating func parseFlowNode(parentIndent: Int, opening: SourceLocation) throws(Diagnostic) -> Node {
        switch byte(pos) {
        case .openBracket, .openBrace: return try parseFlowCollection(parentIndent: parentIndent)
        case .doubleQuote, .singleQuote: return try parseQuoted(parentIndent: parentIndent)
        case .pipe, .greater:
            throw Diagnostic(
                "block-scalar-in-flow", "a block scalar ('|' or '>') cannot be used inside a flow collection",
                at: location(), hint: "use a quoted value, or write the collection in block style")
        case .dash where isBlankOrEnd(pos + 1):
            throw Diagnostic(
                "sequence-in-flow", "a '- ' list item inside a flow collection", at: location(),
                hint: "separate the items of '[...]' with commas")
        default:
            try checkNodeStart(flow: true)
            return try parsePlain(parentIndent: parentIndent, flow: true)
        }
    }

    /// Skips spaces, comments and line breaks inside a flow collection.
    private mutating func skipFlowSpace(parentIndent: Int, opening: SourceLocation) throws(Diagnostic) {
        while true {
            let c = byte(pos)
            if pos >= end {
                throw Diagnostic(
                    "unterminated-flow", "the flow collection opened at \(opening) is never closed", at: opening,
                    hint: "add the missing '\(byte(opening.offset) == .openBracket ? "]" : "}")'")
            }
            if c == .space {
                pos += 1
                continue
            }
            if c == .tab {
                throw Diagnostic(
                    "tab", "a tab character inside a flow collection", at: location(),
                    hint: "use spaces: filet YAML allows tabs only inside quoted and block scalars and comments")
            }
            if c == .hash {
                try checkCommentSpacing()
                skipToLineEnd()
                continue
            }
            if isBreak(c) {
                consumeBreak()
                while byte(pos) == .space { pos += 1 }
                if pos < end && !isBreak(byte(pos)) && byte(pos) != .hash && byte(pos) != .tab {
                    if isDocumentMarker(.dash) || isDocumentMarker(.dot) {
                        throw Diagnostic(
                            "document-marker-in-flow", "a document marker inside the flow collection opened at \(opening)",
                            at: location(), hint: "close the collection first")
                    }
                    if column <= parentIndent { throw underIndented(what: "flow collection", parentIndent: parentIndent) }
                }
                continue
            }
            return
        }
    }

    // MARK: Scalars

    /// A plain (unquoted) scalar, possibly continued on more-indented lines, folded as YAML folds it.
    private mutating func parsePlain(parentIndent: Int, flow: Bool) throws(Diagnostic) -> Node {
        let start = location()
        var (first, firstEnd) = try scanPlainLine(flow: flow)
        var folded: [UInt8]? = nil
        while true {
            let saved = (pos, line, lineStart)
            skipSpacesAndTabs()
            guard pos < end, isBreak(byte(pos)) else {
                (pos, line, lineStart) = saved
                break
            }
            var breaks = 0
            while pos < end && isBreak(byte(pos)) {
                consumeBreak()
                breaks += 1
                while byte(pos) == .space { pos += 1 }
                if byte(pos) == .tab { throw tabIndentation() }
            }
            if pos >= end || byte(pos) == .hash || isDocumentMarker(.dash) || isDocumentMarker(.dot) || (!flow && column <= parentIndent) {
                (pos, line, lineStart) = saved
                break
            }
            if flow && column <= parentIndent { throw underIndented(what: "flow collection", parentIndent: parentIndent) }
            let (next, nextEnd) = try scanPlainLine(flow: flow)
            if next == nextEnd { break }
            if folded == nil { folded = Array(UnsafeBufferPointer(rebasing: bytes[first..<firstEnd])) }
            if breaks == 1 {
                folded!.append(.space)
            } else {
                folded!.append(contentsOf: repeatElement(UInt8.newline, count: breaks - 1))
            }
            folded!.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[next..<nextEnd]))
            (first, firstEnd) = (next, nextEnd)
        }
        let text = folded.map { String(decoding: $0, as: UTF8.self) } ?? decode(first, firstEnd)
        return Node(.scalar(Scalar(text, style: .plain)), at: start)
    }

    /// Scans the part of a plain scalar on the current line. Returns the range of its
    /// text (without trailing blanks) and leaves `pos` just after that text.
    private mutating func scanPlainLine(flow: Bool) throws(Diagnostic) -> (Int, Int) {
        let start = pos
        var contentEnd = pos
        while pos < end {
            let c = bytes[pos]
            if isBreak(c) { break }
            if isBlank(c) {
                var next = pos + 1
                while isBlank(byte(next)) { next += 1 }
                if next >= end || isBreak(bytes[next]) || bytes[next] == .hash { break }
                pos = next
                continue
            }
            if c == .colon {
                if isBlankOrEnd(pos + 1) {
                    if flow { break }
                    throw mappingValueNotAllowed(at: location())
                }
                if flow, [.comma, .question, .openBracket, .closeBracket, .openBrace, .closeBrace].contains(byte(pos + 1)) {
                    throw Diagnostic(
                        "colon-in-flow",
                        "a ':' directly followed by '\(Character(Unicode.Scalar(byte(pos + 1))))' inside a flow collection",
                        at: location(), hint: "quote the value, or put a space after ':'")
                }
            }
            if flow && (c == .comma || c == .openBracket || c == .closeBracket || c == .openBrace || c == .closeBrace) { break }
            pos += 1
            contentEnd = pos
        }
        pos = contentEnd
        return (start, contentEnd)
    }

    /// A single- or double-quoted scalar, with escapes (double) and line folding.
    private mutating func parseQuoted(parentIndent: Int) throws(Diagnostic) -> Node {
        let start = location()
        let single = byte(pos) == .singleQuote
        pos += 1
        var out: [UInt8] = []
        swap(&out, &scratch)
        out.removeAll(keepingCapacity: true)
        defer { swap(&out, &scratch) }
        let unterminated = Diagnostic(
            "unterminated-quote", "the \(single ? "single" : "double")-quoted value that starts here is never closed",
            at: start, hint: "add the closing \(single ? "'" : "\"")")
        while true {
            guard pos < end else { throw unterminated }
            let c = bytes[pos]
            if single && c == .singleQuote {
                if byte(pos + 1) == .singleQuote {
                    out.append(.singleQuote)
                    pos += 2
                    continue
                }
                pos += 1
                break
            }
            if !single && c == .doubleQuote {
                pos += 1
                break
            }
            if !single && c == .backslash {
                if isBreak(byte(pos + 1)) {
                    pos += 1
                    consumeBreak()
                    while true {
                        skipSpacesAndTabs()
                        guard pos < end, isBreak(bytes[pos]) else { break }
                        consumeBreak()
                        out.append(.newline)
                    }
                    guard pos < end else { throw unterminated }
                    try checkQuotedContinuation(parentIndent: parentIndent)
                    continue
                }
                try parseEscape(into: &out)
                continue
            }
            if isBlank(c) || isBreak(c) {
                let blanks = pos
                skipSpacesAndTabs()
                guard pos < end, isBreak(bytes[pos]) else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[blanks..<pos]))
                    continue
                }
                var breaks = 0
                while pos < end && isBreak(bytes[pos]) {
                    consumeBreak()
                    breaks += 1
                    skipSpacesAndTabs()
                }
                guard pos < end else { throw unterminated }
                try checkQuotedContinuation(parentIndent: parentIndent)
                if breaks == 1 {
                    out.append(.space)
                } else {
                    out.append(contentsOf: repeatElement(UInt8.newline, count: breaks - 1))
                }
                continue
            }
            out.append(c)
            pos += 1
        }
        return Node(.scalar(Scalar(String(decoding: out, as: UTF8.self), style: single ? .singleQuoted : .doubleQuoted)), at: start)
    }

    private func checkQuotedContinuation(parentIndent: Int) throws(Diagnostic) {
        if isDocumentMarker(.dash) || isDocumentMarker(.dot) {
            throw Diagnostic(
                "document-marker-in-quote", "a document marker inside a quoted value", at: location(),
                hint: "close the quote before this line")
        }
        if column <= parentIndent { throw underIndented(what: "quoted value", parentIndent: parentIndent) }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(Diagnostic) {
        let escapeStart = location()
        let kind = byte(pos + 1)
        pos += 2
        switch kind {
        case .backslash: out.append(.backslash)
        case .doubleQuote: out.append(.doubleQuote)
        case .slash: out.append(.slash)
        case UInt8(ascii: "n"): out.append(.newline)
        case UInt8(ascii: "t"), .tab: out.append(.tab)
        case UInt8(ascii: "r"): out.append(0x0D)
        case .zero: out.append(0)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = kind == UInt8(ascii: "x") ? 2 : kind == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<digits {
                guard let digit = hexValue(byte(pos)) else {
                    throw Diagnostic(
                        "bad-escape", "'\\\(Character(Unicode.Scalar(kind)))' must be followed by exactly \(digits) hexadecimal digits",
                        at: escapeStart)
                }
                value = value << 4 | digit
                pos += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw Diagnostic(
                    "bad-escape", "the escape does not name a Unicode character (surrogates and values above 10FFFF are not characters)",
                    at: escapeStart)
            }
            UTF8.encode(scalar) { out.append($0) }
        default:
            let shown = pos - 1 < end ? decode(pos - 1, min(end, pos - 1 + utf8Length(byte(pos - 1)))) : ""
            throw Diagnostic(
                "bad-escape", "unknown escape '\\\(shown)' in a double-quoted value", at: escapeStart,
                hint:
                    "the escapes are \\\\ \\\" \\/ \\n \\t \\r \\0 \\xNN \\uNNNN \\UNNNNNNNN; to keep a backslash as is, use single quotes")
        }
    }

    // MARK: Checks

    /// Rejects the YAML features that filet YAML leaves out, at the start of a node.
    private func checkNodeStart(flow: Bool) throws(Diagnostic) {
        let c = byte(pos)
        var here: SourceLocation { location() }
        switch c {
        case .ampersand:
            throw Diagnostic(
                "anchor", "anchors ('&name') are not supported in filet YAML", at: here,
                hint: "repeat the value, or put it in vars: and write ${vars.NAME}")
        case .asterisk:
            throw Diagnostic(
                "alias", "aliases ('*name') are not supported in filet YAML", at: here,
                hint: "repeat the value, or put it in vars: and write ${vars.NAME}")
        case .exclamation:
            throw Diagnostic(
                "tag", "tags ('!x', '!!x') are not supported in filet YAML: the runbook schema decides each value's type",
                at: here, hint: "remove the tag; quote the value if it must stay text")
        case .percent:
            if column == 0 {
                throw Diagnostic(
                    "directive", "YAML directives ('%YAML', '%TAG') are not supported in filet YAML", at: here,
                    hint: "delete the directive line")
            }
            throw reservedStart(c, at: here)
        case .at, .backtick:
            throw reservedStart(c, at: here)
        case .question where flow || isBlankOrEnd(pos + 1):
            throw complexKey(at: here)
        case .colon where flow || isBlankOrEnd(pos + 1):
            throw Diagnostic("colon-without-key", "a ':' with no key before it", at: here, hint: "write 'key: value'")
        case .comma, .closeBracket, .closeBrace, .openBracket, .openBrace:
            throw Diagnostic(
                "unexpected-indicator", "unexpected '\(Character(Unicode.Scalar(c)))'", at: here,
                hint: "quote the value if the character is part of the text")
        default:
            return
        }
    }

    /// YAML reads a key only when its ':' (at `pos`) is at most 1024 characters after the
    /// key's start, quotes, escapes and blanks included: count that span, in bytes.
    private func checkKeyLength(from start: SourceLocation) throws(Diagnostic) {
        if pos - start.offset > Syntax.maximumKeyLength {
            throw Diagnostic(
                "key-too-long", "this key is longer than \(Syntax.maximumKeyLength) bytes (counted up to its ':')", at: start,
                hint: "shorten the key: YAML reads a key only when its ':' is at most \(Syntax.maximumKeyLength) characters after its start"
            )
        }
    }

    private func reservedStart(_ c: UInt8, at here: SourceLocation) -> Diagnostic {
        Diagnostic(
            "reserved-indicator", "a value cannot start with '\(Character(Unicode.Scalar(c)))' in YAML", at: here,
            hint: "quote the value: '\(Character(Unicode.Scalar(c)))...'")
    }

    private func complexKey(at here: SourceLocation) -> Diagnostic {
        Diagnostic(
            "complex-key", "complex keys ('? ', or a list or mapping used as a key) are not supported in filet YAML", at: here,
            hint: "keys are plain or quoted text on one line")
    }

    private func multilineKey(at here: SourceLocation) -> Diagnostic {
        Diagnostic("multiline-key", "a key must fit on one line", at: here, hint: "shorten the key or keep it on one line")
    }

    private func mappingValueNotAllowed(at here: SourceLocation) -> Diagnostic {
        Diagnostic(
            "unexpected-colon", "a ': ' inside a value; a mapping cannot start here", at: here,
            hint: "quote the whole value if ': ' is part of the text, or put the nested mapping on the next lines, indented")
    }

    private func tabIndentation() -> Diagnostic {
        Diagnostic(
            "tab-indentation", "a tab character used for indentation", at: location(),
            hint: "indent with spaces only")
    }

    private func underIndented(what: String, parentIndent: Int) -> Diagnostic {
        Diagnostic(
            "bad-indentation", "this continuation line of a \(what) must be indented more than column \(parentIndent + 1)",
            at: location(), hint: "indent the line further, or close the \(what) on the line above")
    }

    private mutating func enterCollection(at here: SourceLocation) throws(Diagnostic) {
        depth += 1
        if depth > Syntax.maximumDepth {
            throw Diagnostic(
                "too-deep", "nesting is deeper than \(Syntax.maximumDepth) levels", at: here,
                hint: "flatten the structure")
        }
    }

    private mutating func recordKey(_ key: Scalar, at location: SourceLocation, in entries: [Node.Entry], index: inout [String: Int]) {
        var previous: Int?
        if entries.count < 16 {
            previous = entries.firstIndex { $0.key.text == key.text }
        } else {
            if index.isEmpty {
                for (offset, entry) in entries.enumerated() where index[entry.key.text] == nil { index[entry.key.text] = offset }
            }
            previous = index[key.text]
            if previous == nil { index[key.text] = entries.count }
        }
        guard let previous else { return }
        duplicateKeys.append(
            Diagnostic(
                "duplicate-key", "duplicate key '\(key.text)' in this mapping", at: location,
                hint: "each key may appear once in a mapping; remove or rename one of them",
                notes: [.init("'\(key.text)' is first set here", at: entries[previous].keyLocation)]))
    }

    /// Whether the current line starts a block mapping entry (`key:` followed by a space or the line end).
    private func blockKeyAhead() -> Bool {
        var i = pos
        let quote = byte(i)
        if quote == .doubleQuote || quote == .singleQuote {
            i += 1
            while true {
                guard i < end, !isBreak(bytes[i]) else { return false }
                let c = bytes[i]
                if quote == .singleQuote && c == .singleQuote {
                    if byte(i + 1) == .singleQuote {
                        i += 2
                        continue
                    }
                    i += 1
                    break
                }
                if quote == .doubleQuote && c == .backslash {
                    i += 2
                    continue
                }
                if quote == .doubleQuote && c == .doubleQuote {
                    i += 1
                    break
                }
                i += 1
            }
            while isBlank(byte(i)) { i += 1 }
            return byte(i) == .colon && isBlankOrEnd(i + 1)
        }
        while i < end {
            let c = bytes[i]
            if isBreak(c) { return false }
            if c == .colon && isBlankOrEnd(i + 1) { return true }
            if isBlank(c) && byte(i + 1) == .hash { return false }
            i += 1
        }
        return false
    }

    // MARK: Lines

    /// Finishes the current line (only blanks or a comment may follow what was parsed)
    /// and moves to the first character of the next line that has content, or to the end.
    private mutating func nextContentLine(after what: String = "the value") throws(Diagnostic) {
        if pos == contentStart { return }
        if pos != lineStart {
            skipSpacesAndTabs()
            if byte(pos) == .hash {
                try checkCommentSpacing()
                skipToLineEnd()
            }
            guard isBreakOrEnd(pos) else {
                throw Diagnostic(
                    "unexpected-text", "unexpected text after \(what)", at: location(),
                    hint: "start a comment with ' #', or quote the whole value")
            }
            if pos >= end {
                contentStart = pos
                return
            }
            consumeBreak()
        }
        try skipEmptyLines()
    }

    /// From the start of a line, skips lines that are blank or hold only a comment.
    private mutating func skipEmptyLines() throws(Diagnostic) {
        while true {
            while byte(pos) == .space { pos += 1 }
            if byte(pos) == .tab { throw tabIndentation() }
            if byte(pos) == .hash { skipToLineEnd() }
            if pos < end && isBreak(bytes[pos]) {
                consumeBreak()
                continue
            }
            contentStart = pos
            return
        }
    }

    private func checkCommentSpacing() throws(Diagnostic) {
        if pos > lineStart && !isBlank(bytes[pos - 1]) {
            throw Diagnostic(
                "comment-spacing", "a '#' comment must be separated from the value before it by a space",
                at: location(), hint: "put a space before '#'")
        }
    }

    private mutating func skipToLineEnd() {
        while pos < end && !isBreak(bytes[pos]) { pos += 1 }
    }

    private mutating func skipSpacesAndTabs() {
        while pos < end && isBlank(bytes[pos]) { pos += 1 }
    }

    private mutating func consumeBreak() {
        if byte(pos) == .carriageReturn { pos += 1 }
        if byte(pos) == .newline { pos += 1 }
        line += 1
        lineStart = pos
    }

    private func isDocumentMarker(_ c: UInt8) -> Bool {
        pos == lineStart && byte(pos) == c && byte(pos + 1) == c && byte(pos + 2) == c && isBlankOrEnd(pos + 3)
    }

    // MARK: Bytes and locations

    private var column: Int { pos - lineStart }

    @inline(__always) private func byte(_ index: Int) -> UInt8 { index < end ? bytes[index] : 0 }
    @inline(__always) private func isBlank(_ c: UInt8) -> Bool { c == .space || c == .tab }
    @inline(__always) private func isBreak(_ c: UInt8) -> Bool { c == .newline || c == .carriageReturn }
    @inline(__always) private func isBreakOrEnd(_ index: Int) -> Bool { index >= end || isBreak(bytes[index]) }
    @inline(__always) private func isBlankOrEnd(_ index: Int) -> Bool {
        index >= end || isBlank(bytes[index]) || isBreak(bytes[index])
    }

    private func decode(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
    }

    private func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case .zero ... .nine: UInt32(c - .zero)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The location of `pos`, whose line is the current line. Counts on from the last
    /// location taken on the same line, so that the nodes of a long line (a flow list
    /// of thousands of items) do not each count the line from its start.
    private func location() -> SourceLocation {
        let memo = lastLocation
        var (from, column) = memo.lineStart == lineStart && memo.offset <= pos ? (memo.offset, memo.column) : (lineStart, 1)
        for index in from..<pos where bytes[index] & 0xC0 != 0x80 { column += 1 }
        (memo.lineStart, memo.offset, memo.column) = (lineStart, pos, column)
        return SourceLocation(line: line, column: column, offset: pos)
    }
}

/// The last location ``Parser`` computed, kept in a reference so that its non-mutating
/// helpers can update it.
private final class LocationMemo {
    var lineStart = -1
    var offset = 0
    var column = 1
}

extension UInt8 {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let exclamation = UInt8(ascii: "!")
    static let doubleQuote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let percent = UInt8(ascii: "%")
    static let ampersand = UInt8(ascii: "&")
    static let singleQuote = UInt8(ascii: "'")
    static let asterisk = UInt8(ascii: "*")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let colon = UInt8(ascii: ":")
    static let greater = UInt8(ascii: ">")
    static let question = UInt8(ascii: "?")
    static let at = UInt8(ascii: "@")
    static let openBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let closeBracket = UInt8(ascii: "]")
    static let backtick = UInt8(ascii: "`")
    static let openBrace = UInt8(ascii: "{")
    static let pipe = UInt8(ascii: "|")
    static let closeBrace = UInt8(ascii: "}")
}
