import FiletJournal
public import FiletNotify
import FiletRunbook
import FiletSupport
import Foundation

/// Why an outbox delivery stopped, or never started.
public enum OutboxSessionFailure: Error, Sendable {
    /// A bad input (the journal key, an outbox that cannot be read): nothing was tried.
    case refused(String)
    /// Another delivery holds the outbox: nothing was tried.
    case busy(String)
    /// The journal or the outbox could not be written. `journalPath` is set once the session's journal exists.
    case write(String, journalPath: String?)
}

/// How a delivery session went.
public enum OutboxSessionResult: Sendable {
    /// Nothing waited (for the channel, when one was chosen); no journal was written.
    case nothingToDeliver(outboxDirectory: String)
    /// Every selected entry was tried once, each outcome durable in `journalPath`.
    case delivered(journalPath: String, summary: OutboxDeliverySummary)
}

/// `filet outbox deliver`: one delivery session with its own journal (`outbox.started`, an `outbox.attempt` per
/// entry, `outbox.finished`, `run.finished`), under the outbox's delivery lock.
public struct OutboxSession: Sendable {
    /// A session has no runbook: its first `prev` is the SHA-256 of no bytes.
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var journalDirectory: String
    /// Only this channel's entries, or every channel's.
    public var channel: String?
    public var operatorName: String
    public var environment: [String: String]
    /// `--var NAME=VALUE`: the values a run was given with `--var` that its journal masked (secrets); see
    /// ``OutboxDispatcher/variables``.
    public var variables: [String: String]

    public init(
        journalDirectory: String, channel: String?, operatorName: String, environment: [String: String],
        variables: [String: String] = [:]
    ) {
        self.journalDirectory = journalDirectory
        self.channel = channel
        self.operatorName = operatorName
        self.environment = environment
        self.variables = variables
    }

    public var outbox: Outbox { Outbox(journalDirectory: journalDirectory) }

    /// Delivers what waits, oldest first. `started` is told the session's run id and journal once it exists;
    /// `attempted` each entry's outcome as it is known.
    public func deliver(
        started: @Sendable (_ runID: String, _ journalPath: String) -> Void,
        attempted: @escaping @Sendable (OutboxEntry, OutboxAttemptResult) -> Void
    ) async throws(OutboxSessionFailure)
        -> OutboxSessionResult
    {
        let clock = ContinuousClock()
        let start = clock.now
        let outbox = outbox
        let key: [UInt8]?
        do throws(JournalError) { key = try JournalKey.fromEnvironment(environment) } catch { throw .refused(error.message) }
        let scan: OutboxScan
        do throws(OutboxError) { scan = try outbox.scan() } catch { throw .refused(error.message) }
        let selected = scan.entries.filter { channel == nil || $0.channel == channel }
        if selected.isEmpty && scan.problems.isEmpty { return .nothingToDeliver(outboxDirectory: outbox.directory) }
        let lock: OutboxLock
        do throws(OutboxError) { lock = try outbox.lockForDelivery() } catch {
            throw error.code == .busy ? .busy(error.message) : .write(error.message, journalPath: nil)
        }
        defer { lock.release() }
        let writer: JournalWriter
        do throws(JournalError) {
            writer = try JournalWriter.create(directory: journalDirectory, runbookSHA256: Self.emptySHA256, key: key)
        } catch {
            throw .write("cannot create the journal in \(journalDirectory): \(error.message)", journalPath: nil)
        }
        started(writer.runID.description, writer.path)
        do {
            try await writer.append(
                OutboxStarted(
                    outbox: outbox.directory, channel: channel, entries: selected.count, unreadable: scan.problems.count,
                    operatorName: operatorName, host: ProcessInfo.processInfo.hostName, filetVersion: FiletVersion.current))
            let dispatcher = OutboxDispatcher(
                sender: ChannelSender(skipsRepeatsInFiles: true), environment: environment, journalDirectory: journalDirectory,
                variables: variables)
            let summary = try await OutboxDelivery(outbox: outbox, channel: channel).run(
                deliver: { entry in
                    let result = await dispatcher.deliver(entry)
                    attempted(entry, result)
                    return result
                },
                record: { kind, fields in try await writer.append(kind, fields) })
            try await writer.append(
                OutboxFinished(
                    status: summary.isComplete ? "delivered" : "waiting", delivered: summary.delivered,
                    waiting: summary.waiting, unreadable: summary.unreadable.count))
            // Every journal closes with run.finished: that is what `filet audit verify` checks for.
            try await writer.append(
                RunFinished(
                    status: summary.isComplete ? .succeeded : .failed,
                    counts: [("delivered", summary.delivered), ("waiting", summary.waiting), ("unreadable", summary.unreadable.count)],
                    durationMilliseconds: Int((clock.now - start) / .milliseconds(1))))
            try await writer.close()
            return .delivered(journalPath: writer.path, summary: summary)
        } catch {
            var message = "the delivery stopped: \(error)"
            do throws(JournalError) { try await writer.close() } catch { message += "; closing the journal failed too: \(error.message)" }
            throw .write(message, journalPath: writer.path)
        }
    }
}
