import FiletSyntax
import FiletTestSupport
import Testing

/// Mutated, truncated and spliced documents and random bytes: the parser never crashes,
/// returns a tree or located diagnostics inside the file, and whenever it accepts a
/// document that libyaml also accepts, both build the same tree. A document filet accepts
/// and libyaml rejects is a bug.
@Suite("Syntax: robustness")
struct SyntaxRobustnessTests {
    /// What one batch of inputs did, for the totals check.
    struct Tally {
        var inputs = 0
        var accepted = 0
        var compared = 0
    }

    static let batches = 4

    @Test("mutated documents", arguments: 0..<batches)
    func mutated(batch: Int) async {
        var rng = SplitMix64(seed: 0x4D55_5400 + UInt64(batch))
        var tally = Tally()
        for index in 0..<1_000 {
            // Long CPU-bound loops yield now and then, so that the other tests' tasks (on a 2-thread pool) are not starved.
            if index % 32 == 0 { await Task.yield() }
            let document = RunbookGenerator.document(seed: rng.next())
            check(DocumentMutator.mutate(document.bytes, rng: &rng), &tally)
        }
        #expect(tally.inputs == 1_000)
        #expect(tally.accepted > 20, "too few mutated documents survive to be compared: \(tally)")
    }

    @Test("truncated and spliced documents", arguments: 0..<batches)
    func truncatedAndSpliced(batch: Int) async {
        var rng = SplitMix64(seed: 0x5350_4C00 + UInt64(batch))
        var tally = Tally()
        for index in 0..<250 {
            if index % 8 == 0 { await Task.yield() }
            let first = RunbookGenerator.document(seed: rng.next()).bytes
            let second = RunbookGenerator.document(seed: rng.next()).bytes
            check(Array(first[..<rng.int(0...first.count)]), &tally)
            check(DocumentMutator.splice(first, second, rng: &rng), &tally)
            // Line-wise splices keep the lines whole, so that more of them parse.
            let lines = first.split(separator: 0x0A, omittingEmptySubsequences: false)
            let others = second.split(separator: 0x0A, omittingEmptySubsequences: false)
            let spliced = lines[..<rng.int(0...lines.count)] + others[rng.int(0...others.count)...]
            check(Array(spliced.joined(separator: [0x0A])), &tally)
        }
        #expect(tally.inputs == 750)
    }

    @Test("random bytes", arguments: 0..<batches)
    func randomBytes(batch: Int) async {
        var rng = SplitMix64(seed: 0x5241_4E00 + UInt64(batch))
        var tally = Tally()
        for index in 0..<500 {
            if index % 64 == 0 { await Task.yield() }
            check(DocumentMutator.randomBytes(maxLength: 120, rng: &rng), &tally)
        }
        #expect(tally.inputs == 500)
    }

    @Test("deep and long inputs stay within limits")
    func pathological() {
        var tally = Tally()
        for count in [63, 64, 65, 100, 5_000] {
            check(Array((String(repeating: "[", count: count) + String(repeating: "]", count: count)).utf8), &tally)
            check(Array((String(repeating: "{a: ", count: count) + String(repeating: "}", count: count)).utf8), &tally)
            check(Array((String(repeating: "- ", count: count) + "x").utf8), &tally)
            check(Array((0..<count).map { String(repeating: " ", count: $0) + "a:\n" }.joined().utf8), &tally)
            check(Array(String(repeating: "[", count: count).utf8), &tally)
            check(Array(("a: \"" + String(repeating: "\\", count: count)).utf8), &tally)
        }
        check(Array(("a: " + String(repeating: "x ", count: 100_000)).utf8), &tally)
        check(Array(("a: |\n" + String(repeating: "  x\n\n", count: 50_000)).utf8), &tally)
        check(Array(String(repeating: "\n", count: 100_000).utf8), &tally)
        check(Array(String(repeating: "# c\r\n", count: 10_000).utf8), &tally)
        check([], &tally)
        check([0xEF, 0xBB, 0xBF], &tally)
    }

    /// Locations used to be counted from the line start for every node: a long one-line
    /// flow list took quadratic time (a 120 kB line, 27 s in a debug build).
    @Test("a long line parses in linear time")
    func longLine() throws {
        let text = "a: [" + String(repeating: "x, ", count: 200_000) + "{y: \"é\"}]\n"
        let clock = ContinuousClock()
        let start = clock.now
        let root = try Syntax.parse(SourceFile(path: "long.yaml", text: text))
        #expect(clock.now - start < .seconds(60), "quadratic parsing of this 600 kB line would take minutes")
        let last = try #require(root.mapping?.first?.value.sequence?.last?.mapping?.first)
        #expect(last.keyLocation.description == "1:600006")
        #expect(last.value.location.description == "1:600009")
    }

    /// Parses `bytes`; checks the outcome as described on the suite.
    func check(_ bytes: [UInt8], _ tally: inout Tally, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        tally.inputs += 1
        let file = SourceFile(path: "m.yaml", bytes: bytes)
        let root: FiletSyntax.Node
        do {
            root = try Syntax.parse(file)
        } catch {
            #expect(!error.diagnostics.isEmpty, "an empty diagnostic list", sourceLocation: sourceLocation)
            for diagnostic in error.diagnostics {
                for location in [diagnostic.location] + diagnostic.notes.map(\.location) {
                    if let problem = Self.problem(with: location, in: bytes) {
                        Issue.record(
                            "\(diagnostic.code) at \(location) (offset \(location.offset)): \(problem)\n\(Differential.render(error, file))\(Differential.listing(String(decoding: bytes, as: UTF8.self)))",
                            sourceLocation: sourceLocation)
                    }
                }
                if diagnostic.message.isEmpty {
                    Issue.record("\(diagnostic.code) has no message", sourceLocation: sourceLocation)
                }
            }
            return
        }
        tally.accepted += 1
        // Every node's location must be in the file too.
        var stack = [root]
        while let node = stack.popLast() {
            if let problem = Self.problem(with: node.location, in: bytes) {
                Issue.record(
                    "a node at \(node.location): \(problem)\n\(Differential.listing(String(decoding: bytes, as: UTF8.self)))",
                    sourceLocation: sourceLocation)
                return
            }
            switch node.content {
            case .scalar: break
            case .sequence(let items): stack += items
            case .mapping(let entries): stack += entries.map(\.value)
            }
        }
        // Accepted bytes are UTF-8 without NUL (the encoding check makes sure of it).
        let text = String(decoding: bytes, as: UTF8.self)
        let ours = ComposedTree(root)
        if ours.containsYamsArtefact { return }
        tally.compared += 1
        switch YAMLReference.compose(text) {
        case .success(let theirs):
            if ours != theirs {
                Issue.record(
                    """
                    filet and YAML (libyaml) compose different trees for a mutated document
                    first difference (filet ≠ YAML): \(ours.firstDifference(from: theirs) ?? "?")
                    \(Differential.listing(text))
                    filet:
                    \(ours)
                    YAML:
                    \(theirs)
                    """, sourceLocation: sourceLocation)
            }
        case .failure(let error):
            Issue.record(
                """
                filet accepted a mutated document that YAML (libyaml) rejects: \(error)
                \(Differential.listing(text))
                filet:
                \(ours)
                """, sourceLocation: sourceLocation)
        }
    }

    /// Why `location` does not name a place in `bytes` consistently, or nil when it does:
    /// the offset is in the file, and the line and column are those of the offset.
    static func problem(with location: FiletSyntax.SourceLocation, in bytes: [UInt8]) -> String? {
        guard location.offset >= 0 && location.offset <= bytes.count else { return "offset outside the file (\(bytes.count) bytes)" }
        var line = 1
        var lineStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        for index in 0..<location.offset where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        var column = 1
        if lineStart < location.offset {
            for index in lineStart..<location.offset where bytes[index] & 0xC0 != 0x80 { column += 1 }
        }
        if line != location.line || column != location.column {
            return "the offset is at \(line):\(column)"
        }
        return nil
    }
}

extension ComposedTree {
    /// Whether a scalar holds text Yams cannot give back (see ``YAMLReference``).
    var containsYamsArtefact: Bool {
        switch self {
        case .scalar(let text): text.utf8.contains(0) || text.unicodeScalars.first == "\u{FEFF}"
        case .sequence(let items): items.contains { $0.containsYamsArtefact }
        case .mapping(let pairs): pairs.contains { $0.key.containsYamsArtefact || $0.value.containsYamsArtefact }
        }
    }
}
