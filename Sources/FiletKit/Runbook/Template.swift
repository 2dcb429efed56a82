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
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("vars", 2) where Self.isName(parts[1]): self = .variable(parts[1])
        case ("env", 2) where Self.isName(parts[1]): self = .environment(parts[1])
        case ("run", 2) where parts[1] == "id": self = .runID
        case ("run", 2) where parts[1] == "mode": self = .runMode
        case ("run", 2) where parts[1] == "status": self = .runStatus
        case ("runbook", 2) where parts[1] == "id": self = .runbookID
        case ("steps", 3) where StepID.isValid(parts[1]) && parts[2] == "status": self = .stepStatus(parts[1])
        case ("steps", 3) where StepID.isValid(parts[1]) && parts[2] == "output": self = .stepOutput(parts[1])
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
    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else {
            return false
        }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
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
        var parts: [Part] = []
        var literal = ""
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                literal += "${"
                index += 3
                continue
            }
            guard scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                literal.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                throw Problem(message: "'${' is never closed with '}'", offset: index,
                              hint: "close it, or write '$${' for a literal '${'")
            }
            let path = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
            guard let reference = Reference(path: path) else {
                throw Problem(message: "unknown reference '${\(path)}'", offset: index,
                              hint: "write one of " + Reference.acceptedForms.split(separator: ",").map { "${\($0.trimmingPrefix(" "))}" }.joined(separator: ", "))
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(.reference(reference, offset: index))
            index = close + 1
        }
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
