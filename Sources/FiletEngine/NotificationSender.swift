import Foundation

#if canImport(Glibc)
    import Glibc
    import FiletJournal
    public import FiletNotify
    public import FiletRunbook
    import FiletSupport
    import FiletSyntax
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a channel's notification goes, resolved for one delivery. A webhook's URL, headers and
/// signing secrets are secrets: never show them, never store them.
public enum NotificationDestination: Sendable {
    case webhook(WebhookEndpoint)
    /// A file that receives one JSON line per notification.
    case file(path: String)
}

/// Sends one notification through one channel, once (retries within the attempt are its own affair).
/// It returns an outcome and never throws: a failure is an observation to record.
public protocol NotificationSender: Sendable {
    func send(_ message: NotificationMessage, via channel: Channel, to destination: NotificationDestination) async -> OutboxAttemptResult
}

extension Channel {
    /// The channel's destination for a notification in `mode`: its `webhook` (or `drill_webhook` in a
    /// drill) or `file` template, its headers and signing secret, rendered with `values`, the run's one resolution
    /// of `${vars.NAME}` (its `--var` overrides included) and `${env.NAME}`.
    public func destination(values: RunValues, mode: RunMode) -> NotificationDestination {
        switch destination {
        case .file:
            return .file(path: values.render(destinationTemplate(in: mode)))
        case .webhook:
            let url = values.render(destinationTemplate(in: mode))
            let secret = signingSecret.map(values.render).flatMap { $0.isEmpty ? nil : $0 }
            var endpoint = WebhookEndpoint(
                url: url, format: format,
                headers: headers.map { (name: $0.name, value: values.render($0.value)) },
                signingSecrets: secret.map { [$0] } ?? [])
            if let timeout { endpoint.timeout = timeout.duration }
            if let retries { endpoint.retries = retries }
            return .webhook(endpoint)
        }
    }

    /// The destination with the runbook's own vars (no `--var`) and `${env.NAME}` read from `environment`
    /// (channel settings cannot read `${run.id}`: `runID` changes nothing).
    public func destination(in runbook: Runbook, environment: [String: String], runID: String, mode: RunMode) -> NotificationDestination {
        destination(values: RunValues(runbook: runbook, overrides: [:], environment: environment), mode: mode)
    }
}

/// Delivers outbox entries: re-reads each entry's runbook, refuses it when the file changed (its
/// SHA-256 differs), resolves the channel's destination from the runbook, the values the run recorded
/// (its `--var` overrides) and the environment, hands the message (its text masked) to a ``NotificationSender``
/// and masks the reason it gives with the runbook's secrets.
public struct OutboxDispatcher: Sendable {
    public let sender: any NotificationSender
    public let environment: [String: String]
    /// Where the journals of the runs that stored the entries are: their `run.started` holds the vars' values
    /// the run used; nil (or a journal that cannot be read) for the runbook's own values.
    public let journalDirectory: String?
    /// `--var NAME=VALUE`: the values a run was given with `--var` that its journal masked (secrets), which only the
    /// operator can give again; an entry whose run needs one that is not given is refused, never sent elsewhere.
    public let variables: [String: String]

    public init(
        sender: any NotificationSender, environment: [String: String], journalDirectory: String? = nil,
        variables: [String: String] = [:]
    ) {
        self.sender = sender
        self.environment = environment
        self.journalDirectory = journalDirectory
        self.variables = variables
    }

    public func deliver(_ entry: OutboxEntry) async -> OutboxAttemptResult {
        let source: SourceFile
        do throws(SourceFile.ReadError) {
            source = try SourceFile.read(path: entry.runbookPath)
        } catch {
            return .refused(reason: "cannot read the runbook that declares channel \(entry.channel): \(error.description)")
        }
        guard source.sha256 == entry.runbookSHA256.lowercased() else {
            return .refused(
                reason: """
                    the runbook \(entry.runbookPath) changed since the notification was stored (SHA-256 \(entry.runbookSHA256.prefix(12))…, \
                    now \(source.sha256.prefix(12))…): its channel \(entry.channel) may no longer be the one the run used; \
                    restore that version of the runbook to deliver it
                    """)
        }
        let plan: Plan
        do throws(DiagnosticList) {
            plan = try RunbookLoader.load(source)
        } catch {
            return .refused(reason: "the runbook \(entry.runbookPath) is not valid (\(error.diagnostics.count) errors)")
        }
        guard let channel = plan.runbook.channel(named: entry.channel) else {
            return .refused(reason: "the runbook \(entry.runbookPath) declares no channel \(entry.channel)")
        }
        var configuration = RunConfiguration(
            runID: entry.message.runID, operatorName: "", host: "", environment: environment,
            runbookSHA256: source.sha256)
        configuration.variables = variables.filter { plan.runbook.variable(named: $0.key) != nil }
        if let journalDirectory, let runID = RunID(entry.journalRunID),
            let recorded = RecordedVariables(
                journal: journalDirectory + "/" + runID.fileName, declaredIn: plan.runbook, given: configuration.variables)
        {
            guard recorded.missing.isEmpty else {
                return .refused(reason: Message.varNotKept(recorded.missing, command: "filet outbox deliver").en)
            }
            configuration.variables = recorded.overrides
        }
        let masker = RunSecrets.masker(for: plan.runbook, configuration: configuration)
        let destination = channel.destination(values: configuration.values(for: plan.runbook), mode: entry.message.mode)
        // The text of an entry stored by an earlier filet may hold a secret: it is sent masked, as a run sends it now.
        var message = entry.message
        message.text = masker(message.text)
        switch await sender.send(message, via: channel, to: destination) {
        case .delivered: return .delivered
        case .accepted: return .accepted
        case .failed(let reason, let retryable): return .failed(reason: masker(reason), retryable: retryable)
        case .gone(let reason): return .gone(reason: masker(reason))
        case .refused(let reason): return .refused(reason: masker(reason))
        }
    }
}

/// Sends notifications for real: webhooks through ``WebhookDelivery`` (retries, signing, pacing per URL),
/// files through ``FileChannel`` (one JSON line, `fdatasync`ed, off the cooperative pool).
public struct ChannelSender: NotificationSender {
    public let delivery: WebhookDelivery
    /// Whether a file channel skips a message whose id it already holds: the outbox sets it, so that a
    /// delivery repeated after a crash is not written twice (it reads the file, so runs leave it off).
    public let skipsRepeatsInFiles: Bool

    public init(delivery: WebhookDelivery = WebhookDelivery(pacer: DeliveryPacer()), skipsRepeatsInFiles: Bool = false) {
        self.delivery = delivery
        self.skipsRepeatsInFiles = skipsRepeatsInFiles
    }

    public func send(_ message: NotificationMessage, via channel: Channel, to destination: NotificationDestination) async
        -> OutboxAttemptResult
    {
        switch destination {
        case .webhook(let endpoint):
            let report = await delivery.deliver(message, to: endpoint, deadline: nil)
            let tries = report.attempts.count == 1 ? "1 attempt" : "\(report.attempts.count) attempts"
            switch report.outcome {
            case .delivered: return .delivered
            case .accepted: return .accepted
            case .gone: return .gone(reason: "\(report.target) answered 410 Gone: it wants no more messages from this channel")
            case .failed(let reason, let retryable): return .failed(reason: "\(reason) (\(tries))", retryable: retryable)
            }
        case .file(let path):
            guard !path.isEmpty else { return .failed(reason: "the channel's file resolves to an empty path", retryable: false) }
            let skipsRepeats = skipsRepeatsInFiles
            // A durable append is not cut short: cancellation waits for it (a few milliseconds).
            do throws(DedicatedThread.Failure) {
                return try await DedicatedThread.run("filet-file-notify") { () -> OutboxAttemptResult in
                    if skipsRepeats && Self.file(path, holds: message.id) { return .delivered }
                    do throws(FileChannel.Failure) {
                        try FileChannel.append(message, to: path)
                        return .delivered
                    } catch {
                        return .failed(reason: error.description, retryable: true)
                    }
                }
            } catch {
                return .failed(reason: "cannot write to \(path): \(error)", retryable: true)
            }
        }
    }

    private static func file(_ path: String, holds id: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        let marker = "\"id\":\(JSONValue.quoted(id))"
        return String(decoding: data, as: UTF8.self).split(separator: "\n").contains { $0.contains(marker) }
    }
}
