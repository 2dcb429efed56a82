import FiletActions
public import FiletEngine
import FiletRunbook
public import FiletSupport
public import Foundation

/// What `filet run` prints when its output is not a terminal (cron, CI, a log file): a line per thing that
/// happened, appended, never redrawn, in the operator's language; each starts with the local time to the
/// second (`03:12:05`), made once a second rather than per line. Reasons (a command's output, a receiver's answer)
/// are made inert (``TerminalText/displayable(_:)``): a log is read on a terminal too.
public struct PlainProgress: Sendable {
    public let language: Language
    private let zone: LocalTime
    private let words: Words
    private var second = Int64.min
    private var time = ""

    /// The catalog's words for the lines of every step, in one language, looked up once rather than per line.
    private struct Words: Sendable {
        let started: String
        let attempt: String
        let colon: String
        let statuses: [StepStatus: String]
        let outcomes: [ActionResult.Outcome: String]
        let undone: String
        let undoFailed: String

        init(_ language: Language) {
            started = Message.plainStarted.text(language)
            attempt = Message.plainAttempt.text(language)
            colon = Message.colon.text(language)
            statuses = Dictionary(uniqueKeysWithValues: StepStatus.allCases.map { ($0, Message.word(for: $0).text(language)) })
            outcomes = Dictionary(
                uniqueKeysWithValues: [ActionResult.Outcome.succeeded, .failed, .timedOut, .cancelled].map {
                    ($0, Message.attemptOutcome($0).text(language))
                })
            undone = Message.liveUndone.text(language)
            undoFailed = Message.liveUndoFailed.text(language)
        }
    }

    public init(language: Language, zone: LocalTime = .host) {
        self.language = language
        self.zone = zone
        words = Words(language)
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
            body = "▶ " + id + (isFinally ? LiveView.finallySuffix : "") + " " + words.started
        case .attemptStarted(let id, let attempt, let total) where attempt > 1:
            body = "↻ " + id + " " + words.attempt + " \(attempt)/\(total)"
        case .attemptFinished(let id, let attempt, let outcome, let reason) where outcome != .succeeded:
            body =
                "  " + id + " " + words.attempt + " \(attempt) " + (words.outcomes[outcome] ?? outcome.rawValue) + words.colon
                + TerminalText.displayable(reason ?? "")
        case .stepFinished(let result, _):
            body =
                RunSummary.symbol(result.status) + " " + result.stepID + " " + (words.statuses[result.status] ?? result.status.rawValue)
                + (result.reason.map { words.colon + TerminalText.displayable($0) } ?? "") + " (" + RunSummary.elapsed(result.duration)
                + ")"
        case .undone(let id, let succeeded):
            body = "↶ " + id + " " + (succeeded ? words.undone : words.undoFailed)
        case .interrupted(let signal, let second):
            body = "! " + Message.liveInterrupted(signal: signal, second: second).text(language)
        case .timedOut:
            body = "! " + Message.liveTimedOut.text(language)
        case .attemptStarted, .attemptFinished, .waiting, .retryScheduled, .outputLine:
            return ""
        }
        return clock(now) + " " + body + "\n"
    }

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
            time = String(zone.timeOfDay(seconds * 1000).prefix(8))
        }
        return time
    }
}

extension Message {
    static let colon = Message(en: ": ", fr: "\u{A0}: ")

    static func plainStart(runID: String, journalPath: String) -> Message {
        Message(en: "Run \(runID) — journal: \(journalPath)", fr: "Exécution \(runID) — journal\u{A0}: \(journalPath)")
    }

    static let plainStarted = Message(en: "started", fr: "démarrée")
    static let plainAttempt = Message(en: "attempt", fr: "essai")

    static func attemptOutcome(_ outcome: ActionResult.Outcome) -> Message {
        switch outcome {
        case .succeeded: Message(en: "succeeded", fr: "réussi")
        case .failed: Message(en: "failed", fr: "échoué")
        case .timedOut: Message(en: "timed out", fr: "hors délai")
        case .cancelled: Message(en: "cancelled", fr: "annulé")
        }
    }
}
