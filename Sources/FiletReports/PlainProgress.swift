import FiletActions
public import FiletEngine
import FiletRunbook
public import FiletSupport
public import Foundation

/// What `filet run` prints when its output is not a terminal (cron, CI, a log file): a line per thing that
/// happened, appended, never redrawn, in the operator's language; each starts with the local time to the
/// second (`03:12:05`), made once a second rather than per line.
public struct PlainProgress: Sendable {
    public let language: Language
    private let zone: LocalTime
    private var second = Int64.min
    private var time = ""

    public init(language: Language, zone: LocalTime = .host) {
        self.language = language
        self.zone = zone
    }

    /// The first line: the run and its journal.
    public func start(runID: String, journalPath: String) -> String {
        Message.plainStart(runID: runID, journalPath: journalPath).text(language) + "\n"
    }

    /// The line for `event`, with its line feed; empty for what a log does not need (a first attempt, a
    /// countdown, a command's output).
    public mutating func line(_ event: RunEvent, now: Date = Date()) -> String {
        let body: String
        switch event {
        case .stepStarted(let id, let isFinally):
            body = "▶ " + Message.plainStarted(id + (isFinally ? LiveView.finallySuffix : "")).text(language)
        case .attemptStarted(let id, let attempt, let total) where attempt > 1:
            body = "↻ " + Message.plainAttempt(id, attempt, of: total).text(language)
        case .attemptFinished(let id, let attempt, let outcome, let reason) where outcome != .succeeded:
            body = "  " + Message.plainAttemptEnded(id, attempt, outcome).text(language) + colon + (reason ?? "")
        case .stepFinished(let result, _):
            body =
                RunSummary.symbol(result.status) + " " + result.stepID + " " + Message.word(for: result.status).text(language)
                + (result.reason.map { colon + $0 } ?? "") + " (" + RunSummary.elapsed(result.duration) + ")"
        case .undone(let id, let succeeded):
            body = "↶ " + id + " " + (succeeded ? Message.liveUndone : Message.liveUndoFailed).text(language)
        case .interrupted(let signal, let second):
            body = "! " + Message.liveInterrupted(signal: signal, second: second).text(language)
        case .timedOut:
            body = "! " + Message.liveTimedOut.text(language)
        case .attemptStarted, .attemptFinished, .waiting, .retryScheduled, .outputLine:
            return ""
        }
        return clock(now) + " " + body + "\n"
    }

    /// Before a reason: `: ` in English, `\u{A0}: ` in French.
    private var colon: String { Message.colon.text(language) }

    /// The end: a table of every step, then what the live view writes at its end (the verdict, the failures,
    /// the `filet resume` command when the run did not succeed, the journal and how to verify it).
    public func end(_ outcome: RunOutcome, view: LiveView) -> String {
        "\n" + RunSummary.table(outcome, language: language) + "\n"
            + view.endLines(outcome, width: Self.unlimitedWidth).map { $0 + "\n" }.joined()
    }

    /// A log has no width: lines are never cut.
    private static let unlimitedWidth = 1 << 20

    private mutating func clock(_ now: Date) -> String {
        let seconds = Int64((now.timeIntervalSince1970).rounded(.down))
        if seconds != second {
            second = seconds
            let full = zone.timeOfDay(seconds * 1000)
            time = String(full.prefix(8))
        }
        return time
    }
}

extension Message {
    static let colon = Message(en: ": ", fr: "\u{A0}: ")

    static func plainStart(runID: String, journalPath: String) -> Message {
        Message(en: "Run \(runID) — journal: \(journalPath)", fr: "Exécution \(runID) — journal\u{A0}: \(journalPath)")
    }

    static func plainStarted(_ step: String) -> Message { Message(en: "\(step) started", fr: "\(step) démarrée") }

    static func plainAttempt(_ step: String, _ attempt: Int, of total: Int) -> Message {
        Message(en: "\(step) attempt \(attempt)/\(total)", fr: "\(step) essai \(attempt)/\(total)")
    }

    static func plainAttemptEnded(_ step: String, _ attempt: Int, _ outcome: ActionResult.Outcome) -> Message {
        let (en, fr) =
            switch outcome {
            case .succeeded: ("succeeded", "réussi")
            case .failed: ("failed", "échoué")
            case .timedOut: ("timed out", "hors délai")
            case .cancelled: ("cancelled", "annulé")
            }
        return Message(en: "\(step) attempt \(attempt) \(en)", fr: "\(step) essai \(attempt) \(fr)")
    }
}
