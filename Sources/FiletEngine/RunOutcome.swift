public import FiletRunbook
public import FiletSupport
import Foundation

/// The result of one step.
public struct StepResult: Sendable {
    public var stepID: String
    public var status: StepStatus
    /// Why it failed, was skipped or cancelled; nil when it succeeded.
    public var reason: String?
    public var attempts: Int
    /// The last line of its output (`${steps.ID.output}`), masked.
    public var output: String
    public var duration: Duration
    /// What the last attempt observed (masked), for reports and the drill's readiness summary.
    public var observed: [(String, JSONValue)] = []
    /// The action's kind: `run`, `check.http`, `notify`…
    public var action: String = ""
    /// Skipped on purpose (its `when` was false, or its `drill:` is `skip`), not because the run stopped.
    public var isDeliberateSkip = false

    /// The reason of a step skipped because its `when` was false.
    public static func whenFalseReason(_ condition: Condition) -> String { "when is false: \(condition)" }
    /// The reason of a step skipped by its `drill: skip`.
    public static let drillSkipReason = "drill: skipped"

    /// Whether a step, as its journal records it, was skipped on purpose: what readiness leaves out.
    public static func isDeliberateSkip(status: String, reason: String?) -> Bool {
        status == StepStatus.skipped.rawValue && (reason == drillSkipReason || reason?.hasPrefix("when is false: ") == true)
    }
}

/// The readiness rules of a drill, shared by `filet drill` and the reports rebuilt from its journal.
public enum Readiness: Sendable {
    /// Whether a counted step would have succeeded.
    public static func wouldSucceed(status: String) -> Bool {
        status == StepStatus.succeeded.rawValue || status == StepStatus.simulated.rawValue
    }

    /// Whole percent, rounded down; 100 with no step.
    public static func percentage(considered: Int, wouldSucceed: Int) -> Int {
        considered == 0 ? 100 : wouldSucceed * 100 / considered
    }

    /// A check's latency, from what its last attempt observed.
    public static func latencyMilliseconds(_ observed: [(String, JSONValue)]) -> Int? {
        if case .integer(let value)? = observed.first(where: { $0.0 == "latency_ms" })?.1 { value } else { nil }
    }

    /// A channel is reached when every notification tried on it was delivered; nil while none was tried.
    public static func reached(_ existing: Bool?, adding attempt: Bool?) -> Bool? {
        guard let attempt else { return existing }
        return (existing ?? true) && attempt
    }
}

/// The result of a whole run.
public struct RunOutcome: Sendable {
    public var runID: String
    public var status: RunStatus
    public var steps: [StepResult]
    public var finallySteps: [StepResult]
    public var duration: Duration
    /// The signal that interrupted the run, if any.
    public var signal: Int32?
    /// Set when the journal failed: the run stopped and its outcome cannot be trusted.
    public var journalFailure: String?
}
