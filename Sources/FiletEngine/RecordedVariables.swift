import FiletJournal
import FiletRunbook
import FiletSupport

/// The vars' values a run recorded in `run.started`, for what continues it later: `filet resume` and
/// `filet outbox deliver` resolve its channels and steps with them, so that a `--var` given to the run still holds.
///
/// A value the journal masked (a secret: a webhook URL, a value that holds a listed secret, or the text `***`) is not
/// kept. One that came from the environment is read from it again; one that came from `--var` (`overridden_vars`) must
/// be given again with `--var`, or it is ``missing``. A value that is not masked is the run's: given again, it must be
/// the same (``changed`` otherwise).
struct RecordedVariables {
    /// The values to run with: the recorded ones that are not masked, then the `--var` given now.
    var overrides: [String: String]
    /// The vars the run was given with `--var` whose values the journal masked, and that are not given again.
    var missing: [String]
    /// The vars given again with another value than the one the run recorded.
    var changed: [String]
    /// The vars whose values the journal masked that are given again with `--var` (`resupplied_vars`).
    var resupplied: [String]
    /// In a journal that does not say which vars came from `--var` (written before filet recorded `overridden_vars`):
    /// the vars whose values it masked, not given again. The runbook's values hold, which may not be the run's.
    var maskedOfUnknownOrigin: [String]

    init(_ runStarted: RunStarted, declaredIn runbook: Runbook, given: [String: String]) {
        let declared = Set(runbook.vars.map(\.name))
        var overrides: [String: String] = [:]
        var masked: Set<String> = []
        for (name, value) in runStarted.vars where declared.contains(name) && overrides[name] == nil && !masked.contains(name) {
            if value.contains(Masker.mask) { masked.insert(name) } else { overrides[name] = value }
        }
        let names = runbook.vars.map(\.name)
        changed = names.filter { name in given[name].map { overrides[name] != nil && overrides[name] != $0 } ?? false }
        overrides.merge(given) { _, now in now }
        let overridden = Set(runStarted.overriddenVars ?? [])
        missing = names.filter { masked.contains($0) && overridden.contains($0) && given[$0] == nil }
        resupplied = names.filter { masked.contains($0) && given[$0] != nil }
        maskedOfUnknownOrigin = runStarted.overriddenVars == nil ? names.filter { masked.contains($0) && given[$0] == nil } : []
        self.overrides = overrides
    }

    /// From the journal of the run at `path`; nil when it cannot be read (the runbook's own values then hold).
    init?(journal path: String, declaredIn runbook: Runbook, given: [String: String]) {
        guard let first = try? JournalReader.read(path: path).records.first, let runStarted = try? first.decode(RunStarted.self) else {
            return nil
        }
        self.init(runStarted, declaredIn: runbook, given: given)
    }
}

extension Message {
    static func varNotKept(_ names: [String], command: String) -> Message {
        let list = names.map { "${vars.\($0)}" }.joined(separator: ", ")
        let flags = names.map { "--var \($0)=VALUE" }.joined(separator: " ")
        let one = names.count == 1
        return Message(
            en: "the run set \(list) with --var, \(one ? "a secret" : "secrets") that its journal does not keep (masked): "
                + "give \(one ? "it" : "them") again: \(command) \(flags)",
            fr:
                "l’exécution a reçu \(list) par --var, \(one ? "un secret que son journal ne garde pas" : "des secrets que son journal ne garde pas") "
                + "(masqué\(one ? "" : "s")) : \(one ? "redonnez-le" : "redonnez-les") : \(command) \(flags)")
    }

    static func varChanged(_ names: [String]) -> Message {
        let list = names.map { "${vars.\($0)}" }.joined(separator: ", ")
        return Message(
            en: "--var gives \(list) another value than the run used (recorded in run.started): a resumed run keeps the run's values; "
                + "leave that --var out, or start a new run with the new value",
            fr: "--var donne à \(list) une autre valeur que celle de l’exécution (notée dans run.started) : une reprise garde les valeurs "
                + "de l’exécution ; retirez ce --var, ou lancez une nouvelle exécution avec la nouvelle valeur")
    }
}
