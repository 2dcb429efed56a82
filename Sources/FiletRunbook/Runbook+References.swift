extension Runbook {
    /// A message for the first `--var` name that is not a variable of the runbook.
    public func unknownVariable(in overrides: [String: String]) -> String? {
        guard let name = overrides.keys.sorted().first(where: { variable(named: $0) == nil }) else { return nil }
        let message = "--var \(name): the runbook has no variable '\(name)'; "
        guard !vars.isEmpty else { return message + "the runbook declares no vars" }
        return message + Suggestion.hint(for: name, in: vars.map(\.name), listing: "its vars are")
    }

    /// The environment variables the runbook reads with `${env.NAME}`, anywhere.
    public var environmentNames: Set<String> {
        var names = Set<String>()
        for template in vars.map(\.value) + templates {
            for case .environment(let name) in template.references { names.insert(name) }
        }
        return names
    }

    /// Every template of the channels and steps (not the vars).
    package var templates: [Template] {
        var templates: [Template] = []
        for channel in channels {
            switch channel.destination {
            case .webhook(let template), .file(let template): templates.append(template)
            }
            templates += [channel.signingSecret, channel.drillWebhook].compactMap { $0 } + channel.headers.map(\.value)
        }
        for step in steps + finallySteps {
            templates += [step.undo].compactMap { $0 }
            switch step.action {
            case .check(.http(let check)): templates += [check.url, check.contains].compactMap { $0 } + check.headers.map(\.value)
            case .check(.tcp(let target)): templates.append(target)
            case .check(.dns(let name)): templates.append(name)
            case .run(let command): templates += [command.command, command.workdir].compactMap { $0 } + command.environment.map(\.value)
            case .notify(let notification): templates.append(notification.text)
            case .confirm(let confirmation): templates.append(confirmation.prompt)
            case .wait: break
            }
        }
        return templates
    }
}
