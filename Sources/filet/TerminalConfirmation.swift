import FiletActions
import FiletSupport
import Foundation

/// Asks for confirmations on the terminal, one at a time; `--yes` approves them in advance.
actor TerminalConfirmation: ConfirmationProvider {
    private let preApproved: Bool
    private let operatorName: String
    private let view: TerminalView

    init(preApproved: Bool, operatorName: String, view: TerminalView) {
        self.preApproved = preApproved
        self.operatorName = operatorName
        self.view = view
    }

    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer {
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
        let answer = await view.ask(stepID: stepID, question: prompt, hint: "Type yes to approve, anything else to refuse: ")
        guard let answer else { return .unavailable("no answer (end of input)") }
        let trimmed = answer.trimmingCharacters(in: .whitespaces)
        return trimmed.lowercased() == "yes" || trimmed.lowercased() == "oui"
            ? .granted(by: operatorName, how: "typed '\(trimmed)' at the terminal")
            : .refused(by: operatorName, how: "answered '\(trimmed)' at the terminal")
    }

}

extension Terminal {
    /// Reads a line from stdin on a dedicated thread, so that a blocked read never holds the
    /// cooperative pool; cancellation (Ctrl-C) gives up waiting (nil), and the line, if one
    /// comes later, is dropped. Nil at the end of input.
    static func readLine() async -> String? {
        try? await DedicatedThread.run("filet-read-line", onCancel: .abandon) { Swift.readLine(strippingNewline: true) }
    }
}
