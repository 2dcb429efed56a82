import ArgumentParser
import FiletEngine
import FiletRunbook
import FiletSupport
import FiletSyntax
import Glibc

/// Every exit code filet documents, and the one table that maps a result to it (as
/// swift-argument-parser's `ExitCode` does for usage errors).
enum ExitStatus: Int32 {
    case success = 0
    /// The run failed, the journal is not intact, entries remain in the outbox, the runbook has errors.
    case failure = 1
    /// A usage or input error: nothing ran.
    case usage = 2
    /// The journal (or the outbox) could not be written durably: the outcome cannot be trusted.
    case journal = 3
    /// The whole-run `--timeout` expired (as timeout(1) says).
    case timedOut = 124
    case interrupted = 130
    case terminated = 143

    init(_ outcome: RunOutcome) {
        if outcome.journalFailure != nil {
            self = .journal
            return
        }
        switch outcome.status {
        case .succeeded: self = .success
        case .failed: self = .failure
        case .timedOut: self = .timedOut
        case .interrupted: self = outcome.signal == SIGTERM ? .terminated : .interrupted
        }
    }

    init(_ refusal: SessionRefusal) {
        switch refusal {
        case .journal: self = .journal
        case .unreadable, .invalidRunbook, .refused, .preflight: self = .usage
        }
    }

    init(_ failure: OutboxSessionFailure) {
        switch failure {
        case .refused: self = .usage
        case .busy: self = .failure
        case .write: self = .journal
        }
    }

    /// What `run()` throws to end with this status.
    var exitCode: ExitCode { ExitCode(rawValue) }
}

extension SessionRefusal {
    /// Says on standard error why nothing happened (``Message/nothingRan``, ``Message/nothingResumed``), in the
    /// operator's language, and ends with the status.
    func exit(_ nothingHappened: Message) -> ExitCode {
        let language = Terminal.language
        let nothing = nothingHappened.text(language)
        switch self {
        case .unreadable(let error):
            Terminal.error("filet: \(error)")
        case .invalidRunbook(let file, let source, let diagnostics):
            Terminal.error(DiagnosticRenderer(file: source).render(diagnostics.diagnostics))
            Terminal.error("filet: \(file) is not valid: \(nothing)")
        case .refused(let message):
            Terminal.error("filet: \(message.text(language))\nfilet: \(nothing)")
        case .preflight(let problems) where problems.count == 1:
            Terminal.error("filet: \(problems[0].text(language))\nfilet: \(nothing)")
        case .preflight(let problems):
            let list = problems.map { "  - " + $0.text(language) }.joined(separator: "\n")
            Terminal.error("filet: " + Message.problems(problems.count).text(language) + "\n" + list + "\nfilet: \(nothing)")
        case .journal(let message):
            Terminal.error("filet: \(message)")
        }
        return ExitStatus(self).exitCode
    }
}

extension Message {
    /// After a refusal of `filet run` or `filet drill`: no step ran, nothing was sent, no journal was created.
    static let nothingRan = Message(en: "nothing ran", fr: "rien n’a été exécuté")
    /// After a refusal of `filet resume`.
    static let nothingResumed = Message(en: "nothing resumed", fr: "rien n’a été repris")

    static func problems(_ count: Int) -> Message {
        Message(
            en: "\(count) problems prevent it from starting (all checked before any step, nothing sent, no journal created):",
            fr: "\(count) problèmes l’empêchent de démarrer (tous vérifiés avant toute étape, rien envoyé, aucun journal créé) :")
    }
}
