import FiletRunbook

/// What `${...}` and `when` read during a run: the runbook's values, the environment,
/// and what the finished steps left behind.
struct RunContext: Sendable {
    let runbookID: String
    let runID: String
    let mode: RunMode
    let environment: [String: String]
    let vars: [String: String]
    var statuses: [String: StepStatus] = [:]
    var outputs: [String: String] = [:]
    /// Known once the main steps are over: finally steps read it.
    var runStatus: RunStatus?

    func value(of reference: Reference) -> String? {
        switch reference {
        case .variable(let name): vars[name]
        case .environment(let name): environment[name]
        case .runID: runID
        case .runMode: mode.rawValue
        case .runStatus: runStatus?.rawValue
        case .runbookID: runbookID
        case .stepStatus(let id): statuses[id]?.rawValue
        case .stepOutput(let id): outputs[id]
        }
    }

    /// The text with every reference replaced (validation guarantees each is known by now;
    /// an unknown one becomes the empty text).
    func render(_ template: Template) -> String {
        template.parts.map { part in
            switch part {
            case .literal(let text): text
            case .reference(let reference, _): value(of: reference) ?? ""
            }
        }.joined()
    }

    func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .comparison(let left, let equal, let right): (operand(left) == operand(right)) == equal
        case .not(let inner): !holds(inner)
        case .and(let left, let right): holds(left) && holds(right)
        case .or(let left, let right): holds(left) || holds(right)
        }
    }

    private func operand(_ operand: Condition.Operand) -> String {
        switch operand {
        case .literal(let text): text
        case .reference(let reference): value(of: reference) ?? ""
        }
    }
}
