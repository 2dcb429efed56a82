/// What `${...}` reads before a run starts: the runbook's vars (a `--var` override, else the var's template with
/// `${env.NAME}` read from the environment), the environment and the runbook's id.
///
/// The one resolution of variables: `filet plan` shows with it, and a run, a drill and a resume render their steps,
/// their channels (webhooks, drill webhooks, files, headers, signing secrets) and their masker's secrets with it,
/// so a `--var` reaches every place a variable is used, identically.
public struct RunValues: Sendable {
    public let runbookID: String
    /// The environment `${env.NAME}` reads.
    public let environment: [String: String]
    /// Each var's value for a run. A var that reads an unset environment variable (and is not overridden) reads it
    /// as the empty text, as a run does: the preflight refuses a run whose mode needs it.
    public let vars: [String: String]
    /// The vars whose value is not known: not overridden, and reading an unset environment variable.
    public let unknownVars: Set<String>

    /// - Parameter overrides: `--var NAME=VALUE` values; names the runbook does not declare are ignored here
    ///   (``Runbook/unknownVariable(in:)`` reports them).
    public init(runbook: Runbook, overrides: [String: String], environment: [String: String]) {
        var vars: [String: String] = [:]
        var unknown: Set<String> = []
        for variable in runbook.vars {
            if let override = overrides[variable.name] {
                vars[variable.name] = override
                continue
            }
            if variable.value.references.contains(where: { if case .environment(let name) = $0 { environment[name] == nil } else { false } }
            ) {
                unknown.insert(variable.name)
            }
            vars[variable.name] = variable.value.render { if case .environment(let name) = $0 { environment[name] ?? "" } else { nil } }
        }
        runbookID = runbook.id
        self.environment = environment
        self.vars = vars
        unknownVars = unknown
    }

    /// The value of a reference known before the run, as a run reads it (an unset environment variable is empty);
    /// nil for what only the run knows (its id, mode, status, the steps).
    public func value(of reference: Reference) -> String? {
        switch reference {
        case .variable(let name): vars[name]
        case .environment(let name): environment[name] ?? ""
        case .runbookID: runbookID
        default: nil
        }
    }

    /// The value of a reference when it is known for sure before the run: nil also for an unset environment
    /// variable and a var that reads one (what `filet plan` leaves written as `${...}`).
    public func knownValue(of reference: Reference) -> String? {
        switch reference {
        case .variable(let name): unknownVars.contains(name) ? nil : vars[name]
        case .environment(let name): environment[name]
        default: value(of: reference)
        }
    }

    /// A template resolved before the run, as the run uses it: literal text as is, each reference replaced by its
    /// ``value(of:)``, the empty text for what only the run knows.
    public func render(_ template: Template) -> String {
        template.parts.map { part in
            switch part {
            case .literal(let text): text
            case .reference(let reference, _): value(of: reference) ?? ""
            }
        }.joined()
    }
}
