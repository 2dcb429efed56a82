public import FiletJournal
public import FiletNotify
public import FiletSupport
import Foundation

/// What one delivery attempt of an outbox entry came to.
public enum OutboxAttemptResult: Sendable, Hashable {
    /// The receiver took it (a 2xx other than 202, or the line is in the file).
    case delivered
    /// The receiver queued it (202 Accepted): it leaves the outbox too.
    case accepted
    /// It did not go through; `retryable` says whether trying later may help. The reason is masked.
    case failed(reason: String, retryable: Bool)
    /// The channel is gone for good (410 Gone, say): no more of its entries are tried in this delivery.
    case gone(reason: String)
    /// Not attempted: the entry cannot be sent as stored (its runbook changed, its channel is no longer declared).
    case refused(reason: String)

    /// The word the journal and the outputs use.
    public var outcome: String {
        switch self {
        case .delivered: "delivered"
        case .accepted: "accepted"
        case .failed: "failed"
        case .gone: "gone"
        case .refused: "refused"
        }
    }

    public var reason: String? {
        switch self {
        case .delivered, .accepted: nil
        case .failed(let reason, _), .gone(let reason), .refused(let reason): reason
        }
    }

    /// Whether the entry may leave the outbox (once this outcome is durable in the journal).
    public var isDelivered: Bool {
        switch self {
        case .delivered, .accepted: true
        default: false
        }
    }
}

/// Drains an outbox in order, oldest first: each entry is tried once, its outcome recorded in a
/// journal, and only once that record is durable and the outcome is a delivery does the entry
/// leave the outbox. Anything else keeps it, with its attempts and last error updated.
public struct OutboxDelivery: Sendable {
    public let outbox: Outbox
    /// Only this channel's entries, or every channel's.
    public let channel: String?

    public init(outbox: Outbox, channel: String? = nil) {
        self.outbox = outbox
        self.channel = channel
    }

    /// What stopped a delivery before its end. Entries not yet tried stay where they were.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The journal record could not be made durable: the entry stays (a receiver that already
        /// took it drops the repeat by its message id).
        case journal(message: String)
        /// The outbox could not be read, updated or cleaned.
        case outbox(OutboxError)

        public var description: String {
            switch self {
            case .journal(let message): "the journal could not be written: \(message)"
            case .outbox(let error): error.message
            }
        }
    }

    /// Tries every waiting entry (of ``channel``) once, oldest first.
    ///
    /// - Parameters:
    ///   - deliver: one attempt at one entry.
    ///   - record: appends one journal record and returns once it is durable; a throw stops the delivery.
    ///     Records: ``OutboxUnreadable`` for each file that is not an entry, ``OutboxAttempt`` for each entry tried,
    ///     ``OutboxSkipped`` for each entry of a gone channel.
    public func run(
        deliver: (OutboxEntry) async -> OutboxAttemptResult,
        record: (JournalRecordKind, [(String, JSONValue)]) async throws -> Void
    ) async throws(Failure) -> OutboxDeliverySummary {
        let scan: OutboxScan
        do throws(OutboxError) { scan = try outbox.scan() } catch { throw .outbox(error) }
        var summary = OutboxDeliverySummary()
        summary.unreadable = scan.problems
        for problem in scan.problems {
            try await journal(record, OutboxUnreadable(file: problem.file, problemKind: problem.kind.rawValue, problem: problem.message))
        }
        var goneChannels: [String: String] = [:]
        for var entry in scan.entries {
            guard channel == nil || entry.channel == channel else {
                summary.notSelected += 1
                continue
            }
            let identity = OutboxEntryIdentity(
                message: entry.id, channel: entry.channel, step: entry.message.stepID, originRun: entry.journalRunID)
            if let reason = goneChannels[entry.channel] {
                let skipped = "channel \(entry.channel) is gone (\(reason)): not tried"
                try await journal(record, OutboxSkipped(entry: identity, reason: skipped))
                summary.add(entry, .gone(reason: skipped), attempted: false)
                continue
            }
            let result = await deliver(entry)
            let attempted: Bool
            if case .refused = result { attempted = false } else { attempted = true }
            var retryable: Bool?
            if case .failed(_, let canRetry) = result { retryable = canRetry }
            try await journal(
                record,
                OutboxAttempt(
                    entry: identity, attempt: attempted ? entry.attempts + 1 : nil, outcome: result.outcome,
                    reason: result.reason, retryable: retryable))
            // The outcome is durable in the journal: only now may the entry change or go.
            do throws(OutboxError) {
                if result.isDelivered {
                    try outbox.remove(id: entry.id)
                } else {
                    if attempted { entry.attempts += 1 }
                    entry.lastError = result.reason
                    try outbox.update(entry)
                }
            } catch {
                throw .outbox(error)
            }
            if case .gone(let reason) = result { goneChannels[entry.channel] = reason }
            summary.add(entry, result, attempted: attempted)
        }
        return summary
    }

    private func journal(
        _ record: (JournalRecordKind, [(String, JSONValue)]) async throws -> Void,
        _ payload: some JournalPayload
    ) async throws(Failure) {
        do {
            try await record(payload.kind, payload.fields)
        } catch {
            throw .journal(message: "\(error)")
        }
    }
}

/// What a delivery did.
public struct OutboxDeliverySummary: Sendable {
    /// One entry's outcome, in the order tried.
    public struct Outcome: Sendable, Hashable {
        public var id: String
        public var channel: String
        public var stepID: String
        public var journalRunID: String
        /// `delivered`, `accepted`, `failed`, `gone`, `refused` or `skipped`.
        public var outcome: String
        public var reason: String?
        /// Attempts so far, this one included.
        public var attempts: Int
    }

    public struct ChannelCount: Sendable, Hashable {
        public var channel: String
        public var delivered: Int
        public var waiting: Int

        public init(channel: String, delivered: Int, waiting: Int) {
            self.channel = channel
            self.delivered = delivered
            self.waiting = waiting
        }
    }

    public var outcomes: [Outcome] = []
    /// Files of the outbox that are not entries (they stay, and are counted as waiting).
    public var unreadable: [OutboxScan.Problem] = []
    /// Entries left alone because `--channel` named another channel.
    public var notSelected = 0

    public var delivered: Int { outcomes.count { $0.outcome == "delivered" || $0.outcome == "accepted" } }
    /// Entries of the selected channels still in the outbox.
    public var waiting: Int { outcomes.count - delivered }
    /// Whether nothing selected is left: every entry delivered and no unreadable file.
    public var isComplete: Bool { waiting == 0 && unreadable.isEmpty }

    /// Per channel, in the order first met.
    public var channels: [ChannelCount] {
        var counts: [ChannelCount] = []
        for outcome in outcomes {
            let done = outcome.outcome == "delivered" || outcome.outcome == "accepted"
            if let index = counts.firstIndex(where: { $0.channel == outcome.channel }) {
                if done { counts[index].delivered += 1 } else { counts[index].waiting += 1 }
            } else {
                counts.append(ChannelCount(channel: outcome.channel, delivered: done ? 1 : 0, waiting: done ? 0 : 1))
            }
        }
        return counts
    }

    mutating func add(_ entry: OutboxEntry, _ result: OutboxAttemptResult, attempted: Bool) {
        let attempts = attempted && result.isDelivered ? entry.attempts + 1 : entry.attempts
        let outcome: String
        if case .gone = result, !attempted { outcome = "skipped" } else { outcome = result.outcome }
        outcomes.append(
            Outcome(
                id: entry.id, channel: entry.channel, stepID: entry.message.stepID, journalRunID: entry.journalRunID,
                outcome: outcome, reason: result.reason, attempts: attempts))
    }
}
