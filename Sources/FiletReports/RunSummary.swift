public import FiletEngine
public import FiletRunbook
public import FiletSupport
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

    /// The final table: one row per step, main steps then finally steps, in `language`.
    public static func table(_ outcome: RunOutcome, language: Language) -> String {
        let rows = outcome.steps.map { ($0, "") } + outcome.finallySteps.map { ($0, LiveView.finallySuffix) }
        let titles = Message.summaryColumns.map { $0.text(language) }
        let width = max(TerminalText.width(titles[0]), rows.map { TerminalText.width($0.0.stepID + $0.1) }.max() ?? 0)
        let statusWidth = max(
            TerminalText.width(titles[1]), StepStatus.allCases.map { TerminalText.width(Message.word(for: $0).text(language)) }.max() ?? 0)
        let triesWidth = TerminalText.width(titles[2])
        var out = pad(titles[0], width) + "  " + pad(titles[1], statusWidth) + "  " + pad(titles[2], triesWidth) + "  "
        out += pad(titles[3], 6) + "  " + titles[4] + "\n"
        for (step, suffix) in rows {
            out += pad(step.stepID + suffix, width) + "  " + pad(Message.word(for: step.status).text(language), statusWidth) + "  "
            out +=
                pad(String(step.attempts), triesWidth) + "  " + pad(elapsed(step.duration), 6) + "  "
                + TerminalText.displayable(step.reason ?? "") + "\n"
        }
        return out
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - TerminalText.width(text)))
    }
}

extension Message {
    /// The columns of ``RunSummary/table(_:language:)``.
    static let summaryColumns = [
        Message(en: "Step", fr: "Étape"), Message(en: "Status", fr: "État"), Message(en: "Tries", fr: "Essais"),
        Message(en: "Time", fr: "Durée"), Message(en: "Note", fr: "Note"),
    ]
}
