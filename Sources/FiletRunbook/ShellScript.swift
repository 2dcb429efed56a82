/// A `run:` or `undo:` command as the shell receives it: its interpolations never reach the shell as text.
///
/// Each distinct reference is passed in an environment variable of its own (``Binding``: `FILET_V1`, `FILET_V2`…),
/// and the script names that variable, quoted for where the reference stands, so that its value arrives as exactly
/// one word, byte for byte, whatever it holds: `${vars.x}` written bare becomes `"$FILET_V1"`, inside double quotes
/// or a here-document `$FILET_V1` (`${FILET_V1}` before a name character), inside single quotes `'"$FILET_V1"'`.
/// Where no quoting can promise that, the command is rejected (``init(_:)``).
public struct ShellScript: Sendable {
    /// The command as written in the runbook.
    public let template: Template
    /// The text given to the shell after `-c`: the runbook's text with each reference replaced by its variable.
    public let script: String
    /// Which variable carries which reference, in the order the references first appear.
    public let bindings: [Binding]

    /// An environment variable that carries the value of a reference to the command.
    public struct Binding: Sendable, Hashable {
        /// `FILET_V1`, `FILET_V2`…
        public let variable: String
        public let reference: Reference
    }

    /// The variables' names are this prefix and a number: a step's `env` may not use such a name (``isReserved(_:)``).
    public static let variablePrefix = "FILET_V"

    /// Whether `name` is one of the variables filet passes values in: `FILET_V` then digits only.
    public static func isReserved(_ name: String) -> Bool {
        let number = name.utf8.dropFirst(variablePrefix.utf8.count)
        return name.hasPrefix(variablePrefix) && !number.isEmpty && number.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Finds where each reference of `template` stands in the shell's grammar and rewrites the command.
    /// - Throws: a problem at the reference that stands where filet cannot quote it: inside backquotes, `$((…))`, a
    ///   shell `${…}` or `$'…'`, a here-document whose delimiter is quoted, the delimiter itself, or after a `\`.
    public init(_ template: Template) throws(Template.Problem) {
        var variables: [Reference: String] = [:]
        var bindings: [Binding] = []
        for reference in template.references where variables[reference] == nil {
            let variable = Self.variablePrefix + String(bindings.count + 1)
            variables[reference] = variable
            bindings.append(Binding(variable: variable, reference: reference))
        }
        let placements = try ShellQuotingScanner.placements(in: template)
        var script = ""
        var occurrence = 0
        for part in template.parts {
            switch part {
            case .literal(let text):
                script += text
            case .reference(let reference, _):
                script += placements[occurrence].naming(variables[reference]!)
                occurrence += 1
            }
        }
        self.template = template
        self.script = script
        self.bindings = bindings
    }
}

/// Where a reference stands in a command, and so how its variable is written there.
enum ShellPlacement: Equatable {
    /// Outside any quote (also in a `#` comment, where it is harmless).
    case unquoted
    /// Inside `"…"` or an unquoted here-document's body; `beforeNameCharacter`: a letter, digit or `_` follows.
    case doubleQuoted(beforeNameCharacter: Bool)
    case singleQuoted

    /// The variable written so that the shell expands it to one word, unchanged.
    func naming(_ variable: String) -> String {
        switch self {
        case .unquoted: "\"$\(variable)\""
        case .doubleQuoted(let beforeNameCharacter): beforeNameCharacter ? "${\(variable)}" : "$\(variable)"
        case .singleQuoted: "'\"$\(variable)\"'"
        }
    }
}

/// A scanner of the POSIX shell's quoting, just enough to tell where each reference of a command stands: quotes,
/// backslashes, `$(…)`, backquotes, `${…}`, `$((…))`, `$'…'`, comments and here-documents.
///
/// What it mistakes (a `case` pattern's `)` inside `$(…)` ends it early) can only change how a value is split into
/// words, never make the shell read a value as syntax: the script never contains a value, only variable names.
struct ShellQuotingScanner {
    private enum Token {
        case character(Unicode.Scalar)
        /// The n-th reference of the template.
        case reference(Int)
    }

    private struct HereDocument {
        var delimiter: String
        /// `<<-`: leading tabs are removed from each line, the delimiter's too.
        var stripsTabs: Bool
        /// A quoted delimiter (`<<'EOF'`): the body is not expanded.
        var isQuoted: Bool
    }

    private enum Frame {
        /// The script itself, or a `$(…)` (`closesWithParenthesis`) with its open parentheses.
        case command(closesWithParenthesis: Bool, depth: Int)
        case doubleQuoted, singleQuoted, dollarSingleQuoted, backquoted, parameter, comment
        case arithmetic(depth: Int)
        case hereDocument(HereDocument)

        /// Why a reference cannot stand here, or inside anything opened here.
        var refusal: (why: String, hint: String)? {
            switch self {
            case .backquoted:
                ("inside `…`, where filet cannot quote it", "write $(…) instead of backquotes")
            case .arithmetic:
                (
                    "inside $((…)), where the shell would evaluate its value as arithmetic",
                    "assign it to a shell variable first (n=${vars.NAME}) and check it is a number before computing with it"
                )
            case .parameter:
                (
                    "inside a shell expansion ${…} (written $${…}), where filet cannot quote it",
                    "assign it to a shell variable first (v=${vars.NAME}), then write $${OTHER:-$v}"
                )
            case .dollarSingleQuoted:
                ("inside $'…', where filet cannot quote it", "close the $'…' quote before it")
            case .hereDocument(let document) where document.isQuoted:
                (
                    "in a here-document whose delimiter is quoted, where nothing is expanded",
                    "write the delimiter without quotes (<<\(document.delimiter)) to have it expanded"
                )
            default: nil
            }
        }
    }

    private let tokens: [Token]
    private let offsets: [Int]
    private var position = 0
    private var frames: [Frame] = [.command(closesWithParenthesis: false, depth: 0)]
    private var pendingHereDocuments: [HereDocument] = []
    /// At the start of a here-document's line, where its delimiter may end it.
    private var atLineStart = false
    private var placements: [ShellPlacement] = []

    /// How each reference of `template` is written in the script, in order.
    static func placements(in template: Template) throws(Template.Problem) -> [ShellPlacement] {
        var scanner = ShellQuotingScanner(template)
        try scanner.scan()
        return scanner.placements
    }

    private init(_ template: Template) {
        var tokens: [Token] = []
        var offsets: [Int] = []
        for part in template.parts {
            switch part {
            case .literal(let text):
                tokens += text.unicodeScalars.map(Token.character)
            case .reference(_, let offset):
                tokens.append(.reference(offsets.count))
                offsets.append(offset)
            }
        }
        self.tokens = tokens
        self.offsets = offsets
    }

    private func character(at index: Int) -> Unicode.Scalar? {
        guard index < tokens.count, case .character(let character) = tokens[index] else { return nil }
        return character
    }

    private func reference(at index: Int) -> Int? {
        guard index < tokens.count, case .reference(let number) = tokens[index] else { return nil }
        return number
    }

    private func problem(_ number: Int, _ why: String, hint: String) -> Template.Problem {
        Template.Problem(message: "this interpolation is \(why)", offset: offsets[number], hint: hint)
    }

    private mutating func scan() throws(Template.Problem) {
        while position < tokens.count {
            if case .hereDocument(let document) = frames[frames.count - 1], atLineStart {
                atLineStart = false
                if endsHereDocument(document) { continue }
            }
            if let number = reference(at: position) {
                try place(number)
                position += 1
                continue
            }
            let character = character(at: position)!
            switch frames[frames.count - 1] {
            case .command(let closesWithParenthesis, let depth):
                try scanCommand(character, closesWithParenthesis: closesWithParenthesis, depth: depth)
            case .doubleQuoted:
                if character == "\"" { pop() } else { try scanNested(character) }
            case .singleQuoted:
                if character == "'" { frames.removeLast() }
                position += 1
            case .dollarSingleQuoted, .backquoted:
                let closing: Unicode.Scalar = if case .backquoted = frames[frames.count - 1] { "`" } else { "'" }
                if character == "\\" {
                    try escape()
                } else {
                    if character == closing { frames.removeLast() }
                    position += 1
                }
            case .parameter:
                if character == "}" { pop() } else { try scanNested(character) }
            case .arithmetic(let depth):
                try scanArithmetic(character, depth: depth)
            case .comment:
                // The newline itself belongs to the command: it may start a here-document.
                if character == "\n" { frames.removeLast() } else { position += 1 }
            case .hereDocument(let document):
                try scanHereDocument(character, document)
            }
        }
    }

    /// Where a reference stands: refused inside any frame that cannot quote it, even further nested.
    private mutating func place(_ number: Int) throws(Template.Problem) {
        if let refusal { throw problem(number, refusal.why, hint: refusal.hint) }
        let beforeNameCharacter = character(at: position + 1).map(Self.isNameCharacter) ?? false
        switch frames[frames.count - 1] {
        case .singleQuoted: placements.append(.singleQuoted)
        case .doubleQuoted, .hereDocument: placements.append(.doubleQuoted(beforeNameCharacter: beforeNameCharacter))
        default: placements.append(.unquoted)
        }
    }

    /// Why a reference cannot stand here: the innermost frame that cannot quote it, if any.
    private var refusal: (why: String, hint: String)? { frames.lazy.compactMap(\.refusal).last }

    /// Enters `frame`, past the `width` characters that open it.
    private mutating func open(_ frame: Frame, width: Int = 1) {
        frames.append(frame)
        position += width
    }

    private mutating func pop() {
        frames.removeLast()
        position += 1
    }

    /// A `\`: the next character is taken as it is; a reference there would lose the quoting filet adds.
    private mutating func escape() throws(Template.Problem) {
        if let number = reference(at: position + 1) {
            if let refusal { throw problem(number, refusal.why, hint: refusal.hint) }
            throw problem(
                number, "right after a '\\', which would escape the quoting filet adds around its value",
                hint: "remove the '\\': the value arrives as one word, unchanged, whatever it holds")
        }
        position += 2
    }

    private mutating func scanCommand(_ character: Unicode.Scalar, closesWithParenthesis: Bool, depth: Int) throws(Template.Problem) {
        switch character {
        case "#" where position == 0 || self.character(at: position - 1).map(Self.endsWord) == true:
            open(.comment)
        case "(" where closesWithParenthesis:
            frames[frames.count - 1] = .command(closesWithParenthesis: true, depth: depth + 1)
            position += 1
        case ")" where closesWithParenthesis:
            if depth == 0 {
                pop()
            } else {
                frames[frames.count - 1] = .command(closesWithParenthesis: true, depth: depth - 1)
                position += 1
            }
        case "<" where self.character(at: position + 1) == "<":
            if self.character(at: position + 2) == "<" {
                position += 3  // a here-string, `<<<word`: the word is an ordinary one
            } else {
                position += 2
                try readHereDocumentOperator()
            }
        case "\n":
            position += 1
            if !pendingHereDocuments.isEmpty { startHereDocument() }
        default:
            try scanNested(character)
        }
    }

    /// What opens a frame — `$(`, `$((`, `${`, `$'`, backquotes, quotes (but inside double quotes) — and `\`.
    private mutating func scanNested(_ character: Unicode.Scalar) throws(Template.Problem) {
        // Quotes are literal inside double quotes, also in a `${…}` written there.
        let inDoubleQuotes: Bool
        switch frames.last(where: { if case .parameter = $0 { false } else { true } }) {
        case .doubleQuoted, .hereDocument: inDoubleQuotes = true
        default: inDoubleQuotes = false
        }
        switch character {
        case "`":
            open(.backquoted)
        case "$":
            switch self.character(at: position + 1) {
            case "(" where self.character(at: position + 2) == "(":
                open(.arithmetic(depth: 0), width: 3)
            case "(":
                open(.command(closesWithParenthesis: true, depth: 0), width: 2)
            case "{":
                open(.parameter, width: 2)
            case "'" where !inDoubleQuotes:
                open(.dollarSingleQuoted, width: 2)
            default:
                position += 1
            }
        case "\\":
            try escape()
        case "\"" where !inDoubleQuotes:
            open(.doubleQuoted)
        case "'" where !inDoubleQuotes:
            open(.singleQuoted)
        default:
            position += 1
        }
    }

    private mutating func scanArithmetic(_ character: Unicode.Scalar, depth: Int) throws(Template.Problem) {
        switch character {
        case "(":
            frames[frames.count - 1] = .arithmetic(depth: depth + 1)
            position += 1
        case ")" where depth == 0 && self.character(at: position + 1) == ")":
            frames.removeLast()
            position += 2
        case ")":
            frames[frames.count - 1] = .arithmetic(depth: max(0, depth - 1))
            position += 1
        default:
            try scanNested(character)
        }
    }

    /// After `<<`: an optional `-`, blanks, then the delimiter word, whose quotes say whether the body is expanded.
    private mutating func readHereDocumentOperator() throws(Template.Problem) {
        var document = HereDocument(delimiter: "", stripsTabs: false, isQuoted: false)
        if character(at: position) == "-" {
            document.stripsTabs = true
            position += 1
        }
        while let blank = character(at: position), blank == " " || blank == "\t" { position += 1 }
        var quote: Unicode.Scalar?
        while position < tokens.count {
            if let number = reference(at: position) {
                throw problem(number, "the delimiter of a here-document", hint: "write the delimiter as plain text, such as EOF")
            }
            let character = character(at: position)!
            if let open = quote {
                if character == open { quote = nil } else { document.delimiter.unicodeScalars.append(character) }
                position += 1
                continue
            }
            if Self.endsWord(character) { break }
            switch character {
            case "'", "\"":
                quote = character
                document.isQuoted = true
            case "\\":
                document.isQuoted = true
                if let number = reference(at: position + 1) {
                    throw problem(number, "the delimiter of a here-document", hint: "write the delimiter as plain text, such as EOF")
                }
                if let escaped = self.character(at: position + 1) { document.delimiter.unicodeScalars.append(escaped) }
                position += 1
            default:
                document.delimiter.unicodeScalars.append(character)
            }
            position += 1
        }
        if !document.delimiter.isEmpty { pendingHereDocuments.append(document) }
    }

    private mutating func startHereDocument() {
        frames.append(.hereDocument(pendingHereDocuments.removeFirst()))
        atLineStart = true
    }

    /// At the start of a here-document's line: whether the line is its delimiter, which ends it (and starts the next
    /// here-document of the same command, if any).
    private mutating func endsHereDocument(_ document: HereDocument) -> Bool {
        var end = position
        var line = ""
        while let next = character(at: end), next != "\n" {
            line.unicodeScalars.append(next)
            end += 1
        }
        guard reference(at: end) == nil, (document.stripsTabs ? String(line.drop { $0 == "\t" }) : line) == document.delimiter else {
            return false
        }
        frames.removeLast()
        position = end + 1
        if !pendingHereDocuments.isEmpty { startHereDocument() }
        return true
    }

    private mutating func scanHereDocument(_ character: Unicode.Scalar, _ document: HereDocument) throws(Template.Problem) {
        if character == "\n" {
            atLineStart = true
            position += 1
        } else if document.isQuoted {
            position += 1
        } else {
            try scanNested(character)
        }
    }

    /// What ends a word outside quotes: blanks, newlines and the operators' characters.
    private static func endsWord(_ character: Unicode.Scalar) -> Bool {
        " \t\n;&|()<>".unicodeScalars.contains(character)
    }

    private static func isNameCharacter(_ character: Unicode.Scalar) -> Bool {
        character == "_" || ("a"..."z").contains(character) || ("A"..."Z").contains(character) || ("0"..."9").contains(character)
    }
}
