public import FiletSupport

extension Runbook {
    /// A message for the first `--var` name that is not a variable of the runbook.
    public func unknownVariable(in overrides: [String: String]) -> String? {
        guard let name = overrides.keys.sorted().first(where: { variable(named: $0) == nil }) else { return nil }
        let message = "--var \(name): the runbook has no variable '\(name)'; "
        guard !vars.isEmpty else { return message + "the runbook declares no vars" }
        return message + Suggestion.hint(for: name, in: vars.map(\.name), listing: "its vars are")
    }

    /// ``unknownVariable(in:)`` for the operator, in both languages.
    public func unknownVariableMessage(in overrides: [String: String]) -> Message? {
        guard let english = unknownVariable(in: overrides),
            let name = overrides.keys.sorted().first(where: { variable(named: $0) == nil })
        else { return nil }
        let names = vars.map(\.name)
        let french =
            "--var \(name) : le runbook n’a pas de variable « \(name) » ; "
            + (names.isEmpty
                ? "il ne déclare aucune variable"
                : Suggestion.closest(to: name, in: names).map { "vouliez-vous dire « \($0) » ?" }
                    ?? "ses variables : " + names.joined(separator: ", "))
        return Message(en: english, fr: french)
    }

    /// The environment variables the runbook reads with `${env.NAME}`, anywhere.
    public var environmentNames: Set<String> {
        var names = Set<String>()
        for template in vars.map(\.value) + templates {
            for case .environment(let name) in template.references { names.insert(name) }
        }
        return names
    }

    /// The environment variables a run in `mode` reads with `${env.NAME}`, channels first, then steps, in the runbook's
    /// order: those of the steps it performs (``stepsPerformed(in:)``, with their `undo`), of the channels those steps notify
    /// (``channelsUsed(in:)``: a drill reads a channel's `drill_webhook` instead of its `webhook`), and of the vars
    /// these and the steps' `when` read, unless the var is `overridden` with `--var`. What only the other mode uses
    /// is not needed: a real run does not need the variables of a `drill_webhook`, a drill those of a simulated command.
    public func environmentNeeded(in mode: RunMode, overridden: Set<String> = []) -> [String] {
        let steps = stepsPerformed(in: mode)
        let templates = channelsUsed(in: mode).flatMap { $0.templates(in: mode) } + steps.flatMap(Self.templates(of:))
        var references = templates.flatMap(\.references)
        references += steps.flatMap { $0.when?.references ?? [] }.filter { if case .variable = $0 { true } else { false } }
        var names: [String] = []
        func need(_ name: String) { if !names.contains(name) { names.append(name) } }
        for reference in references {
            switch reference {
            case .environment(let name):
                need(name)
            case .variable(let name) where !overridden.contains(name):
                for case .environment(let name) in variable(named: name)?.value.references ?? [] { need(name) }
            default:
                break
            }
        }
        return names
    }

    /// The steps, main and finally, that a run in `mode` may perform: every one in a run; in a drill, those whose
    /// `drill` is `run` (a skipped or simulated step does nothing).
    public func stepsPerformed(in mode: RunMode) -> [Step] {
        let all = steps + finallySteps
        return mode == .drill ? all.filter { $0.drill == .run } : all
    }

    /// The channels that the steps a run in `mode` performs may notify, their fallbacks included, in the runbook's order.
    public func channelsUsed(in mode: RunMode) -> [Channel] {
        var used: Set<String> = []
        for case .notify(let notification) in stepsPerformed(in: mode).map(\.action) {
            var next: String? = notification.channel
            while let name = next, used.insert(name).inserted { next = channel(named: name)?.fallback }
        }
        return channels.filter { used.contains($0.name) }
    }

    /// Every template of the channels and steps (not the vars).
    package var templates: [Template] {
        channels.flatMap { [$0.destinationTemplate, $0.drillWebhook].compactMap { $0 } + $0.sharedTemplates }
            + (steps + finallySteps).flatMap(Self.templates(of:))
    }

    /// The templates of a step's action and its `undo`.
    static func templates(of step: Step) -> [Template] {
        var templates = [step.undo?.template].compactMap { $0 }
        switch step.action {
        case .check(.http(let check)): templates += [check.url, check.contains].compactMap { $0 } + check.headers.map(\.value)
        case .check(.tcp(let target)): templates.append(target)
        case .check(.dns(let name)): templates.append(name)
        case .run(let command):
            templates += [command.command.template, command.workdir].compactMap { $0 } + command.environment.map(\.value)
        case .notify(let notification): templates.append(notification.text)
        case .confirm(let confirmation): templates.append(confirmation.prompt)
        case .wait: break
        }
        return templates
    }
}

extension Channel {
    /// Its `webhook` or `file` template.
    public var destinationTemplate: Template {
        switch destination {
        case .webhook(let template), .file(let template): template
        }
    }

    /// The template a run in `mode` sends to: in a drill, the `drill_webhook` when the channel has one, else its
    /// `webhook` or `file`.
    public func destinationTemplate(in mode: RunMode) -> Template {
        mode == .drill ? drillWebhook ?? destinationTemplate : destinationTemplate
    }

    /// The templates a run in `mode` renders to deliver through it: its destination, signing secret and headers.
    public func templates(in mode: RunMode) -> [Template] {
        [destinationTemplate(in: mode)] + sharedTemplates
    }

    /// The templates both modes render: signing secret and headers.
    fileprivate var sharedTemplates: [Template] {
        [signingSecret].compactMap { $0 } + headers.map(\.value)
    }
}
