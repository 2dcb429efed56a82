/// How a step ended.
public enum StepStatus: String, Sendable, CaseIterable {
    case succeeded, failed, skipped, cancelled
    /// In a drill, a step whose `drill:` is `simulate`: recorded, not done. Counts as done for the steps after it.
    case simulated
}

/// How a run ended. `${run.status}` in finally steps reads it.
public enum RunStatus: String, Sendable, CaseIterable {
    /// Every step succeeded or was skipped by its `when`.
    case succeeded
    /// A step failed (with `on_failure: abort`, or `continue` and the run went on).
    case failed
    /// Ctrl-C (SIGINT) or SIGTERM.
    case interrupted
    /// The whole-run `--timeout` expired.
    case timedOut = "timed_out"
}
