import FiletActions
public import FiletNotify
public import FiletRunbook
import FiletSupport
import Foundation
import Synchronization

/// Delivers the notifications of one run: on the step's channel, then along its fallbacks; a
/// channel that answers 410 Gone is disabled for the rest of the run; what cannot be delivered is
/// stored durably in the outbox before the step is marked failed.
public final class NotificationService: Sendable {
    public let plan: Plan
    public let configuration: RunConfiguration
    public let sender: any NotificationSender
    public let outbox: Outbox
    /// The runbook file, so that `filet outbox deliver` can resolve the channel again later.
    public let runbookPath: String
    /// What the channels' templates read: the run's vars, `--var` overrides included, and environment.
    private let values: RunValues
    /// A secret named in a notification's text is masked in the text sent (and so in the outbox).
    private let masker: Masker
    private let disabled = Mutex<[String: String]>([:])

    public init(plan: Plan, configuration: RunConfiguration, sender: any NotificationSender, outbox: Outbox, runbookPath: String) {
        self.plan = plan
        self.configuration = configuration
        values = configuration.values(for: plan.runbook)
        masker = RunSecrets.masker(for: plan.runbook, configuration: configuration)
        self.sender = sender
        self.outbox = outbox
        self.runbookPath = runbookPath
    }

    /// Sends one notification. The message id is stable for the run and the step: a receiver that has
    /// seen it (a retry, a fallback, an outbox delivery, a resumed run) can drop it.
    func notify(
        channel name: String, text: String, severity: FiletRunbook.Notification.Severity,
        undelivered: FiletRunbook.Notification.Undelivered,
        stepID: String
    ) async -> ActionResult {
        let runbook = plan.runbook
        let text = masker(text)
        let message = NotificationMessage(
            id: NotificationMessage.id(runID: configuration.runID, stepID: stepID), runbookID: runbook.id, runbookTitle: runbook.title,
            runID: configuration.runID, mode: configuration.mode, stepID: stepID, channel: name, severity: severity, text: text,
            timestamp: Self.timestamp(), drill: configuration.mode == .drill)
        var deliveries: [JSONValue] = []
        var failures: [String] = []
        var next: String? = name
        var visited: Set<String> = []
        while let current = next, visited.insert(current).inserted, let channel = runbook.channel(named: current) {
            next = channel.fallback
            if let reason = disabled.withLock({ $0[current] }) {
                deliveries.append(.object([("channel", .string(current)), ("outcome", "disabled"), ("reason", .string(reason))]))
                failures.append("\(current): disabled earlier in this run (\(reason))")
                continue
            }
            var attempt = message
            attempt.channel = current
            let destination = channel.destination(values: values, mode: configuration.mode)
            let result = await sender.send(attempt, via: channel, to: destination)
            deliveries.append(
                .object([("channel", .string(current)), ("outcome", .string(result.outcome)), ("reason", .optional(result.reason))]))
            switch result {
            case .delivered, .accepted:
                return ActionResult(
                    .succeeded,
                    observations: [
                        ("message_id", .string(message.id)), ("channel", .string(current)), ("outcome", .string(result.outcome)),
                        ("text", .string(text)), ("deliveries", .array(deliveries)),
                    ], output: result.outcome)
            case .gone(let reason):
                disabled.withLock { $0[current] = reason }
                failures.append("\(current): \(reason); the channel is disabled for the rest of the run")
            case .failed(let reason, _), .refused(let reason):
                failures.append("\(current): \(reason)")
            }
        }
        let observations: [(String, JSONValue)] = [
            ("message_id", .string(message.id)), ("channel", .string(name)),
            ("outcome", undelivered == .later ? "delivered_later" : "undelivered"),
            ("text", .string(text)), ("deliveries", .array(deliveries)),
        ]
        let entry = OutboxEntry(
            message: message, channel: name, runbookPath: runbookPath, runbookSHA256: configuration.runbookSHA256,
            createdMilliseconds: OutboxEntry.nowMilliseconds(), attempts: deliveries.count,
            lastError: failures.last.map(masker.callAsFunction), journalRunID: configuration.runID)
        do throws(OutboxError) {
            try outbox.store(entry)
        } catch {
            return .failed(
                "not delivered (\(failures.joined(separator: "; "))), and it could not be kept in the outbox: \(error.message)",
                observations: observations)
        }
        let kept = "not delivered (\(failures.joined(separator: "; "))); kept in the outbox: deliver it later with `filet outbox deliver`"
        if undelivered == .later {
            return ActionResult(
                .succeeded, reason: kept, observations: observations + [("outbox", .string(outbox.directory))],
                output: "delivered_later")
        }
        return .failed(kept, observations: observations + [("outbox", .string(outbox.directory))])
    }

    /// A channel that answered 410 Gone, with why; nil while it is enabled.
    public func disabledReason(_ channel: String) -> String? { disabled.withLock { $0[channel] } }

    private static func timestamp() -> String {
        var bytes: [UInt8] = []
        UTCTime.appendRFC3339(UTCTime.nowMilliseconds(), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
