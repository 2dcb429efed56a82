import FiletSyntax
import FiletTestSupport
import Testing

/// Thousands of random runbook-shaped documents from fixed seeds: filet must accept each
/// one (the generator stays inside filet YAML) and compose the same tree as libyaml, which
/// must also be the tree the generator wrote.
@Suite("Syntax: generated documents")
struct SyntaxGeneratedDocumentTests {
    static let batches = 8
    static let documentsPerBatch = 640

    @Test("generated documents compose like YAML", arguments: 0..<batches)
    func differential(batch: Int) async {
        var generator = RunbookGenerator(seed: 0xF11E7_0000 + UInt64(batch))
        var failures = 0
        for index in 0..<Self.documentsPerBatch {
            // Long CPU-bound loops yield now and then, so that the other tests' tasks (on a 2-thread pool) are not starved.
            if index % 16 == 0 { await Task.yield() }
            let document = generator.next()
            if !Differential.expectSame(
                document.text, expected: document.tree, label: "(batch \(batch), document \(index), seed \(document.seed))")
            {
                failures += 1
                if failures >= 3 { return }
            }
        }
    }

    @Test("the generator is deterministic")
    func deterministic() {
        for seed: UInt64 in [0, 1, 42, 0xDEAD_BEEF] {
            let first = RunbookGenerator.document(seed: seed)
            let second = RunbookGenerator.document(seed: seed)
            #expect(first.text == second.text)
            #expect(first.tree == second.tree)
        }
        var a = RunbookGenerator(seed: 7)
        var b = RunbookGenerator(seed: 7)
        #expect((0..<20).map { _ in a.next().text } == (0..<20).map { _ in b.next().text })
    }

    @Test("the generator covers the constructs it promises")
    func coverage() {
        var generator = RunbookGenerator(seed: 0xC0FFEE)
        var text = ""
        var crlf = 0
        var bom = 0
        for _ in 0..<400 {
            let document = generator.next()
            if document.text.utf8.contains(0x0D) { crlf += 1 }
            if document.text.hasPrefix("\u{FEFF}") { bom += 1 }
            text += document.text.replacing("\r\n", with: "\n") + "\n"
        }
        #expect(crlf > 20)
        #expect(bom > 10)
        for construct in [
            "---\n", "\n...", ": |", ": >", "|-", "|+", ">-", "\n- - ", ": [", ": {", "\n  # ", " # ", "\"", "''", "\\u", "\\\n", "\n\n",
        ] {
            #expect(text.contains(construct), "no generated document contains \(GeneratedNode.quote(construct))")
        }
        #expect(text.contains(try! Regex(#"[|>][+-]?[1-9]"#)))
        #expect(text.contains(try! Regex(#"\n(\w+):\n- "#)), "no indentless sequence")
        #expect(text.contains(try! Regex(#"\[[^\]\n]*,\n"#)), "no multi-line flow collection")
    }
}
