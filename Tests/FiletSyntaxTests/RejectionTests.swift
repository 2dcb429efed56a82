import FiletSyntax
import Testing

/// Each construct outside filet YAML is rejected with its own code, at the right line:column.
@Suite("Syntax: rejections")
struct SyntaxRejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var code: String
        var at: String
        var testDescription: String { "\(name) → \(code) at \(at)" }

        init(_ name: String, _ text: String, _ code: String, at: String) {
            self.init(name, Array(text.utf8), code, at: at)
        }

        init(_ name: String, _ bytes: [UInt8], _ code: String, at: String) {
            self.name = name
            self.bytes = bytes
            self.code = code
            self.at = at
        }
    }

    /// The constructs the issue lists, one each (some in several spellings).
    static let listed: [Case] = [
        Case("tab indentation", "a:\n\tb: 1\n", "tab-indentation", at: "2:1"),
        Case("tab indentation after spaces", "a:\n  b: 1\n  \tc: 2\n", "tab-indentation", at: "3:3"),
        Case("tab indentation of a list item", "k:\n\t- a\n", "tab-indentation", at: "2:1"),
        Case("anchor", "a: &x 1\n", "anchor", at: "1:4"),
        Case("anchor on a list item", "- &x\n  a: 1\n", "anchor", at: "1:3"),
        Case("alias", "a: 1\nb: *x\n", "alias", at: "2:4"),
        Case("alias in a flow list", "a: [1, *x]\n", "alias", at: "1:8"),
        Case("tag", "a: !!str 1\n", "tag", at: "1:4"),
        Case("local tag", "- !thing x\n", "tag", at: "1:3"),
        Case("merge key", "a: 1\n<<: {b: 2}\n", "merge-key", at: "2:1"),
        Case("merge key in a flow mapping", "a: {<<: x}\n", "merge-key", at: "1:5"),
        Case("YAML directive", "%YAML 1.2\n---\na: 1\n", "directive", at: "1:1"),
        Case("TAG directive after a comment", "# c\n%TAG ! tag:x,2024:\n---\na: 1\n", "directive", at: "2:1"),
        Case("complex key", "? a\n: b\n", "complex-key", at: "1:1"),
        Case("flow list as a key", "[a, b]: c\n", "complex-key", at: "1:1"),
        Case("flow mapping as a key in a mapping", "a: 1\n{b: c}: d\n", "complex-key", at: "2:1"),
        Case("second document", "a: 1\n---\nb: 2\n", "second-document", at: "2:1"),
        Case("second document after an end marker", "a: 1\n...\n---\nb: 2\n", "second-document", at: "3:1"),
        Case("second document after an empty one", "---\n---\na: 1\n", "second-document", at: "2:1"),
        Case("content after the end marker", "a: 1\n...\nb: 2\n", "content-after-document-end", at: "3:1"),
        Case("unterminated double quote", "a: \"x\n  y\n", "unterminated-quote", at: "1:4"),
        Case("unterminated single quote", "a:\n  - 'its\n", "unterminated-quote", at: "2:5"),
        Case("unterminated flow list", "a: [x, y\n  z\n", "unterminated-flow", at: "1:4"),
        Case("unterminated flow mapping", "a: {x: [1, 2]\n", "unterminated-flow", at: "1:4"),
        Case("unknown escape", "a: \"x\\qy\"\n", "bad-escape", at: "1:6"),
        Case("short hexadecimal escape", "a: \"\\x4g\"\n", "bad-escape", at: "1:5"),
        Case("surrogate escape", "a: \"\\uD800\"\n", "bad-escape", at: "1:5"),
        Case("escape beyond Unicode", "a: \"\\U00110000\"\n", "bad-escape", at: "1:5"),
        Case("YAML-only escape \\N", "a: \"\\N\"\n", "bad-escape", at: "1:5"),
        Case("escaped space", "a: \"x\\ y\"\n", "bad-escape", at: "1:6"),
        Case("line indented between two levels", "a:\n  b: 1\n c: 2\n", "bad-indentation", at: "3:2"),
        Case("line indented deeper than its siblings", "a: '1'\n  b: 2\n", "bad-indentation", at: "2:3"),
        Case("list item deeper than its siblings", "- 'a'\n - b\n", "bad-indentation", at: "2:2"),
        Case("text after a closed flow list", "a: [x] y\n", "unexpected-text", at: "1:8"),
        Case("text after a closed flow mapping in a list", "- {a: b}, c\n", "unexpected-text", at: "1:9"),
        Case("invalid UTF-8", [0x61, 0x3A, 0x20, 0xC3, 0x28, 0x0A], "invalid-utf8", at: "1:4"),
        Case("overlong UTF-8", [0x61, 0x3A, 0x20, 0xC0, 0xAF, 0x0A], "invalid-utf8", at: "1:4"),
        Case("UTF-8 surrogate", Array("a: é\nb: ".utf8) + [0xED, 0xA0, 0x80, 0x0A], "invalid-utf8", at: "2:4"),
        Case("truncated UTF-8 at the end", Array("a: é".utf8) + [0xE2, 0x82], "invalid-utf8", at: "1:5"),
        Case("NUL byte", "a: x\0y\n", "nul-byte", at: "1:5"),
        Case("control character", "a: x\u{1}y\n", "control-character", at: "1:5"),
        Case("DEL", "a: \u{7F}\n", "control-character", at: "1:4"),
        Case("C1 control character", "a: x\u{9B}\n", "control-character", at: "1:5"),
        Case("right-to-left override", "a: é\u{202E}x\n", "bidi-control", at: "1:5"),
        Case("bidi isolate", "# \u{2066}\n", "bidi-control", at: "1:3"),
        Case("line separator", "a: x\u{2028}y\n", "unicode-line-separator", at: "1:5"),
        Case("next line (NEL)", "a: x\u{85}y\n", "unicode-line-separator", at: "1:5"),
        Case("byte order mark in the middle", "a: x\n\u{FEFF}b: y\n", "byte-order-mark", at: "2:1"),
        Case("lone carriage return", "a: 1\rb: 2\n", "lone-carriage-return", at: "1:5"),
        Case("lone carriage return after CRLF lines", "a: 1\r\nb: 2\r\nc: 3\r", "lone-carriage-return", at: "3:5"),
        Case("nesting deeper than 64 flow lists", "a: " + String(repeating: "[", count: 64) + "]", "too-deep", at: "1:67"),
        Case(
            "nesting deeper than 64 block lists", (0..<65).map { String(repeating: " ", count: $0) + "-\n" }.joined(), "too-deep",
            at: "65:65"),
        Case("nesting deeper than 64 compact lists", String(repeating: "- ", count: 65) + "x\n", "too-deep", at: "1:129"),
    ]

    /// Other constructs filet YAML leaves out, each with its own code.
    static let others: [Case] = [
        Case("duplicate key in a flow mapping", "a: {x: 1, y: 2, x: 3}\n", "duplicate-key", at: "1:17"),
        Case("duplicate quoted key", "'a': 1\n\"a\": 2\n", "duplicate-key", at: "2:1"),
        Case("multi-line quoted key", "\"a\nb\": 1\n", "multiline-key", at: "1:1"),
        Case("key longer than 1024 bytes", String(repeating: "k", count: 1025) + ": v\n", "key-too-long", at: "1:1"),
        Case(
            "quoted key spelled in more than 1024 bytes", "\"" + String(repeating: "\\x41", count: 256) + "\": v\n", "key-too-long",
            at: "1:1"),
        Case(
            "key padded past 1024 bytes", String(repeating: "k", count: 1000) + String(repeating: " ", count: 30) + ": v\n", "key-too-long",
            at: "1:1"),
        Case("comment without a blank before it", "a: 'x'#c\n", "comment-spacing", at: "1:7"),
        Case("list on its key's line", "a: - b\n", "sequence-on-key-line", at: "1:4"),
        Case("mapping on its key's line", "a: b: c\n", "unexpected-colon", at: "1:5"),
        Case("tab after a colon", "a:\tb\n", "tab", at: "1:3"),
        Case("tab inside a flow collection", "a: [b,\tc]\n", "tab", at: "1:7"),
        Case("indentation indicator 0", "a: |0\n  x\n", "block-indentation-indicator", at: "1:5"),
        Case("text after a block scalar header", "a: | x\n", "block-scalar-header", at: "1:6"),
        Case("deep blank line before a block scalar's text", "a: |\n    \n  x\n", "block-scalar-indentation", at: "3:3"),
        Case("block scalar in a flow collection", "a: [|, x]\n", "block-scalar-in-flow", at: "1:5"),
        Case("list item in a flow collection", "a: [- x]\n", "sequence-in-flow", at: "1:5"),
        Case("pair in a flow list", "a: [b: c]\n", "pair-in-flow-sequence", at: "1:5"),
        Case("mismatched bracket", "a: [b, }\n", "mismatched-bracket", at: "1:8"),
        Case("missing comma", "a: [b c: d]\n", "pair-in-flow-sequence", at: "1:5"),
        Case("missing comma between flow mappings", "a: [{b: c} {d: e}]\n", "expected-flow-separator", at: "1:12"),
        Case("empty flow entry", "a: [b,, c]\n", "empty-flow-entry", at: "1:7"),
        Case("colon then flow indicator", "a: {b:[c]}\n", "colon-in-flow", at: "1:6"),
        Case("flow mapping key without a value", "a: {b, c: d}\n", "missing-colon", at: "1:5"),
        Case("flow continuation not indented", "a: [b,\nc]\n", "bad-indentation", at: "2:1"),
        Case("quoted continuation not indented", "a: 'b\nc'\n", "bad-indentation", at: "2:1"),
        Case("document marker inside quotes", "a: 'b\n---\n'\n", "document-marker-in-quote", at: "2:1"),
        Case("document marker inside a flow collection", "a: [b,\n...\n]\n", "document-marker-in-flow", at: "2:1"),
        Case("key without a colon", "a: 1\nb\n", "missing-colon", at: "2:1"),
        Case("colon without a key", "a: 1\n: b\n", "colon-without-key", at: "2:1"),
        Case("key starting with |", "a: 1\n|b: 2\n", "block-scalar-key", at: "2:1"),
        Case("key starting with >", "- a: 1\n  >x: 2\n", "block-scalar-key", at: "2:3"),
        Case("reserved indicator @", "a: @x\n", "reserved-indicator", at: "1:4"),
        Case("reserved indicator backtick", "a: `x`\n", "reserved-indicator", at: "1:4"),
        Case("list item where a key is expected", "a: 1\n- b\n", "sequence-in-mapping", at: "2:1"),
        Case("key where a list item is expected", "- a\nb: c\n", "expected-sequence-item", at: "2:1"),
        Case("empty document", "# only a comment\n", "empty-document", at: "2:1"),
        Case("empty document with markers", "---\n...\n", "empty-document", at: "2:1"),
        Case("text after ---", "--- a\n", "unexpected-text", at: "1:5"),
    ]

    @Test("listed constructs are rejected where they are", arguments: listed)
    func listedConstruct(_ example: Case) { check(example) }

    @Test("other constructs are rejected where they are", arguments: others)
    func otherConstruct(_ example: Case) { check(example) }

    @Test("duplicate keys name both places and are all reported")
    func duplicateKeys() throws {
        let text = "a: 1\nb:\n  c: 2\n  c: 3\na: 4\nd: [1]\nd: 5\n"
        let diagnostics = try #require(throws: DiagnosticList.self) { try Syntax.parse(SourceFile(path: "d.yaml", text: text)) }.diagnostics
        #expect(diagnostics.map(\.code.rawValue) == ["duplicate-key", "duplicate-key", "duplicate-key"])
        #expect(diagnostics.map(\.location.description) == ["4:3", "5:1", "7:1"])
        #expect(diagnostics.map { $0.notes.map(\.location.description) } == [["3:3"], ["1:1"], ["6:1"]])
    }

    @Test("a file larger than 8 MiB is rejected before it is parsed")
    func tooLarge() throws {
        var bytes = Array("a: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: Syntax.maximumFileSize - 3)
        #expect(throws: Never.self) { try Syntax.parse(SourceFile(path: "big.yaml", bytes: bytes)) }
        bytes.append(0x0A)
        let diagnostics = try #require(throws: DiagnosticList.self) { try Syntax.parse(SourceFile(path: "big.yaml", bytes: bytes)) }
            .diagnostics
        #expect(diagnostics.map(\.code.rawValue) == ["file-too-large"])
        #expect(diagnostics.first?.location == .start)
    }

    @Test("64 levels of nesting are allowed")
    func deepestAllowed() {
        #expect(throws: Never.self) {
            try Syntax.parse(SourceFile(path: "n.yaml", text: String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
        }
        #expect(throws: Never.self) { try Syntax.parse(SourceFile(path: "n.yaml", text: String(repeating: "- ", count: 64) + "x\n")) }
    }

    private func check(_ example: Case, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let file = SourceFile(path: "r.yaml", bytes: example.bytes)
        do {
            let node = try Syntax.parse(file)
            Issue.record(
                "accepted:\n\(Differential.listing(String(decoding: example.bytes, as: UTF8.self)))\(ComposedTree(node))",
                sourceLocation: sourceLocation)
        } catch {
            let first = error.diagnostics.first
            #expect(first?.code.rawValue == example.code, "\(Differential.render(error, file))", sourceLocation: sourceLocation)
            #expect(first?.location.description == example.at, "\(Differential.render(error, file))", sourceLocation: sourceLocation)
            #expect(first?.message.isEmpty == false, sourceLocation: sourceLocation)
        }
    }
}
