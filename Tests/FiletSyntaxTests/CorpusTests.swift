import FiletSyntax
import Testing

/// Hand-written documents covering every construct filet YAML accepts; each must be
/// accepted by filet and compose to the same tree as libyaml.
@Suite("Syntax: corpus")
struct SyntaxCorpusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }

        init(_ name: String, _ text: String) {
            self.name = name
            self.text = text
        }
    }

    static let blockCollections: [Case] = [
        Case("mapping", "a: 1\nb: two\nc: three words\n"),
        Case("nested mappings, widths 1 to 4", "a:\n b:\n   c:\n       d: e\n   f: g\n h: i\nj: k\n"),
        Case("root mapping indented", "  a: 1\n  b:\n     c: 2\n"),
        Case("sequence", "- a\n- b\n-   c\n"),
        Case("sequence under a key, indented", "k:\n   - a\n   - b\nz: 1\n"),
        Case("indentless sequence", "k:\n- a\n- b\nz: 1\n"),
        Case("indentless sequence of compact mappings", "steps:\n- id: a\n  run: x\n- id: b\n  needs:\n  - a\nfinally: []\n"),
        Case("compact mappings in a sequence", "- id: a\n  run: x\n-   id: b\n    run: y\n- id: c\n"),
        Case("nested compact sequences", "- - a\n  - b\n- - - c\n    - d\n  - e\n"),
        Case("compact mapping holding an indentless sequence", "- a:\n  - x\n  - y\n  b: z\n"),
        Case("mapping under a dash on the next line", "-\n  a: 1\n  b: 2\n-\n  - c\n"),
        Case("empty values", "a:\nb: \nc:   # comment\nd:\ne:\n  # nothing below\nf: last\n"),
        Case("empty sequence items", "k:\n-\n- \n- x\n-  # comment\n"),
        Case("empty value before an indentless sequence sibling", "- a:\n- b\n"),
        Case("scalar value on the next line", "key:\n  value\nother:\n\n     # comment\n     'quoted'\n"),
        Case("quoted keys", "'a b': 1\n\"c: d\": 2\n'it''s': 3\n\"\\t\\u00e9\": 4\n\"\": 5\n"),
        Case("keys with indicators inside", "C#: 1\na/b: 2\nx.y: 3\n\"${vars.x}\": 4\na[0]: 5\n-x: 6\n?y: 7\nk:v: 8\nurl http://x: 9\n"),
        Case("keys that look typed", "null: a\n~: b\ntrue: c\n1: d\n0x1F: e\n"),
        Case("key of 1024 characters", String(repeating: "k", count: 1024) + ": v\n"),
        Case("key of 1020 characters then spaces up to 1024", String(repeating: "k", count: 1020) + "    : v\n"),
    ]

    static let plainScalars: [Case] = [
        Case("multi-line plain folded", "a: one\n  two\n  three\nb: x\n"),
        Case("plain with blank lines", "a: one\n\n  two\n\n\n  three\n   \n  four\n"),
        Case("plain continuation less indented than its first line", "key:\n    one\n  two\n two and a half\n"),
        Case("plain in a sequence over lines", "- one\n  two\n- three\n\n  four\n"),
        Case("plain continuation lines starting with indicators", "a: x\n  - y\n  [z]\n  &w *v !u\n  ? t\n  | s\n"),
        Case("# inside words", "a: C#\nb: issue#42 and x#y\nc: a # comment\nd: a\t# comment\ne: '#'\n"),
        Case("URLs", "a: https://example.com:443/x?y=1&z=2#frag\nb: mailto:x@y.z\nc: postgres://u:p@db:5432/d\n"),
        Case("colons inside plain scalars", "a: b:c\nd: a:b:c\ne: -x\nf: ?y\ng: :z\nh: 12:30\n"),
        Case("indicators inside plain scalars", "a: x - y\nb: a, b [c] {d}\nc: 50% @x `y` |z >w !a &b *c\nd: x \"in\" 'side'\n"),
        Case("plain with tabs inside and trailing blanks", "a: x\ty\nb: x  \t\nc: y   \n"),
        Case("plain scalars that look typed", "a: yes\nb: ~\nc: null\nd: 0x1F\ne: 1e3\nf: 2024-06-01\ng: .inf\nh: -.5\n"),
        Case("plain scalars with non-ASCII text", "clé: évacuer l'équipe à Noël\n日本: データ 🚨\nœ: naïveté — ça\n"),
        Case("interpolations", "run: echo ${vars.x} ${steps.a-b.output}\nurl: ${vars.api}/health\n"),
        Case("document markers inside values", "a: --- not a marker\nb: ...\nc: x\n  --- y\n"),
        Case("plain root scalar over lines", "just some\ntext\n\nhere\n"),
    ]

    static let quotedScalars: [Case] = [
        Case("single quotes with ''", "a: 'it''s'\nb: ''''\nc: ''\nd: 'a''''b'\n"),
        Case("single-quoted folding", "a: 'one\n  two\n\n  three\n   \n\n  four'\n"),
        Case("single-quoted backslashes stay", "a: 'C:\\path\\n\\t'\n"),
        Case("single-quoted blanks at both ends", "a: '  x  '\nb: ' '\n"),
        Case("single-quoted break at both ends", "a: '\n  x\n  '\n"),
        Case("double-quoted escapes", "a: \"\\\\ \\\" \\/ \\n \\t \\r \\x41 \\xe9 \\u00e9 \\u263A \\U0001F6A8 \\t\"\n"),
        Case("double-quoted escapes of invisible characters", "a: \"x\\u202Ey\\u2028z\\x85\\x07\\u001B\\x7F\\uFEFF\"\n"),
        Case("escaped line breaks", "a: \"one \\\n    two\\\n  three\"\nb: \"\\\n  x\\\n  \"\n"),
        Case("escaped line break then blank lines", "a: \"x\\\n\n   \n  y\"\n"),
        Case("double-quoted folding with blank lines", "a: \"one\n  two\n\n  three\n\n\n  four\"\n"),
        Case("blanks before a line break are trimmed", "a: \"x   \n  y\"\nb: 'x \t\n   y'\n"),
        Case("blanks after an escape before a break are kept", "a: \"x\\t \n  y\"\nb: \"x \\\n  y\"\n"),
        Case("double-quoted tab and tab-indented continuation", "a: \"x\ty\n \tz\"\n"),
        Case("double-quoted break at both ends", "a: \"\n  x\n  \"\n"),
        Case("quoted scalars in a sequence over lines", "- 'a\n  b'\n- \"c\n  d\"\n"),
        Case("quoted value on the next line", "a:\n  \"x\"\nb:\n    'y\n   z'\n"),
        Case("quoted scalars followed by comments", "a: 'x' # c\nb: \"y\"\t# c\n"),
        Case("quoted root scalar", "\"root\\nvalue\"\n"),
    ]

    static let blockScalars: [Case] = [
        Case("literal, clip", "a: |\n  one\n  two\nb: x\n"),
        Case("literal, strip", "a: |-\n  one\n\nb: x\n"),
        Case("literal, keep with trailing blank lines", "a: |+\n  one\n\n\nb: x\n"),
        Case("literal, keep at the end of the file", "a: |+\n  one\n\n \n"),
        Case("literal, keep before a comment", "a: |+\n  one\n\n# comment\n\nb: x\n"),
        Case("literal, clip with trailing blank lines", "a: |\n  one\n\n\nb: x\n"),
        Case("literal, strip with trailing blank lines", "a: |-\n  one\n  \n\n"),
        Case("folded", "a: >\n  one\n  two\n\n  three\n"),
        Case("folded, more-indented lines", "a: >\n  one\n    indented\n  two\n\n  three\n     deeper\n    less\n  back\n"),
        Case("folded, blank line then more-indented", "a: >\n  one\n\n    code\n\n  two\n"),
        Case("folded, keep and strip", "a: >+\n  one\n  two\n\n\nb: >-\n  three\n\n  four\n\n"),
        Case("folded, trailing spaces are text", "a: >\n  x  \n  y\n"),
        Case("folded, tab-started line is more-indented", "a: >2\n  one\n  \ttwo\n  three\n"),
        Case("indentation indicator", "a: |2\n    leading spaces\n  x\n"),
        Case("indentation indicator and chomping in both orders", "a: |2-\n   x\nb: >+1\n y\n\nc: |-3\n      z\n"),
        Case("indentation indicator in a sequence and a compact mapping", "- |1\n  x\n- a: >2\n      y\n"),
        Case("leading blank lines", "a: |\n\n  \n  x\nb: >\n\n\n  y\n  z\n"),
        Case("blank lines inside, with spaces up to the indentation", "a: |\n  x\n \n  \n  y\n"),
        Case("a whitespace line deeper than the indentation is text", "a: |\n  x\n     \n  y\n"),
        Case("text that looks like YAML", "a: |\n  # not a comment\n  'q' \"d\" \\n - x\n  key: value\n  ---\n"),
        Case("header with a comment", "a: | # comment\n  x\nb: >- # comment\n  y\n"),
        Case("block scalars in a sequence", "- |\n  x\n- >-\n  y\n  z\n-   |\n    w\n"),
        Case("block scalar deeper than needed", "a: |\n        deep\n        text\n"),
        Case("block scalar at the end of the file without a line break", "a: |\n  x"),
        Case("empty block scalars", "a: |\nb: >-\nc: |+\n\nd: x\n"),
        Case("block scalar with tabs in its text", "a: |\n  x\n  \ty\n  y\tz\t\n"),
        Case("root block scalar", "|\n  root\n  text\n"),
    ]

    static let flowCollections: [Case] = [
        Case("flow sequence and mapping", "a: [x, y, z]\nb: {c: 1, d: 2}\n"),
        Case("nested flow collections", "a: [1, [2, [3, {b: [4]}]], {c: {d: e}}, []]\n"),
        Case("multi-line flow collections", "a: [\n  x,\n  y\n ]\nb: {\n  c: 1,  # comment\n\n  # full-line comment\n  d: 2,\n  }\n"),
        Case("URLs in flow mappings", "a: {http: https://x.example:443/y?z=1#f, tcp: db:5432, u: a:b}\nb: [http://x:80/, mailto:a@b]\n"),
        Case("trailing commas", "a: [x, y,]\nb: {c: d,}\nc: [x, ]\n"),
        Case("empty flow collections", "a: []\nb: {}\nc: [[], {}]\n"),
        Case("empty values in flow mappings", "a: {b: , c: }\nb: {\"x\":}\nc: {'y': , z: 1}\n"),
        Case("JSON-style quoted keys", "{\"a\":1, \"b\": [\"c\",'d'], 'e':\"f\"}\n"),
        Case("multi-line scalars in flow collections", "a: [one\n  two, 'three\n\n  four', \"five\\\n  six\"]\n"),
        Case("flow key and value on separate lines", "a: {b:\n    c, d: e}\n"),
        Case("flow collection at the root", "[a, {b: c}]\n"),
        Case("flow mapping at the root over lines", "{\n  a: 1,\n  b: [2, 3]\n}\n"),
        Case("flow collections in a sequence", "- [a, b]\n- {c: d}\n- [\n  e]\n"),
        Case("flow collection on the next line", "a:\n  [x, y]\nb:\n  {c: d}  # comment\n"),
        Case("plain flow scalars with indicators inside", "a: [x-y, -z, a.b, 50%, é, x!!, x#y, \"q\", a?]\n"),
    ]

    static let documents: [Case] = [
        Case("comments everywhere", "# top\na: 1 # trailing\n# between\n  # indented\nb:\n  # before nested\n  c: 2\n    # deeper\n#last"),
        Case("document markers", "---\na: 1\n...\n"),
        Case("markers with comments and comments after the end", "--- # doc\na: 1\n... # end\n# after\n"),
        Case("end marker only", "a: 1\n...\n"),
        Case("start marker after comments", "# c\n\n---\n- a\n"),
        Case(
            "CRLF line ends",
            "a: 1\r\nb: |\r\n  x\r\n\r\n  y\r\nc: \"p\r\n  q\"\r\nd: 'r\r\n\r\n  s'\r\ne: >\r\n  t\r\n  u\r\nf: v\r\n  w\r\n"),
        Case("byte order mark", "\u{FEFF}a: 1\nb: 2\n"),
        Case("byte order mark then ---", "\u{FEFF}---\na: 1\n"),
        Case("byte order mark then a comment", "\u{FEFF}# c\r\na: 1\r\n"),
        Case("no final line break", "a: 1"),
        Case("blank lines with spaces", "a: 1\n   \n\nb:\n\n   \n  c: 2\n"),
        Case("comment lines between a key and its nested list", "k:\n# one\n  # two\n- a\n"),
        Case("tabs in comments", "a: 1 #\tcomment\n#\tfull line\n"),
    ]

    @Test("block collections", arguments: blockCollections)
    func block(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    @Test("plain scalars", arguments: plainScalars)
    func plain(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    @Test("quoted scalars", arguments: quotedScalars)
    func quoted(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    @Test("block scalars", arguments: blockScalars)
    func blockScalar(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    @Test("flow collections", arguments: flowCollections)
    func flow(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    @Test("documents", arguments: documents)
    func document(_ example: Case) { Differential.expectSame(example.text, label: "(\(example.name))") }

    /// A few trees spelled out, so that the corpus does not rest on libyaml alone.
    @Test("known trees")
    func knownTrees() throws {
        let cases: [(String, ComposedTree)] = [
            (
                "a: >\n  one\n  two\n\n  three\n    four\n  five\n",
                .mapping([.init(key: .scalar("a"), value: .scalar("one two\nthree\n  four\nfive\n"))])
            ),
            (
                "a: |+\n  x\n\n\nb: 'it''s\n\n  ok'\n",
                .mapping([
                    .init(key: .scalar("a"), value: .scalar("x\n\n\n")),
                    .init(key: .scalar("b"), value: .scalar("it's\nok")),
                ])
            ),
            ("- \"a\\\n  b \\t\n  c\"\n- x\n  y\n", .sequence([.scalar("ab \t c"), .scalar("x y")])),
            ("k:\n- - a\n  - b\n", .mapping([.init(key: .scalar("k"), value: .sequence([.sequence([.scalar("a"), .scalar("b")])]))])),
        ]
        for (text, expected) in cases {
            let tree = ComposedTree(try Syntax.parse(SourceFile(path: "t.yaml", text: text)))
            #expect(tree == expected, "\(Differential.listing(text))\(tree.firstDifference(from: expected) ?? "")")
            Differential.expectSame(text)
        }
    }

    @Test("the corpus has dozens of cases")
    func size() {
        let all = Self.blockCollections + Self.plainScalars + Self.quotedScalars + Self.blockScalars + Self.flowCollections + Self.documents
        #expect(all.count >= 100)
        #expect(Set(all.map(\.name)).count == all.count)
    }
}
