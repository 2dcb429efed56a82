import FiletSyntax

/// Typed reading of node values, each problem recorded as a located diagnostic.
///
/// Every reader returns nil after recording a diagnostic, so validation goes on and
/// reports every problem of a runbook at once.
struct NodeReader {
    private(set) var diagnostics: [Diagnostic] = []

    mutating func report(
        _ code: Diagnostic.Code, _ message: String, at location: SourceLocation,
        hint: String? = nil, notes: [Diagnostic.Note] = []
    ) {
        diagnostics.append(Diagnostic(code, message, at: location, hint: hint, notes: notes))
    }

    /// The entries of a mapping by key, after reporting keys that are not in `allowed`.
    mutating func fields(_ node: Node, allowed: [String], of what: @autoclosure () -> String) -> Fields? {
        guard let entries = node.mapping else {
            report("expected-mapping", "\(what()) must be a mapping of 'key: value' lines, not \(node.kindDescription)", at: node.location)
            return nil
        }
        var fields = Fields()
        for entry in entries {
            guard allowed.contains(entry.key.text) else {
                report(
                    "unknown-key", "unknown key '\(entry.key.text)' in \(what())", at: entry.keyLocation,
                    hint: Suggestion.hint(for: entry.key.text, in: allowed, listing: "the keys here are"))
                continue
            }
            fields.entries.append(entry)
        }
        return fields
    }

    /// The known entries of a mapping. Runbook mappings are small, so a linear search beats hashing.
    struct Fields {
        var entries: [Node.Entry] = []

        subscript(key: String) -> Node.Entry? { entries.first { $0.key.text == key } }
    }

    mutating func require(_ key: String, in fields: Fields, of what: @autoclosure () -> String, at location: SourceLocation) -> Node? {
        guard let entry = fields[key] else {
            report("missing-key", "\(what()) has no '\(key)'", at: location, hint: "add '\(key): ...'")
            return nil
        }
        return entry.value
    }

    /// Non-empty text.
    mutating func text(_ node: Node, _ what: @autoclosure () -> String) -> String? {
        guard let scalar = node.scalar else {
            report(
                "expected-text", "\(what()) must be text, not \(node.kindDescription)", at: node.location,
                hint: "quote the value if it contains ':', '[' or '{'")
            return nil
        }
        guard !scalar.isNull else {
            report("empty-value", "\(what()) is empty", at: node.location, hint: "write a value after the colon")
            return nil
        }
        return scalar.text
    }

    /// Text with `${...}` interpolations.
    mutating func template(_ node: Node, _ what: @autoclosure () -> String) -> Template? {
        guard let text = text(node, what()) else { return nil }
        do throws(Template.Problem) {
            return try Template(parsing: text)
        } catch {
            report(
                "bad-interpolation", "\(what()): \(error.message)", at: location(in: node, characterOffset: error.offset), hint: error.hint)
            return nil
        }
    }

    mutating func condition(_ node: Node, _ what: @autoclosure () -> String) -> Condition? {
        guard let text = text(node, what()) else { return nil }
        do throws(Template.Problem) {
            return try Condition(parsing: text)
        } catch {
            report("bad-condition", "\(what()): \(error.message)", at: location(in: node, characterOffset: error.offset), hint: error.hint)
            return nil
        }
    }

    mutating func integer(_ node: Node, _ what: @autoclosure () -> String, in range: ClosedRange<Int>) -> Int? {
        guard let scalar = plainScalar(node, what(), expecting: "a whole number") else { return nil }
        let digits = scalar.text.hasPrefix("-") ? scalar.text.dropFirst() : Substring(scalar.text)
        guard !digits.isEmpty, digits.count <= 12, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(scalar.text) else {
            report("expected-integer", "\(what()) must be a whole number, not '\(scalar.text)'", at: node.location)
            return nil
        }
        if digits.count > 1 && digits.hasPrefix("0") {
            report(
                "leading-zero", "\(what()) is written with a leading zero: '\(scalar.text)'", at: node.location,
                hint: "write it without leading zeros: YAML 1.1 tools read 0200 as an octal number")
            return nil
        }
        guard range.contains(value) else {
            report("out-of-range", "\(what()) must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node.location)
            return nil
        }
        return value
    }

    /// `true` or `false`, nothing else: YAML 1.1's yes/no/on/off mean different things to different tools.
    mutating func boolean(_ node: Node, _ what: @autoclosure () -> String) -> Bool? {
        guard let scalar = plainScalar(node, what(), expecting: "true or false") else { return nil }
        switch scalar.text {
        case "true": return true
        case "false": return false
        default:
            let lowered = scalar.text.lowercased()
            let meant =
                ["yes", "on", "y", "true"].contains(lowered) ? "true" : ["no", "off", "n", "false"].contains(lowered) ? "false" : nil
            report(
                "expected-boolean", "\(what()) must be true or false, not '\(scalar.text)'", at: node.location,
                hint: meant.map { "write '\($0)': filet reads only lowercase true and false as booleans" } ?? "write true or false")
            return nil
        }
    }

    mutating func duration(_ node: Node, _ what: @autoclosure () -> String) -> RunbookDuration? {
        guard let text = text(node, what()) else { return nil }
        guard let duration = RunbookDuration(parsing: text) else {
            let isNumber = !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            report(
                "expected-duration", "\(what()) is not a duration: '\(text)'", at: node.location,
                hint: (isNumber ? "add a unit, such as \(text)s; " : "") + "accepted forms: " + RunbookDuration.acceptedForms)
            return nil
        }
        return duration
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ what: @autoclosure () -> String, as type: Choice.Type)
        -> Choice?
    where Choice.RawValue == String {
        guard let text = text(node, what()) else { return nil }
        if let value = Choice(rawValue: text) { return value }
        let names = Choice.allCases.map(\.rawValue)
        report(
            "unknown-choice", "\(what()) must be one of \(names.joined(separator: ", ")), not '\(text)'", at: node.location,
            hint: Suggestion.closest(to: text, in: names).map { "did you mean '\($0)'?" })
        return nil
    }

    mutating func list(_ node: Node, _ what: @autoclosure () -> String) -> [Node]? {
        if let items = node.sequence { return items }
        if let scalar = node.scalar, !scalar.isNull {
            report(
                "expected-list", "\(what()) must be a list, not \(node.kindDescription)", at: node.location,
                hint: "write a list: [\(scalar.text)]")
        } else {
            report(
                "expected-list", "\(what()) must be a list, not \(node.kindDescription)", at: node.location,
                hint: "write [a, b] or one '- item' per line")
        }
        return nil
    }

    /// A value that must be written plain: `200`, not `"200"`.
    private mutating func plainScalar(_ node: Node, _ what: @autoclosure () -> String, expecting: String) -> Scalar? {
        guard let scalar = node.scalar, !scalar.isNull else {
            report(
                Diagnostic.Code(rawValue: expecting == "true or false" ? "expected-boolean" : "expected-integer"),
                "\(what()) must be \(expecting), not \(node.kindDescription)",
                at: node.location)
            return nil
        }
        guard scalar.style == .plain else {
            report(
                "quoted-scalar", "\(what()) must be \(expecting), not quoted text", at: node.location,
                hint: "remove the quotes: in YAML a quoted value is always text")
            return nil
        }
        return scalar
    }

    /// The location of a character of a scalar's text. Exact for one-line plain and
    /// quoted scalars without escapes; block scalars point at their '|' or '>'.
    func location(in node: Node, characterOffset: Int) -> SourceLocation {
        guard let scalar = node.scalar else { return node.location }
        switch scalar.style {
        case .plain, .singleQuoted, .doubleQuoted:
            let prefix = scalar.text.unicodeScalars.prefix(characterOffset)
            guard !prefix.contains("\n") else { return node.location }
            let quote = scalar.style == .plain ? 0 : 1
            let bytes = prefix.reduce(0) { $0 + UTF8.width($1) }
            return node.location.advanced(byColumns: prefix.count + quote, bytes: bytes + quote)
        case .literal, .folded:
            return node.location
        }
    }
}
