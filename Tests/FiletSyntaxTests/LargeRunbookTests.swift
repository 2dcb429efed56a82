import FiletSyntax
import FiletTestSupport
import Testing

/// The benchmark runbook: about 2.4 MB for 5,000 steps, deterministic, composed like YAML,
/// and valid for the runbook schema (checked here on the tree, rule by rule).
@Suite("Syntax: large runbook")
struct SyntaxLargeRunbookTests {
    @Test("5,000 steps make about 2.4 MB of valid runbook")
    func large() throws {
        let text = RunbookGenerator.largeRunbook(steps: 5_000)
        #expect((2_200_000...2_600_000).contains(text.utf8.count), "\(text.utf8.count) bytes")
        #expect(text == RunbookGenerator.largeRunbook(steps: 5_000))
        let root = try Syntax.parse(SourceFile(path: "large.yaml", text: text))
        var schema = SchemaCheck()
        schema.check(root)
        #expect(schema.problems.isEmpty, "\(schema.problems.prefix(10))")
        #expect(schema.stepCount == 5_002)
    }

    @Test("smaller ones compose like YAML and stay valid", arguments: [1, 2, 9, 120])
    func small(steps: Int) throws {
        let text = RunbookGenerator.largeRunbook(steps: steps)
        Differential.expectSame(text, label: "(\(steps) steps)")
        var schema = SchemaCheck()
        schema.check(try Syntax.parse(SourceFile(path: "small.yaml", text: text)))
        #expect(schema.problems.isEmpty, "\(schema.problems)")
        #expect(schema.stepCount == steps + 2)
    }
}

/// The rules of the runbook schema that a generated runbook must follow.
struct SchemaCheck {
    private(set) var problems: [String] = []
    private(set) var stepCount = 0
    private var vars: Set<String> = []
    private var channels: Set<String> = []
    private var stepIDs: Set<String> = []

    static let topLevelKeys: Set = [
        "runbook", "title", "description", "owner", "version", "vars", "secrets", "channels", "defaults", "steps", "finally",
    ]
    static let stepKeys: Set = [
        "id", "title", "needs", "when", "timeout", "retries", "backoff", "on_failure", "idempotent", "drill", "undo",
    ]
    static let actions: Set = ["check", "run", "notify", "confirm", "wait"]
    static let formats: Set = ["generic", "slack", "mattermost", "teams", "rocketchat"]

    mutating func check(_ root: Node) {
        guard let top = fields(root, "the runbook") else { return }
        for key in top.keys where !Self.topLevelKeys.contains(key) { problems.append("unknown top-level key \(key)") }
        expect(
            text(top["runbook"]).map { matches($0, "abcdefghijklmnopqrstuvwxyz0123456789-") && !$0.hasPrefix("-") && !$0.hasSuffix("-") },
            "runbook id")
        expect(text(top["title"]).map { !$0.isEmpty }, "title")
        if let version = top["version"] { expect(text(version).map { Int($0) != nil }, "version") }
        for entry in top["vars"]?.mapping ?? [] {
            expect(isName(entry.key.text) && entry.value.scalar != nil, "var \(entry.key.text)")
            vars.insert(entry.key.text)
        }
        for item in top["secrets"]?.sequence ?? [] {
            expect(text(item).map { matches($0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") }, "secret")
        }
        for entry in top["channels"]?.mapping ?? [] {
            channels.insert(entry.key.text)
            guard let channel = fields(entry.value, "channel \(entry.key.text)") else { continue }
            if let webhook = text(channel["webhook"]) {
                expect(webhook.hasPrefix("https://") || webhook.hasPrefix("http://"), "webhook URL")
                expect(channel["file"] == nil && text(channel["format"]).map(Self.formats.contains) != false, "webhook channel")
            } else {
                expect(text(channel["file"]).map { !$0.isEmpty } == true && channel["format"] == nil, "file channel")
            }
        }
        if let defaults = fields(top["defaults"], "defaults") {
            expect(text(defaults["timeout"]).map(isDuration), "default timeout")
            expect(text(defaults["retries"]).map { Int($0) != nil }, "default retries")
            expect(text(defaults["backoff"]).map(isDuration), "default backoff")
        }
        expect(top["steps"]?.sequence.map { !$0.isEmpty }, "steps")
        for step in (top["steps"]?.sequence ?? []) + (top["finally"]?.sequence ?? []) { checkStep(step) }
    }

    private mutating func checkStep(_ node: Node) {
        stepCount += 1
        guard let step = fields(node, "a step") else { return }
        let id = text(step["id"]) ?? ""
        let what = "step \(id)"
        expect(!id.isEmpty && matches(id, "abcdefghijklmnopqrstuvwxyz0123456789_-"), "\(what): id")
        expect(!stepIDs.contains(id), "\(what): id used twice")
        for key in step.keys where !Self.stepKeys.contains(key) && !Self.actions.contains(key) {
            problems.append("\(what): unknown key \(key)")
        }
        let needs = (step["needs"]?.sequence ?? []).compactMap { text($0) }
        for need in needs { expect(stepIDs.contains(need), "\(what): needs \(need), which is not an earlier step") }
        for key in ["timeout", "backoff"] { if let value = step[key] { expect(text(value).map(isDuration), "\(what): \(key)") } }
        if let retries = step["retries"] { expect(text(retries).map { Int($0) != nil }, "\(what): retries") }
        for (key, allowed) in [
            ("on_failure", ["abort", "continue"]), ("idempotent", ["true", "false"]), ("drill", ["run", "skip", "simulate"]),
        ] {
            if let value = step[key] { expect(text(value).map(allowed.contains), "\(what): \(key)") }
        }
        let actions = step.keys.filter(Self.actions.contains)
        expect(actions.count == 1, "\(what): \(actions.count) actions")
        if let check = step["check"] {
            guard let fields = fields(check, "\(what): check") else { return }
            if let url = text(fields["http"]) {
                expect(url.hasPrefix("https://") || url.hasPrefix("http://"), "\(what): check URL")
                if let status = fields["status"] { expect(text(status).map { Int($0) != nil }, "\(what): status") }
                if let latency = fields["max_latency"] { expect(text(latency).map(isDuration), "\(what): max_latency") }
            } else if let target = text(fields["tcp"]) {
                expect(target.split(separator: ":").last.map { Int($0) != nil } == true, "\(what): tcp target")
            } else {
                expect(text(fields["dns"]).map { !$0.isEmpty && !$0.contains("${") }, "\(what): check kind")
            }
        }
        if let notify = fields(step["notify"], "\(what): notify") {
            expect(text(notify["channel"]).map(channels.contains), "\(what): channel")
            if let severity = notify["severity"] {
                expect(text(severity).map(["info", "warning", "critical"].contains), "\(what): severity")
            }
        }
        if let wait = step["wait"] { expect(text(wait).map(isDuration), "\(what): wait") }
        // Interpolations: declared variables, and outputs of steps this one needs.
        var stack = [node]
        while let current = stack.popLast() {
            switch current.content {
            case .scalar(let scalar):
                for reference in references(in: scalar.text) {
                    let parts = reference.split(separator: ".").map(String.init)
                    if parts.count == 2 && parts[0] == "vars" {
                        expect(vars.contains(parts[1]), "\(what): ${\(reference)} names no variable")
                    } else if parts.count == 3 && parts[0] == "steps" && parts[2] == "output" {
                        expect(needs.contains(parts[1]), "\(what): ${\(reference)} is not a step it needs")
                    } else {
                        problems.append("\(what): unknown reference ${\(reference)}")
                    }
                }
            case .sequence(let items): stack += items
            case .mapping(let entries): stack += entries.map(\.value)
            }
        }
        stepIDs.insert(id)
    }

    private mutating func fields(_ node: Node?, _ what: String) -> [String: Node]? {
        guard let node else { return nil }
        guard let entries = node.mapping else {
            problems.append("\(what) is not a mapping")
            return nil
        }
        return Dictionary(entries.map { ($0.key.text, $0.value) }) { first, _ in first }
    }

    private mutating func expect(_ condition: Bool?, _ what: String) {
        if condition != true { problems.append(what) }
    }

    private func text(_ node: Node?) -> String? { node?.scalar?.text }

    private func matches(_ text: String, _ allowed: String) -> Bool {
        !text.isEmpty && text.allSatisfy(allowed.contains)
    }

    private func isName(_ text: String) -> Bool {
        guard let first = text.first, !first.isNumber else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// 500ms, 30s, 5m, 1h30m: numbers each followed by a unit.
    private func isDuration(_ text: String) -> Bool {
        (try? #/([0-9]+(ms|s|m|h))+/#.wholeMatch(in: text)) != nil
    }

    private func references(in text: String) -> [String] {
        text.matches(of: #/\$\{([^}]*)\}/#).map { String($0.output.1) }
    }
}
