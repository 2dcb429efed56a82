import FiletSyntax

/// Builds a ``Runbook`` from a parsed document, reporting every schema problem with
/// its location. Cross-step checks (needs, cycles, step references) belong to ``Plan``.
struct RunbookDecoder {
    static let topLevelKeys = [
        "runbook", "title", "description", "owner", "version", "vars", "secrets", "channels", "defaults", "steps", "finally",
    ]
    static let actionKeys = ["check", "run", "notify", "confirm", "wait"]
    static let commandKeys = ["shell", "env", "workdir", "expect_exit"]
    static let stepKeys =
        ["id", "title", "needs", "when", "timeout", "retries", "backoff", "on_failure", "idempotent", "drill", "undo"]
        + actionKeys + commandKeys
    static let channelKeys = ["webhook", "file", "format", "signing_secret", "headers", "timeout", "retries", "fallback", "drill_webhook"]
    static let defaultsKeys = ["timeout", "retries", "backoff", "on_failure", "rollback"]
    static let maximumRetries = 100

    private(set) var reader = NodeReader()
    private var varNames: Set<String> = []
    private var channelNames: [String] = []
    private var currentStep: String?
    /// Every step id written, valid steps or not, with where it is written.
    private(set) var declaredSteps: [String: SourceLocation] = [:]
    /// Every `steps.ID` read by a step, checked against the plan's dependencies.
    private(set) var stepReferences: [(from: String, to: StepReference)] = []

    mutating func decode(_ root: Node) -> Runbook? {
        guard let top = reader.fields(root, allowed: Self.topLevelKeys, of: "the runbook") else { return nil }
        let id = reader.require("runbook", in: top, of: "the runbook", at: root.location).flatMap { runbookID($0) }
        let title = reader.require("title", in: top, of: "the runbook", at: root.location).flatMap { reader.text($0, "'title'") }
        let description = top["description"].flatMap { reader.text($0.value, "'description'") }
        let owner = top["owner"].flatMap { reader.text($0.value, "'owner'") }
        let version = top["version"].flatMap { reader.integer($0.value, "'version'", in: 0...Int(Int32.max)) }
        let vars = top["vars"].map { decodeVars($0.value) } ?? []
        varNames = Set(vars.map(\.name))
        let secrets = top["secrets"].map { decodeSecrets($0.value) } ?? []
        let channels = top["channels"].map { decodeChannels($0.value) } ?? []
        let defaults = top["defaults"].map { decodeDefaults($0.value) } ?? StepDefaults()
        let steps =
            reader.require("steps", in: top, of: "the runbook", at: root.location).map {
                decodeSteps($0, "'steps'", defaults: defaults, isFinally: false, allowsEmpty: false)
            } ?? []
        let finallySteps =
            top["finally"].map {
                decodeSteps($0.value, "'finally'", defaults: defaults, isFinally: true, allowsEmpty: true)
            } ?? []
        // Missing or invalid id and title are already reported; the rest is still planned so that every error shows.
        return Runbook(
            id: id ?? "", title: title ?? "", description: description, owner: owner, version: version, vars: vars,
            secrets: secrets, channels: channels, defaults: defaults, steps: steps, finallySteps: finallySteps)
    }

    // MARK: Top level

    private mutating func runbookID(_ node: Node) -> String? {
        guard let text = reader.text(node, "'runbook' (the runbook's id)") else { return nil }
        let valid = text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard valid, text.first != "-", text.last != "-" else {
            reader.report(
                "bad-id", "the runbook id '\(text)' may only hold lowercase letters, digits and '-'", at: node.location,
                hint: "for example: bascule-teletravail")
            return nil
        }
        return text
    }

    private mutating func decodeVars(_ node: Node) -> [Variable] {
        guard let entries = node.mapping else {
            reader.report(
                "expected-mapping", "'vars' must be a mapping of NAME: value lines, not \(node.kindDescription)", at: node.location)
            return []
        }
        var vars: [Variable] = []
        for entry in entries {
            guard Reference.isName(entry.key.text) else {
                reader.report(
                    "bad-name",
                    "the variable name '\(entry.key.text)' may only hold letters, digits and '_', and must not start with a digit",
                    at: entry.keyLocation)
                continue
            }
            let what = "variable '\(entry.key.text)'"
            // An empty variable is allowed: it is the empty text.
            let value: Template?
            if entry.value.scalar?.isNull == true {
                value = Template(literal: "")
            } else {
                value = reader.template(entry.value, what)
            }
            guard let value else { continue }
            if let bad = value.references.first(where: { if case .environment = $0 { false } else { true } }) {
                reader.report(
                    "bad-reference", "\(what) uses '${\(bad)}'; variables may only use ${env.NAME}", at: entry.value.location,
                    hint: "variables are set before the run starts, so they cannot read steps or the run")
                continue
            }
            vars.append(Variable(name: entry.key.text, value: value, location: entry.keyLocation))
        }
        return vars
    }

    private mutating func decodeSecrets(_ node: Node) -> [String] {
        guard let items = reader.list(node, "'secrets'") else { return [] }
        return items.compactMap { item in
            guard let name = reader.text(item, "a secret's name") else { return nil }
            guard Reference.isName(name) else {
                reader.report(
                    "bad-name", "'\(name)' is not an environment variable name", at: item.location,
                    hint: "secrets lists the NAMES of environment variables, such as FILET_CHAT_TOKEN, never their values")
                return nil
            }
            return name
        }
    }

    private mutating func decodeChannels(_ node: Node) -> [Channel] {
        guard let entries = node.mapping else {
            reader.report(
                "expected-mapping", "'channels' must be a mapping of channel names, not \(node.kindDescription)", at: node.location)
            return []
        }
        channelNames = entries.map(\.key.text)
        let channels = entries.compactMap { decodeChannel(name: $0.key.text, $0.value, at: $0.keyLocation) }
        // Report each circle of fallbacks once, at the first of its channels (a channel that is its own fallback is reported where it is read).
        for (position, channel) in channels.enumerated() {
            guard let fallback = channel.fallback, fallback != channel.name else { continue }
            var chain = [channel.name]
            var next: String? = fallback
            while let current = next, current != channel.name, !chain.contains(current),
                let target = channels.first(where: { $0.name == current })
            {
                chain.append(current)
                next = target.fallback
            }
            let isFirstOfCircle = chain.allSatisfy { name in channels.firstIndex { $0.name == name }! >= position }
            if next == channel.name && isFirstOfCircle {
                reader.report(
                    "fallback-cycle",
                    "the fallbacks of channel '\(channel.name)' go round in a circle: \((chain + [channel.name]).joined(separator: " → "))",
                    at: channel.location, hint: "end the chain with a channel that has no fallback")
            }
        }
        return channels
    }

    private mutating func decodeChannel(name: String, _ node: Node, at location: SourceLocation) -> Channel? {
        let what = "channel '\(name)'"
        guard StepID.isValid(name) else {
            reader.report("bad-name", "the channel name '\(name)' may only hold lowercase letters, digits, '_' and '-'", at: location)
            return nil
        }
        guard let fields = reader.fields(node, allowed: Self.channelKeys, of: what) else { return nil }
        let destination: Channel.Destination?
        switch (fields["webhook"], fields["file"]) {
        case (let webhook?, nil): destination = channelTemplate(webhook.value, "the webhook of \(what)").map { .webhook($0) }
        case (nil, let file?): destination = channelTemplate(file.value, "the file of \(what)").map { .file($0) }
        case (_?, let file?):
            reader.report("two-destinations", "\(what) has both 'webhook' and 'file'", at: file.keyLocation, hint: "keep one of them")
            return nil
        case (nil, nil):
            reader.report(
                "missing-key", "\(what) has no destination", at: node.location,
                hint: "add 'webhook: URL' (often ${env.NAME}) or 'file: PATH'")
            return nil
        }
        var channel = Channel(name: name, destination: .file(Template(literal: "")), location: location)
        if let format = fields["format"] {
            if case .file = destination {
                reader.report(
                    "format-on-file", "\(what) writes to a file, which always receives the generic JSON payload; 'format' does not apply",
                    at: format.keyLocation, hint: "remove 'format'")
            }
            channel.format = reader.choice(format.value, "the format of \(what)", as: Channel.Format.self) ?? .generic
        }
        channel.signingSecret = fields["signing_secret"].flatMap { channelTemplate($0.value, "the signing_secret of \(what)") }
        channel.headers = fields["headers"].map { headers($0.value, of: what, allowsRunReferences: false) } ?? []
        channel.timeout = fields["timeout"].flatMap { reader.duration($0.value, "the timeout of \(what)") }
        channel.retries = fields["retries"].flatMap { reader.integer($0.value, "the retries of \(what)", in: 0...Self.maximumRetries) }
        channel.drillWebhook = fields["drill_webhook"].flatMap { channelTemplate($0.value, "the drill_webhook of \(what)") }
        if let drillWebhook = fields["drill_webhook"], case .file = destination {
            reader.report(
                "drill-webhook-on-file", "\(what) writes to a file; 'drill_webhook' only replaces a webhook", at: drillWebhook.keyLocation,
                hint: "remove 'drill_webhook', or give the channel a 'webhook'")
        }
        if let fallback = fields["fallback"], let target = reader.text(fallback.value, "the fallback of \(what)") {
            if !channelNames.contains(target) {
                reader.report(
                    "unknown-channel", "the fallback of \(what) names an undeclared channel '\(target)'", at: fallback.value.location,
                    hint: Suggestion.hint(for: target, in: channelNames, listing: "declared channels"))
            } else if target == name {
                reader.report("fallback-cycle", "\(what) is its own fallback", at: fallback.value.location)
            }
            channel.fallback = target
        }
        guard let destination else { return nil }
        channel.destination = destination
        return channel
    }

    /// Channel settings are resolved before the run: they may use vars and env only.
    private mutating func channelTemplate(_ node: Node, _ what: String) -> Template? {
        guard let template = reader.template(node, what) else { return nil }
        return checkReferences(template, what, at: node, isFinally: false, allowsRunReferences: false) ? template : nil
    }

    private mutating func headers(_ node: Node, of what: String, allowsRunReferences: Bool) -> [Header] {
        guard let entries = node.mapping else {
            reader.report(
                "expected-mapping", "the headers of \(what) must be a mapping of Name: value lines, not \(node.kindDescription)",
                at: node.location)
            return []
        }
        return entries.compactMap { entry in
            let name = entry.key.text
            let isToken = !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }
            guard isToken else {
                reader.report("bad-header", "'\(name)' is not a valid HTTP header name", at: entry.keyLocation)
                return nil
            }
            if let text = entry.value.scalar?.text, text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                reader.report(
                    "bad-header", "the value of header '\(name)' holds a line break or a NUL byte, which HTTP does not allow",
                    at: entry.value.location, hint: "a header value is one line: remove the line break (a folded >- scalar joins lines)")
                return nil
            }
            guard let value = reader.template(entry.value, "header '\(name)'"),
                checkReferences(value, "header '\(name)'", at: entry.value, isFinally: false, allowsRunReferences: allowsRunReferences)
            else { return nil }
            return Header(name: name, value: value)
        }
    }

    private mutating func decodeDefaults(_ node: Node) -> StepDefaults {
        var defaults = StepDefaults()
        guard let fields = reader.fields(node, allowed: Self.defaultsKeys, of: "'defaults'") else { return defaults }
        defaults.timeout = fields["timeout"].flatMap { reader.duration($0.value, "the default timeout") }
        if let node = fields["retries"], let value = reader.integer(node.value, "the default retries", in: 0...Self.maximumRetries) {
            defaults.retries = value
        }
        if let node = fields["backoff"], let value = reader.duration(node.value, "the default backoff") { defaults.backoff = value }
        if let node = fields["on_failure"], let value = reader.choice(node.value, "the default on_failure", as: FailurePolicy.self) {
            defaults.onFailure = value
        }
        if let node = fields["rollback"], let value = reader.boolean(node.value, "'rollback'") { defaults.rollback = value }
        return defaults
    }

    // MARK: Steps

    private mutating func decodeSteps(_ node: Node, _ what: String, defaults: StepDefaults, isFinally: Bool, allowsEmpty: Bool) -> [Step] {
        guard let items = reader.list(node, what) else { return [] }
        if items.isEmpty && !allowsEmpty {
            reader.report("no-steps", "the runbook has no steps", at: node.location, hint: "add at least one step under 'steps:'")
        }
        return items.compactMap { decodeStep($0, defaults: defaults, isFinally: isFinally) }
    }

    private mutating func decodeStep(_ node: Node, defaults: StepDefaults, isFinally: Bool) -> Step? {
        guard let fields = reader.fields(node, allowed: Self.stepKeys, of: "a step") else { return nil }
        guard let idNode = reader.require("id", in: fields, of: "this step", at: node.location), let id = reader.text(idNode, "the step id")
        else {
            return nil
        }
        guard StepID.isValid(id) else {
            reader.report(
                "bad-id", "the step id '\(id)' may only hold lowercase letters, digits, '_' and '-'", at: idNode.location,
                hint: "for example: ouvrir-canal")
            declaredSteps[id] = declaredSteps[id] ?? idNode.location
            return nil
        }
        let what = "step '\(id)'"
        if let first = declaredSteps[id] {
            reader.report(
                "duplicate-step", "two steps have the id '\(id)'", at: idNode.location,
                hint: "step ids must be unique across steps and finally", notes: [.init("the first '\(id)' is here", at: first)])
        } else {
            declaredSteps[id] = idNode.location
        }
        currentStep = id
        defer { currentStep = nil }
        let actions = Self.actionKeys.compactMap { fields[$0] }.sorted { $0.keyLocation < $1.keyLocation }
        guard let actionEntry = actions.first else {
            reader.report(
                "no-action", "\(what) has no action", at: node.location,
                hint: "add exactly one of: " + Self.actionKeys.joined(separator: ", "))
            return nil
        }
        if actions.count > 1 {
            reader.report(
                "two-actions", "\(what) has two actions, '\(actions[0].key.text)' and '\(actions[1].key.text)'", at: actions[1].keyLocation,
                hint: "a step does exactly one thing: split it into two steps")
            return nil
        }
        if actionEntry.key.text != "run", let stray = Self.commandKeys.compactMap({ fields[$0] }).first {
            reader.report(
                "option-without-run", "'\(stray.key.text)' only applies to run steps, and \(what) is a \(actionEntry.key.text) step",
                at: stray.keyLocation, hint: "remove it")
        }
        let decodedAction = decodeAction(actionEntry, fields: fields, of: what, isFinally: isFinally)
        let explicitNeeds = fields["needs"].flatMap { entry -> [StepReference]? in
            guard let items = reader.list(entry.value, "the needs of \(what)") else { return nil }
            return items.compactMap { item in reader.text(item, "a step id in needs").map { StepReference(id: $0, location: item.location) }
            }
        }
        let when = fields["when"].flatMap { reader.condition($0.value, "the when of \(what)") }
        if let when, let whenNode = fields["when"]?.value { checkCondition(when, at: whenNode, of: what, isFinally: isFinally) }

        let explicitTimeout = fields["timeout"].flatMap { reader.duration($0.value, "the timeout of \(what)") }
        let explicitRetries = fields["retries"].flatMap { reader.integer($0.value, "the retries of \(what)", in: 0...Self.maximumRetries) }
        let backoff = fields["backoff"].flatMap { reader.duration($0.value, "the backoff of \(what)") } ?? defaults.backoff
        let onFailure =
            fields["on_failure"].flatMap { reader.choice($0.value, "the on_failure of \(what)", as: FailurePolicy.self) }
            ?? defaults.onFailure
        let explicitIdempotence = fields["idempotent"].flatMap { reader.boolean($0.value, "the idempotent of \(what)") }
        let explicitDrill = fields["drill"].flatMap { reader.choice($0.value, "the drill of \(what)", as: DrillBehaviour.self) }
        let undo = fields["undo"].flatMap { entry in shellScript(entry.value, "the undo of \(what)", isFinally: isFinally) }
        let title = fields["title"].flatMap { reader.text($0.value, "the title of \(what)") }
        guard let action = decodedAction else { return nil }
        let timeout = fields["timeout"] == nil ? Self.defaultTimeout(for: action, defaults: defaults) : explicitTimeout
        // A confirmation and a wait are never retried: `defaults.retries` does not apply to them, and their own
        // `retries` is an error unless it says so (0).
        if !action.kind.isRetried, let explicitRetries, explicitRetries > 0, let node = fields["retries"] {
            let (why, hint) =
                if case .confirm = action {
                    ("a confirmation is a person's answer", "remove it: a refused confirmation is a decision, asked once")
                } else {
                    ("a wait does not fail", "remove it: to wait longer, lengthen the wait")
                }
            reader.report(
                "retries-not-applicable", "'retries' does not apply to \(what): a \(action.keyword) step is never retried (\(why))",
                at: node.keyLocation, hint: hint)
        }
        let retries = action.kind.isRetried ? explicitRetries ?? defaults.retries : 0
        if case .wait(let duration) = action, let timeout, timeout < duration, let node = fields["timeout"] ?? fields["wait"] {
            reader.report(
                "wait-exceeds-timeout", "\(what) waits \(duration) but its timeout is \(timeout): it could never finish",
                at: node.value.location, hint: "raise the timeout or shorten the wait")
        }
        let idempotent = explicitIdempotence ?? Self.defaultIdempotence(for: action)
        let drill = explicitDrill ?? Self.defaultDrill(for: action)
        return Step(
            id: id, title: title, explicitNeeds: explicitNeeds, when: when, action: action, timeout: timeout, retries: retries,
            backoff: backoff, onFailure: onFailure, idempotent: idempotent, drill: drill, undo: undo, isFinally: isFinally,
            location: node.location)
    }

    /// Confirmations wait for a person and waits have their own length: neither takes the runbook's default timeout.
    static func defaultTimeout(for action: Action, defaults: StepDefaults) -> RunbookDuration? {
        switch action {
        case .confirm, .wait: nil
        case .run: defaults.timeout ?? .seconds(300)
        case .check, .notify: defaults.timeout ?? .seconds(30)
        }
    }

    static func defaultIdempotence(for action: Action) -> Bool {
        switch action {
        case .check, .wait, .notify: true
        case .run, .confirm: false
        }
    }

    static func defaultDrill(for action: Action) -> DrillBehaviour {
        switch action {
        case .check, .wait, .notify: .run
        case .run, .confirm: .simulate
        }
    }

    private mutating func decodeAction(_ entry: Node.Entry, fields: NodeReader.Fields, of what: String, isFinally: Bool) -> Action? {
        let node = entry.value
        switch entry.key.text {
        case "check": return decodeCheck(node, of: what, isFinally: isFinally).map { .check($0) }
        case "run": return decodeCommand(node, fields: fields, of: what, isFinally: isFinally).map { .run($0) }
        case "notify": return decodeNotification(node, of: what, isFinally: isFinally).map { .notify($0) }
        case "confirm": return decodeConfirmation(node, of: what, isFinally: isFinally).map { .confirm($0) }
        default: return reader.duration(node, "the wait of \(what)").map { .wait($0) }
        }
    }

    private mutating func decodeCheck(_ node: Node, of what: String, isFinally: Bool) -> Check? {
        guard node.mapping != nil else {
            reader.report(
                "expected-mapping", "the check of \(what) must be a mapping, not \(node.kindDescription)", at: node.location,
                hint: "write check: { http: URL }, check: { tcp: \"host:port\" } or check: { dns: name }")
            return nil
        }
        let kinds = ["http", "tcp", "dns"]
        let present = node.mapping!.filter { kinds.contains($0.key.text) }
        guard present.count == 1 else {
            if present.isEmpty {
                _ = reader.fields(
                    node, allowed: kinds + ["method", "status", "contains", "max_latency", "headers"], of: "the check of \(what)")
                reader.report(
                    "no-check-kind", "the check of \(what) says neither http, tcp nor dns", at: node.location,
                    hint: "write check: { http: URL }, check: { tcp: \"host:port\" } or check: { dns: name }")
            } else {
                reader.report(
                    "two-check-kinds", "the check of \(what) has both '\(present[0].key.text)' and '\(present[1].key.text)'",
                    at: present[1].keyLocation, hint: "one check per step: split it into two steps")
            }
            return nil
        }
        let kind = present[0].key.text
        let checkWhat = "the \(kind) check of \(what)"
        switch kind {
        case "http":
            guard
                let fields = reader.fields(
                    node, allowed: ["http", "method", "status", "contains", "max_latency", "headers"], of: checkWhat),
                let url = stepTemplate(present[0].value, "the URL of \(what)", isFinally: isFinally)
            else { return nil }
            if url.references.isEmpty, !(url.description.hasPrefix("http://") || url.description.hasPrefix("https://")) {
                reader.report("bad-url", "the URL of \(what) must start with http:// or https://", at: present[0].value.location)
            }
            var check = HTTPCheck(url: url)
            if let method = fields["method"], let text = reader.text(method.value, "the method of \(what)") {
                let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
                if methods.contains(text) {
                    check.method = text
                } else {
                    reader.report(
                        "bad-method", "'\(text)' is not an HTTP method filet checks with", at: method.value.location,
                        hint: methods.contains(text.uppercased())
                            ? "write it in capitals: \(text.uppercased())" : "methods: " + methods.joined(separator: ", "))
                }
            }
            if let status = fields["status"] {
                let items = status.value.sequence ?? [status.value]
                check.statuses = items.compactMap { reader.integer($0, "the expected status of \(what)", in: 100...599) }
            }
            check.contains = fields["contains"].flatMap { stepTemplate($0.value, "the 'contains' of \(what)", isFinally: isFinally) }
            check.maxLatency = fields["max_latency"].flatMap { reader.duration($0.value, "the max_latency of \(what)") }
            check.headers = fields["headers"].map { headers($0.value, of: what, allowsRunReferences: true) } ?? []
            return .http(check)
        case "tcp":
            guard reader.fields(node, allowed: ["tcp"], of: checkWhat) != nil,
                let target = stepTemplate(present[0].value, "the tcp target of \(what)", isFinally: isFinally)
            else { return nil }
            if target.references.isEmpty, !Self.isHostAndPort(target.description) {
                reader.report(
                    "bad-target", "the tcp target of \(what) must be host:port, not '\(target.description)'", at: present[0].value.location,
                    hint: "for example visio.ville.example:443, 192.0.2.10:22 or [2001:db8::1]:443")
            }
            return .tcp(target: target)
        default:
            guard reader.fields(node, allowed: ["dns"], of: checkWhat) != nil,
                let name = stepTemplate(present[0].value, "the dns name of \(what)", isFinally: isFinally)
            else { return nil }
            return .dns(name: name)
        }
    }

    static func isHostAndPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = text[..<colon]
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port), !host.isEmpty else { return false }
        if host.hasPrefix("[") { return host.hasSuffix("]") && host.count > 2 }
        return !host.contains(":") && !host.contains(" ")
    }

    private mutating func decodeCommand(_ node: Node, fields stepFields: NodeReader.Fields, of what: String, isFinally: Bool) -> Command? {
        var options = stepFields
        let commandNode: Node
        if node.mapping != nil {
            guard let fields = reader.fields(node, allowed: ["command"] + Self.commandKeys, of: "the run of \(what)"),
                let command = reader.require("command", in: fields, of: "the run of \(what)", at: node.location)
            else { return nil }
            if let stray = Self.commandKeys.compactMap({ stepFields[$0] }).first {
                reader.report(
                    "option-twice-placed", "'\(stray.key.text)' is set beside 'run:' although run is a mapping", at: stray.keyLocation,
                    hint: "put all the command's options inside the run mapping")
            }
            commandNode = command
            options = fields
        } else {
            commandNode = node
        }
        guard let script = shellScript(commandNode, "the command of \(what)", isFinally: isFinally) else { return nil }
        var command = Command(command: script)
        if let shell = options["shell"], let path = reader.text(shell.value, "the shell of \(what)") {
            if path.hasPrefix("/") {
                command.shell = path
            } else {
                reader.report("bad-shell", "the shell of \(what) must be an absolute path, such as /bin/bash", at: shell.value.location)
            }
        }
        if let env = options["env"] {
            if let entries = env.value.mapping {
                for entry in entries {
                    guard Reference.isName(entry.key.text) else {
                        reader.report("bad-name", "'\(entry.key.text)' is not an environment variable name", at: entry.keyLocation)
                        continue
                    }
                    guard !ShellScript.isReserved(entry.key.text) else {
                        reader.report(
                            "reserved-name", "'\(entry.key.text)' is reserved: filet passes the command's interpolated values in it",
                            at: entry.keyLocation, hint: "rename it: \(ShellScript.variablePrefix) followed by digits is filet's")
                        continue
                    }
                    let value =
                        entry.value.scalar?.isNull == true
                        ? Template(literal: "")
                        : stepTemplate(entry.value, "env '\(entry.key.text)' of \(what)", isFinally: isFinally)
                    if let value { command.environment.append((entry.key.text, value)) }
                }
            } else {
                reader.report(
                    "expected-mapping", "the env of \(what) must be a mapping of NAME: value lines, not \(env.value.kindDescription)",
                    at: env.value.location)
            }
        }
        command.workdir = options["workdir"].flatMap { stepTemplate($0.value, "the workdir of \(what)", isFinally: isFinally) }
        if let exit = options["expect_exit"], let code = reader.integer(exit.value, "the expect_exit of \(what)", in: 0...255) {
            command.expectedExit = Int32(code)
        }
        return command
    }

    private mutating func decodeNotification(_ node: Node, of what: String, isFinally: Bool) -> Notification? {
        guard let fields = reader.fields(node, allowed: ["channel", "text", "severity", "undelivered"], of: "the notify of \(what)") else {
            return nil
        }
        let channelNode = reader.require("channel", in: fields, of: "the notify of \(what)", at: node.location)
        let textNode = reader.require("text", in: fields, of: "the notify of \(what)", at: node.location)
        guard let channelNode, let channel = reader.text(channelNode, "the channel of \(what)"),
            let textNode, let text = stepTemplate(textNode, "the text of \(what)", isFinally: isFinally)
        else { return nil }
        guard channelNames.contains(channel) else {
            reader.report(
                "unknown-channel", "\(what) notifies the undeclared channel '\(channel)'", at: channelNode.location,
                hint: Suggestion.hint(for: channel, in: channelNames, listing: "declared channels"))
            return nil
        }
        var notification = Notification(channel: channel, text: text)
        if let severity = fields["severity"],
            let value = reader.choice(severity.value, "the severity of \(what)", as: Notification.Severity.self)
        {
            notification.severity = value
        }
        if let undelivered = fields["undelivered"],
            let value = reader.choice(undelivered.value, "the undelivered of \(what)", as: Notification.Undelivered.self)
        {
            notification.undelivered = value
        }
        return notification
    }

    private mutating func decodeConfirmation(_ node: Node, of what: String, isFinally: Bool) -> Confirmation? {
        guard node.mapping != nil else {
            return stepTemplate(node, "the confirm prompt of \(what)", isFinally: isFinally).map { Confirmation(prompt: $0) }
        }
        guard let fields = reader.fields(node, allowed: ["prompt", "approvers"], of: "the confirm of \(what)"),
            let promptNode = reader.require("prompt", in: fields, of: "the confirm of \(what)", at: node.location),
            let prompt = stepTemplate(promptNode, "the confirm prompt of \(what)", isFinally: isFinally)
        else { return nil }
        let approvers =
            fields["approvers"].flatMap { reader.list($0.value, "the approvers of \(what)") }?
            .compactMap { reader.text($0, "an approver of \(what)") } ?? []
        return Confirmation(prompt: prompt, approvers: approvers)
    }

    // MARK: References

    private mutating func stepTemplate(_ node: Node, _ what: String, isFinally: Bool) -> Template? {
        guard let template = reader.template(node, what) else { return nil }
        return checkReferences(template, what, at: node, isFinally: isFinally, allowsRunReferences: true) ? template : nil
    }

    /// A `run` command or an `undo`: a step template whose every reference stands where filet can quote it.
    private mutating func shellScript(_ node: Node, _ what: String, isFinally: Bool) -> ShellScript? {
        guard let template = stepTemplate(node, what, isFinally: isFinally) else { return nil }
        do throws(Template.Problem) {
            return try ShellScript(template)
        } catch {
            reader.report(
                "unsafe-interpolation", "\(what): \(error.message)", at: reader.location(in: node, characterOffset: error.offset),
                hint: error.hint)
            return nil
        }
    }

    /// Checks the references that can be checked without the plan: vars exist,
    /// `run.status` only in finally steps, run and step references only where they are known.
    private mutating func checkReferences(_ template: Template, _ what: String, at node: Node, isFinally: Bool, allowsRunReferences: Bool)
        -> Bool
    {
        var valid = true
        for case .reference(let reference, let offset) in template.parts {
            let location = reader.location(in: node, characterOffset: offset)
            switch reference {
            case .variable(let name):
                guard !varNames.contains(name) else { continue }
                reader.report(
                    "unknown-variable", "\(what) uses the undefined variable '${vars.\(name)}'", at: location,
                    hint: Suggestion.hint(for: name, in: varNames.sorted(), listing: "defined vars"))
                valid = false
            case .runID, .runMode, .runStatus, .stepStatus, .stepOutput:
                if let target = reference.stepID, let currentStep {
                    stepReferences.append((currentStep, StepReference(id: target, location: location)))
                }
                if !allowsRunReferences {
                    reader.report(
                        "bad-reference", "\(what) uses '${\(reference)}', but it is resolved before the run starts", at: location,
                        hint: "use ${vars.NAME}, ${env.NAME} or ${runbook.id} here")
                    valid = false
                } else if reference == .runStatus && !isFinally {
                    reader.report(
                        "run-status-outside-finally", "\(what) uses '${run.status}', which is known only in finally steps", at: location,
                        hint: "move this step under 'finally:'")
                    valid = false
                }
            case .environment, .runbookID:
                break
            }
        }
        return valid
    }

    private mutating func checkCondition(_ condition: Condition, at node: Node, of what: String, isFinally: Bool) {
        for reference in condition.references {
            if let target = reference.stepID, let currentStep {
                stepReferences.append((currentStep, StepReference(id: target, location: node.location)))
            }
            if case .variable(let name) = reference, !varNames.contains(name) {
                reader.report(
                    "unknown-variable", "the when of \(what) uses the undefined variable 'vars.\(name)'", at: node.location,
                    hint: Suggestion.hint(for: name, in: varNames.sorted(), listing: "defined vars"))
            }
        }
        let statuses = StepStatus.allCases.map(\.rawValue)
        for (left, right) in condition.comparisons {
            for (reference, literal) in [(left, right), (right, left)] {
                guard case .reference(let ref) = reference, case .literal(let text) = literal else { continue }
                let allowed: [String]
                switch ref {
                case .stepStatus: allowed = statuses
                case .runMode: allowed = ["run", "drill"]
                default: continue
                }
                if !allowed.contains(text) {
                    reader.report(
                        "unknown-value", "the when of \(what) compares \(reference) with '\(text)', which it can never be",
                        at: node.location,
                        hint: (Suggestion.closest(to: text, in: allowed).map { "did you mean '\($0)'? " } ?? "")
                            + "\(reference) is one of: " + allowed.joined(separator: ", "))
                }
            }
        }
    }
}
