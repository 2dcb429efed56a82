import FiletActions
import FiletSupport
import Foundation

/// Asks for confirmations on the terminal, one at a time; `--yes` approves them in advance.
///
/// The question names the answers in the operator's language; `yes`, `y`, `oui`, `o` approve and `no`, `n`, `non`
/// refuse, in either language (``YesNoAnswer``). Any other answer asks again, saying so: a typo never refuses.
/// The end of input is no answer.
actor TerminalConfirmation: ConfirmationProvider {
    private let preApproved: Bool
    private let operatorName: String
    private let language: Language
    private let view: TerminalView

    init(preApproved: Bool, operatorName: String, language: Language, view: TerminalView) {
        self.preApproved = preApproved
        self.operatorName = operatorName
        self.language = language
        self.view = view
    }

    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer {
        // The preflight refuses such a run before it starts; these hold for what it cannot foresee.
        if !approvers.isEmpty && !approvers.contains(operatorName) {
            return .unavailable(
                "operator '\(operatorName)' may not approve this step (approvers: \(approvers.joined(separator: ", "))); run with --operator NAME"
            )
        }
        if preApproved { return .granted(by: operatorName, how: "pre-approved with --yes") }
        guard isatty(STDIN_FILENO) == 1 else {
            return .unavailable(
                "confirmation needed and no terminal to ask on: run filet interactively, or pass --yes to approve in advance")
        }
        return await ask(prompt: prompt, stepID: stepID)
    }

    /// Asks until a yes or a no, or the end of input. On a terminal the question goes below the live rows,
    /// which keep counting how long it has waited (``TerminalView/ask(stepID:question:hint:)``).
    private func ask(prompt: String, stepID: String) async -> ConfirmationAnswer {
        var hint = Message.confirmationChoices
        while true {
            guard let line = await view.ask(stepID: stepID, question: prompt, hint: hint.text(language)) else {
                return .unavailable("no answer (end of input)")
            }
            let typed = Terminal.printable(line)
            switch YesNoAnswer(typed: line) {
            case .yes: return .granted(by: operatorName, how: "typed '\(typed)' at the terminal")
            case .no: return .refused(by: operatorName, how: "answered '\(typed)' at the terminal")
            case nil: hint = Message.notAnAnswer(typed, then: .confirmationAgain)
            }
        }
    }
}

extension Message {
    static let confirmationChoices = Message(
        en: "Approve? Type yes (or y) to approve, no (or n) to refuse: ",
        fr: "Approuver ? Tapez oui (ou o) pour approuver, non (ou n) pour refuser : ")

    static let confirmationAgain = Message(
        en: "type yes (or y) to approve, no (or n) to refuse; Ctrl-C stops the run: ",
        fr: "tapez oui (ou o) pour approuver, non (ou n) pour refuser ; Ctrl-C arrête l’exécution : ")

    static func interruptedStepQuestion(_ step: String) -> Message {
        Message(
            en: """

                ? step '\(step)' was running when the run stopped and is not idempotent: it may or may not have taken effect.
                  Run it again? yes (or y) = run it again, no (or n) = it took effect: mark it done; Ctrl-C stops, nothing is resumed: 
                """,
            fr: """

                ? l’étape « \(step) » était en cours quand l’exécution s’est arrêtée et n’est pas idempotente : elle a pu prendre effet, ou non.
                  La relancer ? oui (ou o) = la relancer, non (ou n) = elle a pris effet : la marquer faite ; Ctrl-C arrête, rien n’est repris : 
                """)
    }

    static let interruptedStepAgain = Message(
        en: "yes (or y) runs it again, no (or n) marks it done; Ctrl-C stops, nothing is resumed: ",
        fr: "oui (ou o) la relance, non (ou n) la marque faite ; Ctrl-C arrête, rien n’est repris : ")

    /// What was typed is not an answer: say so, and what the answers are.
    static func notAnAnswer(_ typed: String, then choices: Message) -> Message {
        typed.isEmpty
            ? Message(en: "No answer typed: " + choices.en, fr: "Aucune réponse tapée : " + choices.fr)
            : Message(en: "'\(typed)' is not an answer: " + choices.en, fr: "« \(typed) » n’est pas une réponse : " + choices.fr)
    }
}

extension Terminal {
    /// Reads a line from stdin on a dedicated thread, so that a blocked read never holds the
    /// cooperative pool; cancellation (Ctrl-C) gives up waiting (nil), and the line, if one
    /// comes later, is dropped. Nil at the end of input.
    static func readLine() async -> String? {
        try? await DedicatedThread.run("filet-read-line", onCancel: .abandon) { Swift.readLine(strippingNewline: true) }
    }

    /// What an operator typed, fit to be shown back and recorded: trimmed, without control characters, at most 40 characters.
    static func printable(_ typed: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: typed.unicodeScalars.filter { !$0.properties.generalCategory.isControl })
        let visible = String(scalars).trimmingCharacters(in: .whitespaces)
        return visible.count > 40 ? String(visible.prefix(39)) + "…" : visible
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControl: Bool { self == .control || self == .format }
}
