import FiletSyntax

/// A step's `when` condition: comparisons joined by `and`, `or`, `not` and parentheses.
///
/// ```
/// steps.bascule.status == 'succeeded' and mode == 'run'
/// ```
public indirect enum Condition: Sendable, Hashable, CustomStringConvertible {
    public enum Operand: Sendable, Hashable, CustomStringConvertible {
        case reference(Reference)
        case literal(String)

        public var description: String {
            switch self {
            case .reference(.runMode): "mode"
            case .reference(let reference): reference.description
            case .literal(let text): "'" + text.replacing("'", with: "''") + "'"
            }
        }
    }

    case comparison(Operand, equal: Bool, Operand)
    case not(Condition)
    case and(Condition, Condition)
    case or(Condition, Condition)

    public var description: String {
        switch self {
        case .comparison(let left, let equal, let right): "\(left) \(equal ? "==" : "!=") \(right)"
        case .not(let inner): "not \(inner.parenthesized)"
        case .and(let left, let right): "\(left.parenthesized) and \(right.parenthesized)"
        case .or(let left, let right): "\(left.parenthesized) or \(right.parenthesized)"
        }
    }

    private var parenthesized: String {
        if case .comparison = self { return description }
        return "(\(description))"
    }

    /// Every reference the condition reads.
    public var references: [Reference] {
        switch self {
        case .comparison(let left, _, let right):
            [left, right].compactMap { if case .reference(let reference) = $0 { reference } else { nil } }
        case .not(let inner): inner.references
        case .and(let left, let right), .or(let left, let right): left.references + right.references
        }
    }

    /// Every comparison with the character offset of its left operand, for checking literals.
    var comparisons: [(Operand, Operand)] {
        switch self {
        case .comparison(let left, _, let right): [(left, right)]
        case .not(let inner): inner.comparisons
        case .and(let left, let right), .or(let left, let right): left.comparisons + right.comparisons
        }
    }

    /// Parses the condition grammar:
    /// ```
    /// or         := and ('or' and)*
    /// and        := unary ('and' unary)*
    /// unary      := 'not' unary | '(' or ')' | comparison
    /// comparison := operand ('==' | '!=') operand
    /// operand    := steps.ID.status | steps.ID.output | vars.NAME | env.NAME | mode | 'text'
    /// ```
    /// At most ``maximumNesting`` levels of `not` and `(`, and ``maximumComparisons`` comparisons: a condition
    /// is a line an operator reads, and a deeper one would only exhaust the stack.
    public init(parsing text: String) throws(Template.Problem) {
        var parser = ConditionParser(text)
        self = try parser.parseExpression()
        if let token = parser.peek() {
            throw Template.Problem(
                message: "unexpected '\(token.text)' after the end of the condition", offset: token.offset,
                hint: "join conditions with 'and' or 'or'")
        }
    }
}

extension Condition {
    /// How many `not` and `(` may enclose one another.
    public static let maximumNesting = 32
    /// How many comparisons one condition may hold.
    public static let maximumComparisons = 256
}

private struct ConditionParser {
    struct Token {
        enum Kind { case word, string, equal, notEqual, open, close }
        var kind: Kind
        var text: String
        var offset: Int
    }

    private var tokens: [Token] = []
    private var index = 0
    private var depth = 0
    private var comparisons = 0
    private var lexError: Template.Problem?
    private let length: Int

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        length = scalars.count
        var i = 0
        func isWordScalar(_ s: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "_" || s == "-" || s == "."
        }
        while i < scalars.count {
            let s = scalars[i]
            switch s {
            case " ", "\t", "\n": i += 1
            case "(":
                tokens.append(Token(kind: .open, text: "(", offset: i))
                i += 1
            case ")":
                tokens.append(Token(kind: .close, text: ")", offset: i))
                i += 1
            case "=" where i + 1 < scalars.count && scalars[i + 1] == "=":
                tokens.append(Token(kind: .equal, text: "==", offset: i))
                i += 2
            case "!" where i + 1 < scalars.count && scalars[i + 1] == "=":
                tokens.append(Token(kind: .notEqual, text: "!=", offset: i))
                i += 2
            case "'":
                var value = ""
                var j = i + 1
                var closed = false
                while j < scalars.count {
                    if scalars[j] == "'" {
                        if j + 1 < scalars.count && scalars[j + 1] == "'" {
                            value += "'"
                            j += 2
                            continue
                        }
                        closed = true
                        break
                    }
                    value.unicodeScalars.append(scalars[j])
                    j += 1
                }
                guard closed else {
                    lexError = Template.Problem(
                        message: "a quoted text in the condition is never closed", offset: i, hint: "add the closing '")
                    return
                }
                tokens.append(Token(kind: .string, text: value, offset: i))
                i = j + 1
            case _ where isWordScalar(s):
                var j = i
                while j < scalars.count && isWordScalar(scalars[j]) { j += 1 }
                tokens.append(Token(kind: .word, text: String(String.UnicodeScalarView(scalars[i..<j])), offset: i))
                i = j
            default:
                let hint =
                    s == "\""
                    ? "texts in a condition use single quotes: 'succeeded'"
                    : s == "="
                        ? "compare with '==' (two equals signs)"
                        : s == "&" || s == "|" ? "write 'and' / 'or'" : "conditions compare operands with == and !="
                lexError = Template.Problem(message: "unexpected '\(Character(s))' in the condition", offset: i, hint: hint)
                return
            }
        }
    }

    func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

    mutating func parseExpression() throws(Template.Problem) -> Condition {
        if let lexError { throw lexError }
        var left = try parseAnd()
        while peek()?.kind == .word && peek()?.text == "or" {
            index += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(Template.Problem) -> Condition {
        var left = try parseUnary()
        while peek()?.kind == .word && peek()?.text == "and" {
            index += 1
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(Template.Problem) -> Condition {
        guard let token = peek() else { throw missing("a comparison such as steps.ID.status == 'succeeded'") }
        let nests = (token.kind == .word && token.text == "not") || token.kind == .open
        if nests {
            guard depth < Condition.maximumNesting else {
                throw Template.Problem(
                    message: "the condition nests 'not' and '(' more than \(Condition.maximumNesting) deep", offset: token.offset,
                    hint: "write it flatter: 'not (a or b)' is 'not a and not b', and 'not not a' is 'a'")
            }
            depth += 1
        }
        defer { if nests { depth -= 1 } }
        if token.kind == .word && token.text == "not" {
            index += 1
            return .not(try parseUnary())
        }
        if token.kind == .open {
            index += 1
            let inner = try parseExpression()
            guard peek()?.kind == .close else { throw missing("')' to close the '(' at character \(token.offset + 1)", at: peek()) }
            index += 1
            return inner
        }
        comparisons += 1
        guard comparisons <= Condition.maximumComparisons else {
            throw Template.Problem(
                message: "the condition holds more than \(Condition.maximumComparisons) comparisons", offset: token.offset,
                hint: "split it: give the step fewer cases, or let a check step decide and test its status")
        }
        let left = try parseOperand()
        guard let op = peek(), op.kind == .equal || op.kind == .notEqual else {
            throw missing("'==' or '!=' after '\(left)'", at: peek())
        }
        index += 1
        let right = try parseOperand()
        return .comparison(left, equal: op.kind == .equal, right)
    }

    private mutating func parseOperand() throws(Template.Problem) -> Condition.Operand {
        guard let token = peek() else { throw missing("an operand") }
        index += 1
        switch token.kind {
        case .string: return .literal(token.text)
        case .word where token.text == "mode": return .reference(.runMode)
        case .word:
            if let reference = Reference(path: token.text), Self.comparable(reference) { return .reference(reference) }
            throw Template.Problem(
                message: "unknown operand '\(token.text)'", offset: token.offset,
                hint: "operands are steps.ID.status, steps.ID.output, vars.NAME, env.NAME, mode and 'quoted text'")
        default:
            throw Template.Problem(
                message: "expected an operand, found '\(token.text)'", offset: token.offset,
                hint: "operands are steps.ID.status, steps.ID.output, vars.NAME, env.NAME, mode and 'quoted text'")
        }
    }

    private static func comparable(_ reference: Reference) -> Bool {
        switch reference {
        case .stepStatus, .stepOutput, .variable, .environment: true
        default: false
        }
    }

    private func missing(_ what: String, at token: Token? = nil) -> Template.Problem {
        Template.Problem(
            message: "expected \(what)" + (token.map { ", found '\($0.text)'" } ?? " at the end of the condition"),
            offset: token?.offset ?? length, hint: nil)
    }
}
