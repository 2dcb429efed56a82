public import FiletEngine
public import FiletRunbook
import FiletSupport
import Foundation

/// The words and tables `filet run` prints, kept apart from the terminal mechanics so they can be tested.
public enum RunSummary: Sendable {
    /// `0.2s`, `1m05s`: elapsed time for people.
    public static func elapsed(_ duration: Duration) -> String {
        let milliseconds = max(0, duration.milliseconds)
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = milliseconds / 1000
        let minutes = seconds / 60
        return minutes < 60
            ? "\(minutes)m\(String(format: "%02d", Int(seconds % 60)))s" : "\(minutes / 60)h\(String(format: "%02d", Int(minutes % 60)))m"
    }

    public static func symbol(_ status: StepStatus) -> String {
        switch status {
        case .succeeded: "✔"
        case .failed: "✘"
        case .skipped: "–"
        case .cancelled: "■"
        case .simulated: "≈"
        }
    }

    /// The final table: one row per step, main steps then finally steps.
    public static func table(_ outcome: RunOutcome) -> String {
        let rows = outcome.steps.map { ($0, "") } + outcome.finallySteps.map { ($0, " (finally)") }
        let width = max(4, rows.map { $0.0.stepID.count + $0.1.count }.max() ?? 0)
        var out = "\(pad("Step", width))  Status     Tries  Time    Note\n"
        for (step, suffix) in rows {
            out += "\(pad(step.stepID + suffix, width))  \(pad(step.status.rawValue, 9))  \(pad(String(step.attempts), 5))  "
            out += "\(pad(elapsed(step.duration), 6))  \(step.reason ?? "")\n"
        }
        return out
    }

    /// One line: how the run ended.
    public static func verdict(_ outcome: RunOutcome) -> String {
        let all = outcome.steps + outcome.finallySteps
        let counts = StepStatus.allCases.compactMap { status -> String? in
            let count = all.filter { $0.status == status }.count
            return count == 0 ? nil : "\(count) \(status.rawValue)"
        }.joined(separator: ", ")
        if let failure = outcome.journalFailure {
            return "Run \(outcome.runID) STOPPED: the journal could not be written (\(failure)); its outcome cannot be trusted."
        }
        return "Run \(outcome.runID) \(outcome.status.rawValue.replacing("_", with: " ")) in \(elapsed(outcome.duration)) (\(counts))."
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
