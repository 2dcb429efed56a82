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
    /// What the last attempt observed (masked), as its `step.attempt` recorded it.
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
