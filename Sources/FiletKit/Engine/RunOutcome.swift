import Foundation

/// How a step ended.
public enum StepStatus: String, Sendable, CaseIterable {
    case succeeded, failed, skipped, cancelled
    /// In a drill, a step whose `drill:` is `simulate`: recorded, not done. Counts as done for the steps after it.
    case simulated
}

/// How a run ended. `${run.status}` in finally steps reads it.
public enum RunStatus: String, Sendable {
    /// Every step succeeded or was skipped by its `when`.
    case succeeded
    /// A step failed (with `on_failure: abort`, or `continue` and the run went on).
    case failed
    /// Ctrl-C (SIGINT) or SIGTERM.
    case interrupted
    /// The whole-run `--timeout` expired.
    case timedOut = "timed_out"
}

/// The exit codes of `filet run`, documented in the README.
public enum RunExitCode {
    public static let succeeded: Int32 = 0
    public static let failed: Int32 = 1
    /// Usage or validation error: nothing ran.
    public static let usage: Int32 = 2
    /// The journal could not be written durably: the run stopped and never reports success.
    public static let journalFailure: Int32 = 3
    /// The whole-run `--timeout` expired (as timeout(1) does).
    public static let timedOut: Int32 = 124
    public static let interrupted: Int32 = 130
    public static let terminated: Int32 = 143
}

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

    public var exitCode: Int32 {
        if journalFailure != nil { return RunExitCode.journalFailure }
        switch status {
        case .succeeded: return RunExitCode.succeeded
        case .failed: return RunExitCode.failed
        case .timedOut: return RunExitCode.timedOut
        case .interrupted: return signal == SIGTERM ? RunExitCode.terminated : RunExitCode.interrupted
        }
    }
}
