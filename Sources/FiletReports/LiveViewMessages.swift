public import FiletRunbook
public import FiletSupport

// The live view's messages (LiveView.swift), in both languages. French puts a no-break space before a
// colon, so that a wrapped line never starts with one.

extension Message {
    /// A step's state in a word, as the live view shows it.
    public static func word(for status: StepStatus) -> Message {
        switch status {
        case .succeeded: Message(en: "succeeded", fr: "réussi")
        case .failed: Message(en: "failed", fr: "échoué")
        case .skipped: Message(en: "skipped", fr: "ignoré")
        case .cancelled: Message(en: "cancelled", fr: "annulé")
        case .simulated: Message(en: "simulated", fr: "simulé")
        }
    }

    /// How a signal is named for a person: Ctrl-C, not "signal 2".
    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case 2: "Ctrl-C"
        case 15: "SIGTERM"
        default: "signal \(signal)"
        }
    }

    static let liveRealTag = Message(en: "REAL RUN", fr: "RÉEL")
    static let liveRealBanner = Message(
        en: "every step is carried out for real: commands, notifications, confirmations",
        fr: "chaque étape est exécutée pour de vrai\u{A0}: commandes, notifications, confirmations")

    static func liveDrillBanner(prefix: String) -> Message {
        Message(
            en: "drill: checks are real, commands and confirmations simulated (unless drill: run), every message marked \(prefix)",
            fr:
                "exercice\u{A0}: vérifications réelles, commandes et confirmations simulées (sauf drill: run), chaque message marqué \(prefix)"
        )
    }

    static func liveRunbook(title: String, id: String) -> Message {
        Message(en: "Runbook: \(title) (\(id))", fr: "Runbook\u{A0}: \(title) (\(id))")
    }

    static func liveWho(operatorName: String, runID: String, started: String) -> Message {
        Message(
            en: "Operator: \(operatorName) · run \(runID) · started \(started)",
            fr: "Opérateur\u{A0}: \(operatorName) · exécution \(runID) · début \(started)")
    }

    static func liveJournal(_ path: String) -> Message {
        Message(en: "Journal: \(path)", fr: "Journal\u{A0}: \(path)")
    }

    static func liveDone(_ count: Int, of total: Int) -> Message {
        Message(en: "\(count)/\(total) done", fr: "\(count)/\(total) terminées")
    }

    static func liveFailed(_ count: Int) -> Message { Message(en: "\(count) failed", fr: "\(count) en échec") }
    static func liveRunning(_ count: Int) -> Message { Message(en: "\(count) running", fr: "\(count) en cours") }

    static func liveMoreRunning(_ count: Int) -> Message {
        Message(en: "… and \(count) more running", fr: "… et \(count) autres en cours")
    }

    static func liveWorking(elapsed: String) -> Message { Message(en: "running \(elapsed)", fr: "en cours \(elapsed)") }

    static func liveAttempt(_ attempt: Int, of attempts: Int, elapsed: String) -> Message {
        Message(en: "running \(elapsed), attempt \(attempt)/\(attempts)", fr: "en cours \(elapsed), essai \(attempt)/\(attempts)")
    }

    static func liveWaiting(left: String) -> Message { Message(en: "waiting, \(left) left", fr: "attente, encore \(left)") }

    static func liveRetry(_ attempt: Int, of attempts: Int, in delay: String) -> Message {
        Message(en: "attempt \(attempt)/\(attempts) in \(delay)", fr: "essai \(attempt)/\(attempts) dans \(delay)")
    }

    static func liveAnswering(since: String) -> Message {
        Message(en: "waiting for an answer for \(since)", fr: "attend une réponse depuis \(since)")
    }

    static func liveAttempts(_ count: Int) -> Message { Message(en: "\(count) attempts", fr: "\(count) essais") }
    static let liveUndone = Message(en: "undone", fr: "défait (undo)")
    static let liveUndoFailed = Message(en: "undo failed", fr: "undo échoué")
    static let liveNoAnswer = Message(en: "→ no answer", fr: "→ pas de réponse")

    static func liveSkippedGroup(count: Int, reason: String) -> Message {
        Message(en: "\(count) steps skipped: \(reason)", fr: "\(count) étapes ignorées\u{A0}: \(reason)")
    }

    static func liveInterrupted(signal: Int32, second: Bool) -> Message {
        let name = signalName(signal)
        if second {
            return Message(
                en: "\(name) again: the finally steps are stopped too, then the journal is closed.",
                fr: "\(name) à nouveau\u{A0}: les étapes finally sont arrêtées aussi, puis le journal est fermé.")
        }
        let again = signal == 2 ? "Ctrl-C" : "\(name) or Ctrl-C"
        let encore = signal == 2 ? "Ctrl-C" : "\(name) ou Ctrl-C"
        return Message(
            en: "\(name): stopping the running steps, then the finally steps run. A second \(again) skips the finally steps.",
            fr:
                "\(name)\u{A0}: arrêt des étapes en cours, puis les étapes finally s’exécutent. Un second \(encore) saute les étapes finally."
        )
    }

    static func liveStopping(signal: Int32) -> Message {
        let name = signalName(signal)
        return Message(
            en: "Stopping (\(name)): Ctrl-C again skips the finally steps",
            fr: "Arrêt en cours (\(name))\u{A0}: un second Ctrl-C saute les étapes finally")
    }

    static let liveStoppingFinally = Message(en: "Stopping the finally steps too", fr: "Arrêt des étapes finally aussi")
    static let liveTimedOut = Message(
        en: "Time limit (--timeout) reached: stopping the running steps, then the finally steps run.",
        fr: "Limite de temps (--timeout) atteinte\u{A0}: arrêt des étapes en cours, puis les étapes finally s’exécutent.")
    static let liveStoppingAfterTimeout = Message(
        en: "Stopping (time limit): Ctrl-C twice skips the finally steps",
        fr: "Arrêt en cours (limite de temps)\u{A0}: deux Ctrl-C sautent les étapes finally")

    static func liveCount(_ count: Int, _ status: StepStatus) -> Message {
        Message(en: "\(count) \(word(for: status).en)", fr: "\(word(for: status).fr)\u{A0}: \(count)")
    }

    static func liveVerdict(runID: String, status: RunStatus, elapsed: String, counts: String, ended: String) -> Message {
        let (en, fr) =
            switch status {
            case .succeeded: ("succeeded", "réussie")
            case .failed: ("failed", "échouée")
            case .interrupted: ("interrupted", "interrompue")
            case .timedOut: ("stopped by its time limit", "arrêtée par sa limite de temps")
            }
        return Message(
            en: "Run \(runID) \(en) in \(elapsed) (\(counts)), ended \(ended).",
            fr: "Exécution \(runID) \(fr) en \(elapsed) (\(counts)), fin à \(ended).")
    }

    static func liveJournalFailed(runID: String, failure: String) -> Message {
        Message(
            en: "Run \(runID) STOPPED: the journal could not be written (\(failure)); its outcome cannot be trusted.",
            fr: "Exécution \(runID) ARRÊTÉE\u{A0}: le journal n’a pas pu être écrit (\(failure))\u{A0}; son résultat n’est pas fiable.")
    }

    static let liveFailures = Message(en: "Failures:", fr: "Échecs\u{A0}:")
    static let liveResumeHint = Message(
        en: "To continue this run where it stopped, type:", fr: "Pour reprendre cette exécution là où elle s’est arrêtée, tapez\u{A0}:")
    static let liveVerify = Message(en: "Verify it with:", fr: "Vérifiez-le avec\u{A0}:")
}
