import Crypto

/// The checks made before anything runs, beyond validation: the `--var` names exist and
/// every `${env.NAME}` the runbook will read is set.
public struct RunPreflight: Sendable {
    /// What prevents the run, in words; nil when it may start.
    public let problem: String?
    /// Listed secrets whose values are too short to mask safely.
    public let shortSecrets: [String]

    public init(plan: Plan, overrides: [String: String], environment: [String: String]) {
        let runbook = plan.runbook
        shortSecrets = RunSecrets.shortSecrets(of: runbook, environment: environment)
        if let unknown = runbook.unknownVariable(in: overrides) {
            problem = unknown
            return
        }
        let overridden = Set(overrides.keys)
        let varTemplates = runbook.vars.filter { !overridden.contains($0.name) }.map(\.value)
        var missing: [String] = []
        for template in varTemplates + runbook.templates {
            for case .environment(let name) in template.references where environment[name] == nil && !missing.contains(name) {
                missing.append(name)
            }
        }
        problem = missing.isEmpty ? nil
            : "the runbook reads " + missing.map { "${env.\($0)}" }.joined(separator: ", ")
                + (missing.count == 1 ? ", which is not set" : ", which are not set") + " in the environment: export "
                + (missing.count == 1 ? "it" : "them") + " before the run (an empty value is allowed)"
    }
}

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
    var templates: [Template] {
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

extension SourceFile {
    /// Hex SHA-256 of the file's bytes: recorded in the journal, and the first record's `prev`.
    public var sha256: String {
        SHA256.hash(data: bytes).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
