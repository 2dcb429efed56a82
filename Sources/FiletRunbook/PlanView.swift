public import FiletSupport

/// What `filet plan` shows: the plan with every interpolation that is already known
/// resolved (vars, env, runbook id) and every secret masked.
public struct PlanView: Sendable {
    public let plan: Plan
    public let path: String
    /// The values known before the run, `--var` overrides included: the run's own resolution.
    public let values: RunValues
    /// `--var` names, which read no environment variable.
    private let overridden: Set<String>
    private let masker: Masker

    /// A problem with a `--var` given on the command line.
    public struct VariableError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - overrides: `--var NAME=VALUE` values; each NAME must be a variable of the runbook.
    ///   - environment: the environment that `${env.NAME}` reads.
    public init(plan: Plan, path: String, overrides: [String: String], environment: [String: String]) throws(VariableError) {
        let runbook = plan.runbook
        if let unknown = runbook.unknownVariable(in: overrides) { throw VariableError(description: unknown) }
        var masker = Masker(runbook: runbook, environment: environment)
        let values = RunValues(runbook: runbook, overrides: overrides, environment: environment)
        self.plan = plan
        self.path = path
        self.values = values
        overridden = Set(overrides.keys)
        // Channel destinations (and each token of a webhook URL) and signing secrets are secrets by nature.
        func known(_ template: Template?) -> String? {
            template.map { $0.render(values.knownValue(of:)) }.flatMap { $0.contains("${") ? nil : $0 }
        }
        for channel in runbook.channels {
            for url in [channel.drillWebhook, channel.webhookTemplate].compactMap(known) {
                masker.add(url)
                masker.addParts(ofURL: url)
            }
            if let secret = known(channel.signingSecret) { masker.add(secret) }
        }
        self.masker = masker
    }

    /// The environment variables a run in `mode` needs (``Runbook/environmentNeeded(in:overridden:)``), each with
    /// whether it is set.
    public func environmentNeeded(in mode: RunMode) -> [(name: String, isSet: Bool)] {
        plan.runbook.environmentNeeded(in: mode, overridden: overridden).map { ($0, values.environment[$0] != nil) }
    }

    /// A template with what is known resolved and secrets masked.
    public func show(_ template: Template) -> String {
        masker(template.render(values.knownValue(of:)))
    }

    /// A `run` command or an `undo` as the shell receives it, secrets masked: its values are in ``values(of:)``.
    public func show(_ script: ShellScript) -> String {
        masker(script.script)
    }

    /// Each variable of a command with the reference it carries and that reference's value, masked (nil when only the
    /// run knows it).
    public func values(of script: ShellScript) -> [(variable: String, reference: Reference, value: String?)] {
        script.bindings.map { ($0.variable, $0.reference, values.knownValue(of: $0.reference).map { masker($0) }) }
    }

    /// A webhook shown as its scheme and host only (or the reference it comes from, when unresolved).
    public func showWebhook(_ template: Template) -> String {
        let text = template.render(values.knownValue(of:))
        return text.contains("${") ? template.description : Masker.redactedURL(text)
    }

    // MARK: Text

    /// The plan for a person: steps by level, what each does and its policy.
    public func text() -> String {
        let runbook = plan.runbook
        var out = "Plan: \(runbook.id) — \(runbook.title)" + (runbook.version.map { " (version \($0))" } ?? "") + "\n"
        let levels = plan.levels
        out += "\(path): \(count(plan.steps.count, "step")) in \(count(levels.count, "level"))"
        out += plan.finallySteps.isEmpty ? "" : ", \(count(plan.finallySteps.count, "finally step"))"
        out += "\n"
        for (number, level) in levels.enumerated() {
            out += "\nLevel \(number + 1)" + (level.count > 1 ? " (\(level.count) steps in parallel)" : "") + "\n"
            out += level.map(text(of:)).joined()
        }
        for (number, level) in plan.finallyLevels.enumerated() {
            out += "\nFinally, level \(number + 1)" + (level.count > 1 ? " (\(level.count) steps in parallel)" : "") + "\n"
            out += level.map(text(of:)).joined()
        }
        if !runbook.channels.isEmpty {
            out += "\nChannels\n"
            for channel in runbook.channels {
                out += "  \(channel.name): \(destinationText(channel))"
                out += channel.signingSecret == nil ? "" : ", signed"
                out += channel.fallback.map { ", falls back to \($0)" } ?? ""
                out += "\n"
            }
        }
        out += environmentText()
        return out
    }

    /// Which environment variables each mode needs, and which of them are not set: a run refuses to start without them.
    private func environmentText() -> String {
        let modes = RunMode.allCases.map { ($0, environmentNeeded(in: $0)) }
        guard modes.contains(where: { !$0.1.isEmpty }) else { return "" }
        var out = "\nEnvironment (what each mode reads with ${env.NAME}: it does not start while one is not set; empty is allowed)\n"
        for (mode, needed) in modes {
            let names = needed.map { $0.name + ($0.isSet ? "" : " (not set)") }
            out += "  \(mode == .run ? "filet run" : "filet drill"): " + (names.isEmpty ? "none" : names.joined(separator: ", ")) + "\n"
        }
        return out
    }

    private func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    private func text(of planned: PlannedStep) -> String {
        let step = planned.step
        var out = "  \(step.id)" + (step.title.map { " — \($0)" } ?? "") + "\n"
        out += "      \(actionText(step.action).replacing("\n", with: "\n        "))\n"
        var policy = [planned.needs.isEmpty ? "starts at once" : "after " + planned.needs.joined(separator: ", ")]
        policy.append(step.timeout.map { "timeout \($0)" } ?? "no timeout")
        if !step.action.kind.isRetried {
            // Said where a reader of the runbook could expect the default: it does not apply here.
            if plan.runbook.defaults.retries > 0 {
                policy.append("never retried (defaults.retries does not apply to \(step.action.keyword) steps)")
            }
        } else if step.retries > 0 {
            policy.append("\(step.retries) \(step.retries == 1 ? "retry" : "retries") (backoff \(step.backoff))")
        }
        policy.append("on failure \(step.onFailure.rawValue)")
        policy.append(step.idempotent ? "idempotent" : "not idempotent")
        policy.append("drill: \(step.drill.rawValue)")
        out += "      " + policy.joined(separator: " · ") + "\n"
        if let when = step.when { out += "      when \(when)\n" }
        if let undo = step.undo { out += "      undo: \((show(undo) + valuesText(undo)).replacing("\n", with: "\n        "))\n" }
        return out
    }

    private func actionText(_ action: Action) -> String {
        switch action {
        case .check(.http(let check)):
            var text = "check http \(check.method) \(show(check.url))"
            text += check.statuses.isEmpty ? ", expects any 2xx" : ", expects " + check.statuses.map(String.init).joined(separator: " or ")
            if let contains = check.contains { text += ", body contains \"\(show(contains))\"" }
            if let latency = check.maxLatency { text += ", within \(latency)" }
            if !check.headers.isEmpty { text += ", headers " + check.headers.map(\.name).joined(separator: ", ") }
            return text
        case .check(.tcp(let target)): return "check tcp \(show(target))"
        case .check(.dns(let name)): return "check dns \(show(name))"
        case .run(let command):
            var text = "run \(show(command.command))"
            if command.shell != "/bin/sh" { text += " (with \(command.shell))" }
            if let workdir = command.workdir { text += " in \(show(workdir))" }
            if !command.environment.isEmpty { text += ", env " + command.environment.map(\.name).joined(separator: ", ") }
            if command.expectedExit != 0 { text += ", expects exit \(command.expectedExit)" }
            return text + valuesText(command.command)
        case .notify(let notification):
            return "notify \(notification.channel) [\(notification.severity.rawValue)]: \"\(show(notification.text))\""
                + (notification.undelivered == .later ? " (if undelivered: later, from the outbox)" : "")
        case .confirm(let confirmation):
            return "confirm \"\(show(confirmation.prompt))\""
                + (confirmation.approvers.isEmpty ? "" : " (approvers: \(confirmation.approvers.joined(separator: ", ")))")
        case .wait(let duration):
            return "wait \(duration)"
        }
    }

    /// A line for each variable of a command: `with FILET_V1 = ${vars.x} = "its value"`.
    private func valuesText(_ script: ShellScript) -> String {
        values(of: script).map { variable, reference, value in
            "\nwith \(variable) = ${\(reference)}"
                + (value.map { " = " + JSONValue.string($0).rendered(pretty: false) } ?? ", known during the run")
        }.joined()
    }

    private func destinationText(_ channel: Channel) -> String {
        switch channel.destination {
        case .webhook(let template): "\(channel.format.rawValue) webhook \(showWebhook(template))"
        case .file(let template): "file \(show(template))"
        }
    }

    // MARK: JSON

    /// The plan for scripts. Stable keys; durations as runbook notation (`30s`), null when absent.
    public func json() -> JSONValue {
        let runbook = plan.runbook
        return .object([
            ("file", .string(path)),
            (
                "runbook",
                .object([
                    ("id", .string(runbook.id)),
                    ("title", .string(runbook.title)),
                    ("version", runbook.version.map { .integer($0) } ?? .null),
                    ("owner", .optional(runbook.owner)),
                ])
            ),
            (
                "vars",
                .object(
                    runbook.vars.map { variable in
                        (variable.name, .string(masker(values.knownValue(of: .variable(variable.name)) ?? variable.value.description)))
                    })
            ),
            ("levels", levelsJSON(plan.levels)),
            ("finally", levelsJSON(plan.finallyLevels)),
            ("channels", .array(runbook.channels.map(channelJSON))),
            ("environment", .object(RunMode.allCases.map { ($0.rawValue, environmentJSON(in: $0)) })),
        ])
    }

    /// `{"needs": [NAME…], "unset": [NAME…]}`: what a run in `mode` reads, and which of these are not set.
    private func environmentJSON(in mode: RunMode) -> JSONValue {
        let needed = environmentNeeded(in: mode)
        return .object([
            ("needs", .array(needed.map { .string($0.name) })),
            ("unset", .array(needed.filter { !$0.isSet }.map { .string($0.name) })),
        ])
    }

    private func levelsJSON(_ levels: [[PlannedStep]]) -> JSONValue {
        .array(
            levels.enumerated().map { number, steps in
                .object([("level", .integer(number + 1)), ("steps", .array(steps.map(stepJSON)))])
            })
    }

    private func stepJSON(_ planned: PlannedStep) -> JSONValue {
        let step = planned.step
        var members: [(String, JSONValue)] = [
            ("id", .string(step.id)),
            ("title", .optional(step.title)),
            ("needs", .array(planned.needs.map { .string($0) })),
            ("action", actionJSON(step.action)),
            ("when", .optional(step.when?.description)),
            ("timeout", .optional(step.timeout?.description)),
            ("retries", .integer(step.retryPolicy.retries)),
        ]
        // A confirm or wait step says that it is never retried, whatever defaults.retries says.
        if !step.action.kind.isRetried { members.append(("retried", .bool(false))) }
        members += [
            ("backoff", .string(step.backoff.description)),
            ("on_failure", .string(step.onFailure.rawValue)),
            ("idempotent", .bool(step.idempotent)),
            ("drill", .string(step.drill.rawValue)),
            ("undo", .optional(step.undo.map(show))), ("undo_values", step.undo.map(valuesJSON) ?? .null),
        ]
        return .object(members)
    }

    private func actionJSON(_ action: Action) -> JSONValue {
        switch action {
        case .check(.http(let check)):
            .object([
                ("type", "check"), ("kind", "http"), ("method", .string(check.method)), ("url", .string(show(check.url))),
                ("status", .array(check.statuses.map { .integer($0) })), ("contains", .optional(check.contains.map(show))),
                ("max_latency", .optional(check.maxLatency?.description)), ("headers", .array(check.headers.map { .string($0.name) })),
            ])
        case .check(.tcp(let target)): .object([("type", "check"), ("kind", "tcp"), ("target", .string(show(target)))])
        case .check(.dns(let name)): .object([("type", "check"), ("kind", "dns"), ("name", .string(show(name)))])
        case .run(let command):
            .object([
                ("type", "run"), ("command", .string(show(command.command))), ("shell", .string(command.shell)),
                ("env", .array(command.environment.map { .string($0.name) })), ("workdir", .optional(command.workdir.map(show))),
                ("expect_exit", .integer(Int(command.expectedExit))), ("values", valuesJSON(command.command)),
            ])
        case .notify(let notification):
            .object([
                ("type", "notify"), ("channel", .string(notification.channel)), ("text", .string(show(notification.text))),
                ("severity", .string(notification.severity.rawValue)), ("undelivered", .string(notification.undelivered.rawValue)),
            ])
        case .confirm(let confirmation):
            .object([
                ("type", "confirm"), ("prompt", .string(show(confirmation.prompt))),
                ("approvers", .array(confirmation.approvers.map { .string($0) })),
            ])
        case .wait(let duration):
            .object([("type", "wait"), ("duration", .string(duration.description))])
        }
    }

    /// `[{variable, reference, value}]`: what each variable of a command carries, `value` null when only the run knows it.
    private func valuesJSON(_ script: ShellScript) -> JSONValue {
        .array(
            values(of: script).map { variable, reference, value in
                .object([("variable", .string(variable)), ("reference", .string("${\(reference)}")), ("value", .optional(value))])
            })
    }

    private func channelJSON(_ channel: Channel) -> JSONValue {
        let destination: (String, JSONValue)
        switch channel.destination {
        case .webhook(let template): destination = ("webhook", .string(showWebhook(template)))
        case .file(let template): destination = ("file", .string(show(template)))
        }
        return .object([
            ("name", .string(channel.name)), ("format", .string(channel.format.rawValue)), destination,
            ("signed", .bool(channel.signingSecret != nil)), ("fallback", .optional(channel.fallback)),
            ("drill_webhook", .optional(channel.drillWebhook.map(showWebhook))),
        ])
    }
}

extension Channel {
    package var webhookTemplate: Template? {
        if case .webhook(let template) = destination { return template }
        return nil
    }
}
