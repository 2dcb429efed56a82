/// Something a runbook text can refer to with `${...}`, and a `when` condition can compare.
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    case variable(String)
    case environment(String)
    case runID
    case runMode
    case runStatus
    case runbookID
    case stepStatus(String)
    case stepOutput(String)

    /// The accepted forms, for error messages.
    public static let acceptedForms = "vars.NAME, env.NAME, run.id, run.mode, run.status, runbook.id, steps.ID.status, steps.ID.output"

    /// Parses `vars.NAME`, `steps.ID.status`, … (the text between `${` and `}`).
    public init?(path: String) {
        guard let dot = path.firstIndex(of: ".") else { return nil }
        let head = path[..<dot]
        let rest = path[path.index(after: dot)...]
        switch head {
        case "vars" where Self.isName(rest): self = .variable(String(rest))
        case "env" where Self.isName(rest): self = .environment(String(rest))
        case "run" where rest == "id": self = .runID
        case "run" where rest == "mode": self = .runMode
        case "run" where rest == "status": self = .runStatus
        case "runbook" where rest == "id": self = .runbookID
        case "steps":
            guard let last = rest.lastIndex(of: "."), StepID.isValid(rest[..<last]) else { return nil }
            switch rest[rest.index(after: last)...] {
            case "status": self = .stepStatus(String(rest[..<last]))
            case "output": self = .stepOutput(String(rest[..<last]))
            default: return nil
            }
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .variable(let name): "vars.\(name)"
        case .environment(let name): "env.\(name)"
        case .runID: "run.id"
        case .runMode: "run.mode"
        case .runStatus: "run.status"
        case .runbookID: "runbook.id"
        case .stepStatus(let id): "steps.\(id).status"
        case .stepOutput(let id): "steps.\(id).output"
        }
    }

    /// The step this reference reads, if any.
    public var stepID: String? {
        switch self {
        case .stepStatus(let id), .stepOutput(let id): id
        default: nil
        }
    }

    /// Names of variables and environment variables: a letter or `_`, then letters, digits, `_`.
    static func isName<Text: StringProtocol>(_ text: Text) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
        }
    }
}

/// A runbook text with `${...}` interpolations, parsed once at validation time.
/// `$${` writes a literal `${`.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// A reference and the character offset of its `${` in the source text.
        case reference(Reference, offset: Int)
    }

    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    public init(literal text: String) { parts = text.isEmpty ? [] : [.literal(text)] }

    /// A problem in a template's text, at a character offset.
    public struct Problem: Error, Sendable {
        public var message: String
        public var offset: Int
        public var hint: String?
    }

    public init(parsing text: String) throws(Problem) {
        guard text.utf8.contains(UInt8(ascii: "$")) else {
            parts = text.isEmpty ? [] : [.literal(text)]
            return
        }
        var parts: [Part] = []
        var literal = ""
        let bytes = Array(text.utf8)
        var index = 0
        var literalStart = 0
        var offset = 0  // in Unicode scalars, for locations
        func flushLiteral(upTo end: Int) {
            literal += String(decoding: bytes[literalStart..<end], as: UTF8.self)
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$") else {
                if byte & 0xC0 != 0x80 { offset += 1 }
                index += 1
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if next == UInt8(ascii: "$"), index + 2 < bytes.count, bytes[index + 2] == UInt8(ascii: "{") {
                flushLiteral(upTo: index)
                literal += "${"
                index += 3
                offset += 3
                literalStart = index
                continue
            }
            guard next == UInt8(ascii: "{") else {
                index += 1
                offset += 1
                continue
            }
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                throw Problem(
                    message: "'${' is never closed with '}'", offset: offset,
                    hint: "close it, or write '$${' for a literal '${'")
            }
            let path = String(decoding: bytes[(index + 2)..<close], as: UTF8.self)
            guard let reference = Reference(path: path) else {
                throw Problem(
                    message: "unknown reference '${\(path)}'", offset: offset,
                    hint: "write one of " + Reference.acceptedForms.split(separator: ", ").map { "${\($0)}" }.joined(separator: ", "))
            }
            flushLiteral(upTo: index)
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(.reference(reference, offset: offset))
            offset += path.unicodeScalars.count + 3
            index = close + 1
            literalStart = index
        }
        flushLiteral(upTo: bytes.count)
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    public var references: [Reference] {
        parts.compactMap { if case .reference(let reference, _) = $0 { reference } else { nil } }
    }

    /// Replaces the references that `resolve` knows; the others stay written as `${...}`.
    public func render(_ resolve: (Reference) -> String?) -> String {
        parts.map { part in
            switch part {
            case .literal(let text): text.replacing("${", with: "$${")
            case .reference(let reference, _): resolve(reference) ?? "${\(reference)}"
            }
        }.joined()
    }

    /// The text as written (with `$${` for literal `${`).
    public var description: String { render { _ in nil } }
}
