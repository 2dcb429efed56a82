import Foundation
import FiletActions

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
            return .unavailable("operator '\(operatorName)' may not approve this step (approvers: \(approvers.joined(separator: ", "))); run with --operator NAME")
        }
        if preApproved { return .granted(by: operatorName, how: "pre-approved with --yes") }
        guard isatty(STDIN_FILENO) == 1 else {
            return .unavailable("confirmation needed and no terminal to ask on: run filet interactively, or pass --yes to approve in advance")
        }
        await view.pause()
        Terminal.output("\n? \(stepID): \(prompt)\n  Type yes to approve, anything else to refuse: ")
        let answer = await Self.readLine()
        await view.resume()
        guard let answer else { return .unavailable("no answer (end of input)") }
        let trimmed = answer.trimmingCharacters(in: .whitespaces)
        return trimmed.lowercased() == "yes" || trimmed.lowercased() == "oui"
            ? .granted(by: operatorName, how: "typed '\(trimmed)' at the terminal")
            : .refused(by: operatorName, how: "answered '\(trimmed)' at the terminal")
    }

    /// Reads a line on a dedicated thread, so that a blocked read never holds the cooperative pool;
    /// cancellation (Ctrl-C) gives up waiting.
    private static func readLine() async -> String? {
        let box = ContinuationBox()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                box.set(continuation)
                Thread.detachNewThread { box.resume(Swift.readLine(strippingNewline: true)) }
            }
        } onCancel: {
            box.resume(nil)
        }
    }
}

/// Resumes a continuation once, with whichever answer comes first: the line read, or nil on cancellation.
private final class ContinuationBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String?, Never>?
    private var answer: String??

    func set(_ continuation: CheckedContinuation<String?, Never>) {
        lock.lock()
        if let answer {
            lock.unlock()
            continuation.resume(returning: answer)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(_ value: String?) {
        lock.lock()
        guard answer == nil else {
            lock.unlock()
            return
        }
        answer = .some(value)
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(returning: value)
    }
}
