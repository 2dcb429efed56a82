/// A generated document: its text and the tree it must compose to.
public struct GeneratedDocument: Sendable {
    /// The seed that produced the document (pass it to ``RunbookGenerator/document(seed:)`` to get it again).
    public var seed: UInt64
    public var text: String
    public var tree: GeneratedNode

    public var bytes: [UInt8] { Array(text.utf8) }
}

/// Seeded, deterministic generator of random runbook-shaped filet YAML documents.
///
/// Each document is a tree (a top-level mapping with `runbook`, `title`, `vars`,
/// `channels`, `steps` and the like, or now and then a free-form nesting of lists and
/// mappings) whose scalars are drawn from a rich alphabet, written out with random
/// layout: plain, quoted and block scalars (folded over several lines, with escapes,
/// chomping and indentation indicators), flow collections (nested, spread over lines),
/// comments, blank lines, trailing spaces, indentation widths of 1 to 4 spaces,
/// indentless and compact lists, CRLF line ends, a byte order mark, `---` and `...`.
///
/// Every document stays inside filet YAML, and its ``GeneratedDocument/tree`` is what
/// any YAML parser composes from it. The same seed gives the same document everywhere.
public struct RunbookGenerator: Sendable {
    private var rng: SplitMix64

    public init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// The next document of this generator's sequence.
    public mutating func next() -> GeneratedDocument {
        Self.document(seed: rng.next())
    }

    /// The document named by `seed`.
    public static func document(seed: UInt64) -> GeneratedDocument {
        var rng = SplitMix64(seed: seed)
        var trees = TreeBuilder(rng: rng.split())
        let tree = rng.chance(0.9) ? trees.runbook() : trees.freeForm()
        return GeneratedDocument(seed: seed, text: render(tree, seed: rng.next()), tree: tree)
    }

    /// `tree` (a non-empty mapping or list) written as filet YAML with random layout and styles.
    public static func render(_ tree: GeneratedNode, seed: UInt64) -> String {
        var emitter = DocumentEmitter(rng: SplitMix64(seed: seed))
        return emitter.document(tree)
    }
}

/// Builds the trees of generated documents.
struct TreeBuilder {
    var rng: SplitMix64

    // MARK: Runbook shape

    mutating func runbook() -> GeneratedNode {
        var entries: [GeneratedNode.Entry] = []
        entries.append(.init("runbook", .scalar(identifier())))
        entries.append(.init("title", text(maxWords: 8)))
        if rng.chance(0.5) { entries.append(.init("description", paragraph())) }
        if rng.chance(0.5) {
            entries.append(.init("owner", .scalar(rng.pick(["team-sre", "oncall@example.com", "Élodie Martin", "@platform"]))))
        }
        if rng.chance(0.5) { entries.append(.init("version", .scalar(String(rng.int(1...40))))) }
        if rng.chance(0.8) {
            entries.append(.init("vars", mapping(count: rng.int(1...6), keys: { $0.variableName() }) { $0.value() }))
        }
        if rng.chance(0.5) {
            entries.append(
                .init(
                    "secrets",
                    .sequence(
                        (0..<rng.int(1...4)).map { _ in
                            .scalar(rng.pick(["PAGER_TOKEN", "DB_PASSWORD", "SLACK_WEBHOOK", "AWS_SECRET_ACCESS_KEY"]))
                        })))
        }
        if rng.chance(0.7) {
            entries.append(
                .init(
                    "channels",
                    mapping(count: rng.int(1...3), keys: { $0.rng.pick(["oncall", "audit", "status-page", "équipe", "war room"]) }) {
                        $0.channel()
                    }))
        }
        if rng.chance(0.4) {
            entries.append(
                .init(
                    "defaults",
                    .mapping([
                        .init("timeout", .scalar(rng.pick(Vocabulary.durations))),
                        .init("retries", .scalar(String(rng.int(0...5)))),
                        .init("backoff", .scalar(rng.pick(Vocabulary.durations))),
                    ])))
        }
        entries.append(.init("steps", .sequence((0..<rng.int(1...7)).map { _ in step() })))
        if rng.chance(0.3) { entries.append(.init("finally", .sequence((0..<rng.int(1...2)).map { _ in step() }))) }
        if rng.chance(0.3) { entries.append(.init(rng.pick(["x-extra", "meta", "notes", "matrix"]), freeNode(depth: rng.int(1...4)))) }
        if rng.chance(0.15) { entries.append(.init(awkwardKey(), value())) }
        return .mapping(uniqued(entries))
    }

    mutating func step() -> GeneratedNode {
        var entries: [GeneratedNode.Entry] = [.init("id", .scalar(identifier()))]
        if rng.chance(0.6) { entries.append(.init("title", text(maxWords: 6))) }
        if rng.chance(0.4) {
            entries.append(.init("needs", .sequence((0..<rng.int(1...3)).map { _ in .scalar(identifier()) })))
        }
        if rng.chance(0.2) { entries.append(.init("when", .scalar("${steps.\(identifier()).output} == \"ok\""))) }
        for (key, values) in [
            ("timeout", Vocabulary.durations), ("retries", ["0", "1", "3"]), ("backoff", Vocabulary.durations),
            ("on_failure", ["abort", "continue"]), ("idempotent", ["true", "false"]), ("drill", ["run", "skip", "simulate"]),
        ]
        where rng.chance(0.25) {
            entries.append(.init(key, .scalar(rng.pick(values))))
        }
        switch rng.below(6) {
        case 0:
            var check: [GeneratedNode.Entry] = [.init("http", .scalar(rng.pick(Vocabulary.urls)))]
            if rng.chance(0.6) { check.append(.init("status", .scalar(rng.pick(["200", "204", "301"])))) }
            if rng.chance(0.5) { check.append(.init("contains", value())) }
            if rng.chance(0.4) { check.append(.init("max_latency", .scalar(rng.pick(Vocabulary.durations)))) }
            entries.append(.init("check", .mapping(check)))
        case 1:
            entries.append(
                .init(
                    "check",
                    .mapping([
                        rng.chance(0.5)
                            ? .init("tcp", .scalar(rng.pick(["db.internal:5432", "cache-1:6379", "[::1]:443", "10.0.0.7:22"])))
                            : .init("dns", .scalar(rng.pick(["api.example.com", "bücher.example", "_sip._tcp.example.org"])))
                    ])))
        case 2:
            entries.append(.init("run", command()))
        case 3:
            var notify: [GeneratedNode.Entry] = [
                .init("channel", .scalar(rng.pick(["oncall", "audit", "équipe"]))), .init("text", paragraph()),
            ]
            if rng.chance(0.5) { notify.append(.init("severity", .scalar(rng.pick(["info", "warning", "critical"])))) }
            entries.append(.init("notify", .mapping(notify)))
        case 4:
            entries.append(.init("confirm", text(maxWords: 10)))
        default:
            entries.append(.init("wait", .scalar(rng.pick(Vocabulary.durations))))
        }
        if rng.chance(0.25) { entries.append(.init("undo", command())) }
        if rng.chance(0.15) { entries.append(.init("labels", freeNode(depth: rng.int(1...3)))) }
        return .mapping(uniqued(entries))
    }

    mutating func channel() -> GeneratedNode {
        let target: GeneratedNode.Entry =
            rng.chance(0.7)
            ? .init("webhook", .scalar(rng.pick(Vocabulary.urls)))
            : .init("file", .scalar(rng.pick(["/var/log/filet/audit.jsonl", "C:\\logs\\filet.log", "./journal #1.log", "~/filet.log"])))
        return .mapping([target, .init("format", .scalar(rng.pick(Vocabulary.channelFormats)))])
    }

    // MARK: Free-form nesting

    mutating func freeForm() -> GeneratedNode {
        rng.chance(0.7)
            ? mapping(count: rng.int(1...6), keys: { $0.key() }) { $0.freeNode(depth: $0.rng.int(0...5)) }
            : .sequence((0..<rng.int(1...6)).map { _ in freeNode(depth: rng.int(0...5)) })
    }

    mutating func freeNode(depth: Int) -> GeneratedNode {
        if depth <= 0 || rng.chance(0.25) { return value() }
        let count = rng.chance(0.05) ? 0 : rng.int(1...4)
        if rng.chance(0.5) {
            return .sequence((0..<count).map { _ in freeNode(depth: depth - 1) })
        }
        return mapping(count: count, keys: { $0.key() }) { $0.freeNode(depth: depth - 1) }
    }

    mutating func mapping(
        count: Int, keys: (inout TreeBuilder) -> String, values: (inout TreeBuilder) -> GeneratedNode
    ) -> GeneratedNode {
        var entries: [GeneratedNode.Entry] = []
        for _ in 0..<count { entries.append(.init(keys(&self), values(&self))) }
        return .mapping(uniqued(entries))
    }

    /// Drops entries whose key is already used (filet YAML rejects duplicate keys).
    private func uniqued(_ entries: [GeneratedNode.Entry]) -> [GeneratedNode.Entry] {
        var seen = Set<String>()
        return entries.filter { seen.insert($0.key).inserted }
    }

    // MARK: Scalars

    mutating func key() -> String {
        rng.chance(0.15) ? awkwardKey() : rng.chance(0.8) ? rng.pick(Vocabulary.keys) : identifier()
    }

    mutating func awkwardKey() -> String {
        rng.chance(0.7) ? rng.pick(Vocabulary.awkwardKeys) : word()
    }

    mutating func variableName() -> String {
        rng.pick(["region", "service", "api", "fallback", "zone", "db", "replica", "team", "ville", "url"])
            + (rng.chance(0.3) ? "_\(rng.int(1...9))" : "")
    }

    mutating func identifier() -> String {
        rng.pick(Vocabulary.identifiers) + (rng.chance(0.5) ? "-\(rng.int(1...99))" : "")
    }

    mutating func word() -> String {
        switch rng.below(20) {
        case 0..<8: rng.pick(Vocabulary.english)
        case 8..<11: rng.pick(Vocabulary.french)
        case 11: rng.pick(Vocabulary.otherScripts)
        case 12..<14: rng.pick(Vocabulary.numbers)
        case 14: rng.pick(Vocabulary.urls)
        case 15: rng.pick(Vocabulary.durations)
        default: rng.pick(Vocabulary.awkward)
        }
    }

    /// Words joined mostly by single spaces, now and then by other blanks or line breaks.
    mutating func words(_ count: Int, newlines: Bool) -> String {
        var out = ""
        for index in 0..<count {
            if index > 0 {
                switch rng.below(40) {
                case 0: out += "  "
                case 1: out += newlines ? "\n" : " "
                case 2: out += newlines ? "\n\n" : ", "
                case 3: out += rng.chance(0.3) ? "\t" : " - "
                case 4 where newlines: out += rng.pick(["\n ", " \n", "\n\n\n", "\n  indented"])
                default: out += " "
                }
            }
            out += word()
        }
        return out
    }

    /// Any kind of value: empty, a word, a number, a sentence, several lines, or odd text.
    mutating func value() -> GeneratedNode {
        switch rng.below(20) {
        case 0: return .scalar("")
        case 1..<6: return .scalar(word())
        case 6..<8: return .scalar(rng.pick(Vocabulary.numbers))
        case 8..<12: return text(maxWords: 8)
        case 12..<14: return paragraph()
        case 14: return command()
        case 15: return .scalar(rng.pick(Vocabulary.awkward) + (rng.chance(0.5) ? " " + word() : ""))
        default: return odd()
        }
    }

    mutating func text(maxWords: Int) -> GeneratedNode {
        .scalar(words(rng.int(1...maxWords), newlines: false))
    }

    /// Several lines of text, with empty lines, more-indented lines and trailing newlines.
    mutating func paragraph() -> GeneratedNode {
        var lines: [String] = []
        for _ in 0..<rng.int(1...5) {
            switch rng.below(10) {
            case 0: lines.append("")
            case 1: lines.append(String(repeating: " ", count: rng.int(1...4)) + words(rng.int(1...4), newlines: false))
            case 2: lines.append(words(rng.int(1...3), newlines: false) + String(repeating: " ", count: rng.int(1...2)))
            default: lines.append(words(rng.int(1...8), newlines: false))
            }
        }
        if lines.allSatisfy(\.isEmpty) { lines.append(word()) }
        let ending = rng.pick(["", "\n", "\n", "\n\n", "\n\n\n"])
        return .scalar(lines.joined(separator: "\n") + ending)
    }

    /// A shell command: one line, or a script of several.
    mutating func command() -> GeneratedNode {
        if rng.chance(0.6) { return .scalar(rng.pick(Vocabulary.commands)) }
        let lines = (0..<rng.int(2...4)).map { _ in
            (rng.chance(0.2) ? "  " : "") + rng.pick(Vocabulary.commands)
        }
        return .scalar(lines.joined(separator: "\n") + (rng.chance(0.7) ? "\n" : ""))
    }

    /// Text that needs care: leading or trailing blanks, indicators, escapes-only characters, tabs.
    mutating func odd() -> GeneratedNode {
        var text = ""
        for _ in 0..<rng.int(1...4) {
            switch rng.below(10) {
            case 0: text += rng.pick([" ", "  ", "\t", "\n", " \n ", "\n\n"])
            case 1: text += rng.pick(Vocabulary.escapeOnly)
            case 2, 3: text += rng.pick(Vocabulary.awkward)
            case 4: text += rng.pick([": ", " #", "- ", "? ", ":", "#", "'", "\"", "\\", "\\\\n"])
            default: text += word()
            }
        }
        return .scalar(text)
    }
}
