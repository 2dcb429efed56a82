import FiletSyntax
import FiletTestSupport
import Testing
import Yams

/// A composed document reduced to what filet YAML promises to agree on with YAML:
/// mapping keys and order, list items, and every scalar's text (compared byte for byte,
/// not by Swift's canonical equivalence).
indirect enum ComposedTree: Equatable, CustomStringConvertible {
    case scalar(String)
    case sequence([ComposedTree])
    case mapping([Pair])

    struct Pair: Equatable {
        var key: ComposedTree
        var value: ComposedTree
    }

    init(_ node: FiletSyntax.Node) {
        switch node.content {
        case .scalar(let scalar): self = .scalar(scalar.text)
        case .sequence(let items): self = .sequence(items.map(ComposedTree.init))
        case .mapping(let entries): self = .mapping(entries.map { Pair(key: .scalar($0.key.text), value: ComposedTree($0.value)) })
        }
    }

    init(_ node: Yams.Node) {
        switch node {
        case .scalar(let scalar): self = .scalar(scalar.string)
        case .sequence(let sequence): self = .sequence(sequence.map(ComposedTree.init))
        case .mapping(let mapping): self = .mapping(mapping.map { Pair(key: ComposedTree($0.key), value: ComposedTree($0.value)) })
        case .alias(let alias): self = .scalar("<alias \(alias.anchor)>")
        }
    }

    init(_ node: GeneratedNode) {
        switch node {
        case .scalar(let text): self = .scalar(text)
        case .sequence(let items): self = .sequence(items.map(ComposedTree.init))
        case .mapping(let entries): self = .mapping(entries.map { Pair(key: .scalar($0.key), value: ComposedTree($0.value)) })
        }
    }

    /// Where two trees first differ, as a path and both sides, or nil when they are equal.
    func firstDifference(from other: ComposedTree, path: String = "$") -> String? {
        switch (self, other) {
        case (.scalar(let a), .scalar(let b)):
            return a.utf8.elementsEqual(b.utf8) ? nil : "\(path): \(GeneratedNode.quote(a)) ≠ \(GeneratedNode.quote(b))"
        case (.sequence(let a), .sequence(let b)):
            for (index, (x, y)) in zip(a, b).enumerated() {
                if let difference = x.firstDifference(from: y, path: "\(path)[\(index)]") { return difference }
            }
            return a.count == b.count ? nil : "\(path): \(a.count) items ≠ \(b.count) items"
        case (.mapping(let a), .mapping(let b)):
            for (index, (x, y)) in zip(a, b).enumerated() {
                if let difference = x.key.firstDifference(from: y.key, path: "\(path).<key \(index)>") { return difference }
                let name = if case .scalar(let key) = x.key { GeneratedNode.quote(key) } else { "<complex>" }
                if let difference = x.value.firstDifference(from: y.value, path: "\(path)[\(name)]") { return difference }
            }
            return a.count == b.count ? nil : "\(path): \(a.count) entries ≠ \(b.count) entries"
        default:
            return "\(path): \(kind) ≠ \(other.kind)"
        }
    }

    var kind: String {
        switch self {
        case .scalar: "scalar"
        case .sequence: "sequence"
        case .mapping: "mapping"
        }
    }

    static func == (lhs: ComposedTree, rhs: ComposedTree) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): a.utf8.elementsEqual(b.utf8)
        case (.sequence(let a), .sequence(let b)): a == b
        case (.mapping(let a), .mapping(let b)): a == b
        default: false
        }
    }

    var description: String {
        var out = ""
        dump(into: &out, indent: "")
        return out
    }

    private func dump(into out: inout String, indent: String) {
        switch self {
        case .scalar(let text):
            out += indent + GeneratedNode.quote(text) + "\n"
        case .sequence(let items):
            out += indent + "- [\(items.count) items]\n"
            for item in items { item.dump(into: &out, indent: indent + "  ") }
        case .mapping(let pairs):
            out += indent + "{\(pairs.count) entries}\n"
            for pair in pairs {
                if case .scalar(let key) = pair.key {
                    out += indent + "  " + GeneratedNode.quote(key) + ":\n"
                } else {
                    out += indent + "  ? complex key\n"
                    pair.key.dump(into: &out, indent: indent + "    ")
                }
                pair.value.dump(into: &out, indent: indent + "    ")
            }
        }
    }
}

/// The reference parser: libyaml through Yams, composing only (no tag resolution, so that
/// every scalar stays text, as in filet YAML).
///
/// Two Yams artefacts (not YAML semantics) keep some text out of the comparison: Yams
/// builds scalars with Foundation's `String(bytes:encoding:)`, which drops a leading
/// U+FEFF (so a scalar written `"\uFEFF..."` loses its first character) and with C
/// strings elsewhere (so a NUL, `"\0"`, cuts text short). Generated documents avoid both.
enum YAMLReference {
    static func compose(_ text: String) -> Result<ComposedTree, any Error> {
        // Yams tells libyaml the encoding up front, which skips libyaml's byte order mark
        // detection: the scanner then counts the mark as a column and misreads the first
        // line. A YAML reader drops a leading byte order mark, so the reference gets the
        // text without it.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.unicodeScalars.dropFirst()) : text
        return Result {
            guard let node = try Yams.compose(yaml: text, .basic) else { throw EmptyDocument() }
            return ComposedTree(node)
        }
    }

    struct EmptyDocument: Error {}
}

enum Differential {
    /// The document with its line numbers and every invisible character shown, for failure messages.
    static func listing(_ text: String) -> String {
        var out = ""
        var number = 1
        var line = ""
        func flush(_ end: String) {
            let digits = String(number)
            out += String(repeating: " ", count: max(0, 4 - digits.count)) + digits + " | " + line + end + "\n"
            number += 1
            line = ""
        }
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                flush(previousCR ? "␍␊" : "␊")
                previousCR = false
                continue
            }
            if previousCR { line += "␍" }
            previousCR = scalar == "\r"
            switch scalar {
            case "\r": break
            case "\t": line += "→"
            case " ": line += "·"
            case "\u{FEFF}": line += "<BOM>"
            default:
                if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
                    line += "<U+\(String(scalar.value, radix: 16, uppercase: true))>"
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        if previousCR { line += "␍" }
        if !line.isEmpty { flush("<EOF>") }
        return out
    }

    static func render(_ diagnostics: DiagnosticList, _ file: SourceFile) -> String {
        DiagnosticRenderer(file: file).render(diagnostics.diagnostics)
    }

    /// Parses `text` with filet and with the reference; records an issue unless both accept
    /// it and build the same tree (and, if given, the tree the document was generated from).
    /// Returns whether the check passed.
    @discardableResult
    static func expectSame(
        _ text: String, expected: GeneratedNode? = nil, label: String = "",
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) -> Bool {
        let file = SourceFile(path: "doc.yaml", text: text)
        let ours: ComposedTree
        do {
            ours = ComposedTree(try Syntax.parse(file))
        } catch {
            Issue.record(
                """
                filet rejected a document inside the subset \(label)
                \(render(error, file))
                \(listing(text))
                """, sourceLocation: sourceLocation)
            return false
        }
        let theirs: ComposedTree
        switch YAMLReference.compose(text) {
        case .success(let tree): theirs = tree
        case .failure(let error):
            Issue.record(
                """
                filet accepted a document that YAML (libyaml) rejects \(label): \(error)
                \(listing(text))
                filet:
                \(ours)
                """, sourceLocation: sourceLocation)
            return false
        }
        if ours != theirs {
            Issue.record(
                """
                filet and YAML (libyaml) compose different trees \(label)
                first difference (filet ≠ YAML): \(ours.firstDifference(from: theirs) ?? "?")
                \(listing(text))
                filet:
                \(ours)
                YAML:
                \(theirs)
                """, sourceLocation: sourceLocation)
            return false
        }
        if let expected, ComposedTree(expected) != ours {
            Issue.record(
                """
                both parsers agree, but not with the tree the generator meant \(label) (a generator bug)
                first difference (parsed ≠ generator): \(ours.firstDifference(from: ComposedTree(expected)) ?? "?")
                \(listing(text))
                parsed:
                \(ours)
                generator:
                \(ComposedTree(expected))
                """, sourceLocation: sourceLocation)
            return false
        }
        return true
    }
}
