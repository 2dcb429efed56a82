import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
    public import FiletSupport
#elseif canImport(Darwin)
    import Darwin
    import FiletSupport
#endif

/// Appends records to one run's journal, each durable before ``append(_:_:)`` returns.
///
/// Records are chained: each one's `prev` is the SHA-256 of the previous line's bytes (of the
/// runbook file for the first), and with a key each carries an HMAC-SHA256 `mac`. See
/// `docs/journal.md` for the exact format.
///
/// Durability and group commit: the blocking `write(2)` and `fdatasync(2)` run on a serial
/// dispatch queue of their own, never on the Swift concurrency pool. Records appended while a
/// sync is in flight are written together with one `write(2)` and one `fdatasync(2)` as the
/// next batch; seq order is file order. An append cannot be cancelled: once the record has a
/// seq, it returns only when the record is durable or the journal has failed.
///
/// A write or sync failure is fatal (``JournalError/isFatal``): every waiting append throws
/// it, and so does every later append. The run must stop.
///
/// One writer per journal: each holds the journal's ``JournalLock`` until it is closed.
public final class JournalWriter: Sendable {
    /// The journal file: `<directory>/<run id>.jsonl`.
    public let path: String
    /// The run this journal records.
    public let runID: RunID

    private let descriptor: Int32
    private let lock: JournalLock
    private let queue: DispatchQueue
    private let state: Mutex<State>

    /// How long a record appended without waiting may stay in memory before it is written anyway.
    static let linger: DispatchTimeInterval = .milliseconds(20)

    private typealias Waiter = (seq: Int, continuation: CheckedContinuation<Result<Int, JournalError>, Never>)

    private struct State {
        let run: [UInt8]
        let authenticator: LineAuthenticator?
        var nextSeq = 1
        /// The 64 hex digits that the next record's `prev` will hold.
        var prev: [UInt8]
        var lastMilliseconds: Int64 = .min
        /// Whole lines, each with its newline, not yet handed to `write(2)`.
        var pending: [UInt8] = []
        var waiters: [Waiter] = []
        /// A buffer given back by the last batch, to reuse its capacity.
        var spare: [UInt8] = []
        var flushScheduled = false
        /// A delayed flush is queued for records appended without waiting.
        var lingerScheduled = false
        var failure: JournalError?
        var closed = false
        var descriptorOpen = true
        /// A record was appended: the journal was written under its lock.
        var appended = false
        /// With a checkpoint policy: where signing stands.
        var checkpoints: CheckpointState?
    }

    private struct CheckpointState {
        let policy: CheckpointPolicy
        let fingerprint: String
        let intervalNanoseconds: UInt64
        /// The seq of the last checkpoint record written (0: none yet).
        var lastSeq = 0
        /// When it was written (`DispatchTime` uptime nanoseconds), or when the journal was opened.
        var lastTime: UInt64
        var timerScheduled = false
    }

    // MARK: Creating

    /// Takes the lock of the journal of `runID` in `directory` (created if missing), then creates the
    /// journal file and makes it and its directory entry durable.
    ///
    /// - Parameters:
    ///   - runbookSHA256: the SHA-256 of the runbook file's bytes, 64 hex digits: the `prev` of the first record.
    ///   - key: the HMAC key (at least ``JournalKey/minimumLength`` bytes), or nil for no `mac`.
    /// - Throws: ``JournalError/Kind/exists`` when the file already exists (generate another
    ///   run id), ``JournalError/Kind/create``, ``JournalError/Kind/invalidKey`` or
    ///   ``JournalError/Kind/invalidArgument``.
    ///   - checkpoints: when given, signed `checkpoint` records are written as the policy says
    ///     (see ``CheckpointPolicy`` and `docs/journal.md`).
    public static func create(
        directory: String, runID: RunID, runbookSHA256: String, key: [UInt8]?,
        checkpoints: CheckpointPolicy? = nil
    ) throws(JournalError) -> JournalWriter {
        if let key { try JournalKey.validate(key) }
        let runbookHash = runbookSHA256.lowercased()
        guard DigestWords(hex: runbookHash) != nil else {
            throw JournalError(
                .invalidArgument, path: directory,
                message: """
                    the runbook SHA-256 must be 64 hex digits (the output of `sha256sum`), not '\(runbookSHA256)'
                    """)
        }
        let directory = normalized(directory)
        try makeDirectory(directory)
        let path = directory == "/" ? "/" + runID.fileName : directory + "/" + runID.fileName
        let exists = JournalError(
            .exists, path: path, errno: EEXIST, message: "\(path): a journal for run \(runID) already exists; generate another run id")
        let lock: JournalLock
        do throws(JournalError) { lock = try JournalLock.acquire(journal: path) } catch {
            // Another process is creating a journal of the same run id.
            throw error.kind == .locked ? exists : error
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            let code = errno
            lock.releaseUnwritten()
            if code == EEXIST { throw exists }
            throw JournalError.system(.create, path: path, "cannot create the journal", errno: code)
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            _ = systemClose(descriptor)
            lock.releaseUnwritten()
            throw JournalError.system(.create, path: path, "cannot make the new journal durable (fsync)", errno: code)
        }
        do throws(JournalError) {
            try syncDirectory(directory)
        } catch {
            _ = systemClose(descriptor)
            lock.releaseUnwritten()
            throw error
        }
        return JournalWriter(
            adopting: descriptor, lock: lock, path: path, runID: runID, runbookSHA256: runbookHash, key: key, checkpoints: checkpoints)
    }

    /// Creates a journal for a new run id, generating another one if the file already exists.
    public static func create(
        directory: String, runbookSHA256: String, key: [UInt8]?,
        checkpoints: CheckpointPolicy? = nil
    ) throws(JournalError) -> JournalWriter {
        var attempt = 1
        while true {
            do throws(JournalError) {
                return try create(
                    directory: directory, runID: .generate(), runbookSHA256: runbookSHA256, key: key, checkpoints: checkpoints)
            } catch  where error.kind == .exists && attempt < 16 {
                attempt += 1
            }
        }
    }

    /// Takes over an open descriptor (append-only, close-on-exec) for a journal that has no
    /// record yet, and its lock, released on ``close()``. `runbookSHA256` is 64 lowercase hex digits; `key` has been
    /// validated.
    init(
        adopting descriptor: Int32, lock: JournalLock, path: String, runID: RunID, runbookSHA256: String, key: [UInt8]?,
        checkpoints: CheckpointPolicy? = nil
    ) {
        self.descriptor = descriptor
        self.lock = lock
        self.path = path
        self.runID = runID
        self.queue = DispatchQueue(label: "filet.journal.\(runID)")
        var state = State(run: Array(runID.rawValue.utf8), authenticator: key.map(LineAuthenticator.init), prev: Array(runbookSHA256.utf8))
        state.checkpoints = checkpoints.map { policy in
            let (seconds, attoseconds) = policy.interval.components
            let nanoseconds = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
            return CheckpointState(
                policy: policy, fingerprint: policy.signingKey.publicKey.fingerprint,
                intervalNanoseconds: UInt64(max(nanoseconds, 1_000_000)), lastTime: DispatchTime.now().uptimeNanoseconds)
        }
        self.state = Mutex(state)
    }

    /// Takes over an open descriptor (append-only, close-on-exec) for a journal that already has
    /// records (a resumed run), and its lock: the next record has seq `nextSeq`, `prev` (64 lowercase hex digits)
    /// and a time no earlier than `lastMilliseconds`. See ``reopen(path:key:checkpoints:lock:)``.
    convenience init(
        adopting descriptor: Int32, lock: JournalLock, path: String, runID: RunID, nextSeq: Int, prev: String,
        lastMilliseconds: Int64, key: [UInt8]?, checkpoints: CheckpointPolicy? = nil
    ) {
        self.init(
            adopting: descriptor, lock: lock, path: path, runID: runID, runbookSHA256: prev, key: key, checkpoints: checkpoints)
        state.withLock { state in
            state.nextSeq = nextSeq
            state.lastMilliseconds = lastMilliseconds
        }
    }

    deinit {
        // Every append has returned by now (each holds the writer until it does), so
        // everything written is durable: only the descriptor and the lock are left to release.
        let (open, appended) = state.withLock { ($0.descriptorOpen, $0.appended) }
        if open { _ = systemClose(descriptor) }
        if appended { lock.release() } else { lock.releaseUnwritten() }
    }

    // MARK: Appending

    /// Appends one record and returns its seq once it is durable (written and `fdatasync`ed).
    ///
    /// - Parameters:
    ///   - type: the record type, such as `step.started`: 1 to 64 letters, digits, `.`, `_`, `-`. filet's own are
    ///     ``JournalRecordKind``s: see the overloads that take a kind or a ``JournalPayload``.
    ///   - fields: the record's own members, written in this order after the envelope; none
    ///     may be named `seq`, `ts`, `run`, `type`, `prev` or `mac`, nor appear twice.
    /// - Throws: ``JournalError/Kind/invalidRecord`` (nothing written, the writer goes on),
    ///   ``JournalError/Kind/closed``, or a fatal ``JournalError/Kind/write`` /
    ///   ``JournalError/Kind/sync`` (this one's or an earlier one's).
    /// Any type name is accepted here (the tests write invalid ones on purpose); the library writes
    /// ``JournalRecordKind``s only, through the overloads below.
    @discardableResult
    package func append(_ type: String, _ fields: [(String, JSONValue)]) async throws(JournalError) -> Int {
        let (typeBytes, fieldBytes) = try render(type, fields)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, JournalError>, Never>) in
            _ = enqueue(type: typeBytes, fields: fieldBytes, continuation: continuation)
        }
        return try result.get()
    }

    /// Appends one record of a known type, its fields given as they are written.
    @discardableResult
    public func append(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)]) async throws(JournalError) -> Int {
        try await append(kind.rawValue, fields)
    }

    /// Appends one typed record.
    @discardableResult
    public func append(_ payload: some JournalPayload) async throws(JournalError) -> Int {
        try await append(payload.kind, payload.fields)
    }

    /// Appends one record without waiting for it to be durable: it goes out with the next batch,
    /// and any later ``append(_:_:)`` returns only once this one is durable too (batches keep
    /// file order). For records that report what already happened (an attempt's outcome); a
    /// record that must be durable before something starts uses ``append(_:_:)``.
    /// A write failure it meets is thrown by the next append.
    @discardableResult
    public func appendWithoutWaiting(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)]) throws(JournalError) -> Int {
        try appendWithoutWaiting(kind.rawValue, fields)
    }

    @discardableResult
    package func appendWithoutWaiting(_ type: String, _ fields: [(String, JSONValue)]) throws(JournalError) -> Int {
        let (typeBytes, fieldBytes) = try render(type, fields)
        return try enqueue(type: typeBytes, fields: fieldBytes, continuation: nil).get()
    }

    private func render(_ type: String, _ fields: [(String, JSONValue)]) throws(JournalError) -> ([UInt8], [UInt8]) {
        let typeBytes = Array(type.utf8)
        guard RecordFormat.isValidType(typeBytes) else {
            throw JournalError(
                .invalidRecord, path: path,
                message: "\(path): '\(type)' is not a record type (1 to 64 letters, digits, '.', '_' or '-')")
        }
        return (typeBytes, try RecordFormat.renderFields(fields, type: type, path: path))
    }

    /// The fatal error that stopped this writer, if one did.
    public var failure: JournalError? { state.withLock { $0.failure } }

    /// Gives the record its seq, time and `prev`, adds it to the next batch, and makes sure a
    /// flush will take it. The continuation, if any, is resumed once the record is durable.
    private func enqueue(
        type: [UInt8], fields: [UInt8],
        continuation: CheckedContinuation<Result<Int, JournalError>, Never>?
    ) -> Result<Int, JournalError> {
        state.withLock { state in
            if let failure = state.failure {
                let refused = refusal(after: failure)
                continuation?.resume(returning: .failure(refused))
                return .failure(refused)
            }
            guard !state.closed else {
                let closed = JournalError(.closed, path: path, message: "\(path): the journal is closed; nothing more can be appended")
                continuation?.resume(returning: .failure(closed))
                return .failure(closed)
            }
            let seq = appendLine(&state, type: type, fields: fields)
            if state.checkpoints != nil {
                checkpointIfDue(&state, afterFinished: type.elementsEqual(JournalRecordKind.runFinished.rawValue.utf8))
            }
            if let continuation {
                state.waiters.append((seq, continuation))
                if !state.flushScheduled {
                    // Scheduled under the lock, so that close() is always queued after it.
                    state.flushScheduled = true
                    queue.async { self.flushLoop() }
                }
            } else if !state.flushScheduled && !state.lingerScheduled {
                // A record nobody waits for lingers a little, to share the next durable append's fsync.
                state.lingerScheduled = true
                queue.asyncAfter(deadline: .now() + Self.linger) {
                    self.state.withLock { $0.lingerScheduled = false }
                    self.flushLoop()
                }
            }
            return .success(seq)
        }
    }

    /// Gives one line its seq, time and `prev` and adds it to the pending batch; under the lock.
    private func appendLine(_ state: inout State, type: [UInt8], fields: [UInt8]) -> Int {
        let milliseconds = max(UTCTime.nowMilliseconds(), state.lastMilliseconds)
        state.lastMilliseconds = milliseconds
        let seq = state.nextSeq
        state.nextSeq += 1
        let line = RecordFormat.line(
            seq: seq, milliseconds: milliseconds, run: state.run, type: type, prev: state.prev,
            fields: fields, authenticator: state.authenticator)
        state.prev.removeAll(keepingCapacity: true)
        line.withUnsafeBytes { DigestWords(sha256: $0) }.appendHex(to: &state.prev)
        state.pending.append(contentsOf: line)
        state.pending.append(UInt8(ascii: "\n"))
        state.appended = true
        return seq
    }

    // MARK: Checkpoints

    /// Under the lock, right after a record was added: appends a signed checkpoint to the same
    /// batch when the policy says so, or makes sure a timer will look again.
    private func checkpointIfDue(_ state: inout State, afterFinished: Bool, force: Bool = false) {
        guard var checkpoints = state.checkpoints else { return }
        let unsigned = state.nextSeq - 1 - checkpoints.lastSeq
        guard unsigned > 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let elapsed = now &- checkpoints.lastTime
        if force || afterFinished || unsigned >= checkpoints.policy.everyRecords || elapsed >= checkpoints.intervalNanoseconds {
            let records = state.nextSeq - 1
            let head = String(decoding: state.prev, as: UTF8.self)
            let checkpoint = Checkpoint.signed(
                run: runID.rawValue, records: records, head: head,
                signingKey: checkpoints.policy.signingKey, fingerprint: checkpoints.fingerprint)
            let type = checkpoint.kind.rawValue
            // The fields are well-formed by construction.
            guard let bytes = try? RecordFormat.renderFields(checkpoint.fields, type: type, path: path) else { return }
            checkpoints.lastSeq = appendLine(&state, type: Array(type.utf8), fields: bytes)
            checkpoints.lastTime = now
        } else if !checkpoints.timerScheduled {
            checkpoints.timerScheduled = true
            queue.asyncAfter(deadline: .now() + .nanoseconds(Int(checkpoints.intervalNanoseconds - elapsed))) { [weak self] in
                self?.checkpointOnTimer()
            }
        }
        state.checkpoints = checkpoints
    }

    /// On the queue, when the interval may have passed with unsigned records.
    private func checkpointOnTimer() {
        let wrote = state.withLock { state in
            state.checkpoints?.timerScheduled = false
            guard state.failure == nil, !state.closed, state.descriptorOpen else { return false }
            let before = state.nextSeq
            checkpointIfDue(&state, afterFinished: false)
            return state.nextSeq != before
        }
        if wrote { flushLoop() }
    }

    /// On the queue: writes and syncs batches until none is pending.
    private func flushLoop() {
        while true {
            let batch: (bytes: [UInt8], waiters: [Waiter])? = state.withLock { state in
                guard !state.pending.isEmpty, state.failure == nil, state.descriptorOpen else {
                    state.flushScheduled = false
                    return nil
                }
                let batch = (state.pending, state.waiters)
                state.pending = state.spare
                state.spare = []
                state.waiters = []
                return batch
            }
            guard var batch else { return }
            if let error = writeAndSync(batch.bytes) {
                let abandoned = state.withLock { state in
                    state.failure = error
                    state.flushScheduled = false
                    state.pending = []
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in batch.waiters { waiter.continuation.resume(returning: .failure(error)) }
                for waiter in abandoned { waiter.continuation.resume(returning: .failure(refusal(after: error))) }
                return
            }
            for waiter in batch.waiters { waiter.continuation.resume(returning: .success(waiter.seq)) }
            batch.bytes.removeAll(keepingCapacity: true)
            state.withLock { state in
                if state.spare.capacity < batch.bytes.capacity { state.spare = batch.bytes }
            }
        }
    }

    /// One `write(2)` of the whole batch, then `fdatasync(2)`; nil when both succeeded.
    private func writeAndSync(_ bytes: [UInt8]) -> JournalError? {
        let written = bytes.withUnsafeBytes { buffer in
            var result: Int
            repeat { result = write(descriptor, buffer.baseAddress, buffer.count) } while result < 0 && errno == EINTR
            return result
        }
        if written < 0 {
            return JournalError.system(.write, path: path, "cannot write the journal", errno: errno)
        }
        if written != bytes.count {
            return JournalError(
                .write, path: path,
                message: """
                    \(path): cannot write the journal: wrote only \(written) of \(bytes.count) bytes (is the disk full?); \
                    the last record is torn
                    """)
        }
        var result: Int32
        repeat { result = Self.syncData(descriptor) } while result != 0 && errno == EINTR
        if result != 0 {
            return JournalError.system(.sync, path: path, "cannot make the journal durable (fdatasync)", errno: errno)
        }
        return nil
    }

    /// What a later append throws after a fatal error: the same kind, saying it is a refusal.
    private func refusal(after failure: JournalError) -> JournalError {
        JournalError(
            failure.kind, path: failure.path, errno: failure.errno,
            message: "\(path): refusing to append after an earlier failure: \(failure.message)")
    }

    // MARK: Closing

    /// Waits until every record appended before it is durable, then closes the file and releases the journal's lock.
    /// Later appends throw ``JournalError/Kind/closed``. Closing twice does nothing more.
    ///
    /// - Throws: the fatal error that stopped the writer, if one did (so that a failed journal
    ///   is never mistaken for a sealed one), or ``JournalError/Kind/close``.
    public func close() async throws(JournalError) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, JournalError>, Never>) in
            state.withLock { state in
                // Records still unsigned get a last checkpoint, made durable before close() returns.
                if state.failure == nil, !state.closed, state.checkpoints != nil {
                    checkpointIfDue(&state, afterFinished: false, force: true)
                }
                state.closed = true
                queue.async { continuation.resume(returning: self.finishClose()) }
            }
        }
        try result.get()
    }

    /// On the queue, after every flush scheduled before `closed` was set.
    private func finishClose() -> Result<Void, JournalError> {
        flushLoop()
        let (failure, wasOpen) = state.withLock { state in
            defer { state.descriptorOpen = false }
            return (state.failure, state.descriptorOpen)
        }
        let closeFailure = wasOpen && systemClose(descriptor) != 0 ? errno : nil
        lock.release()
        if let closeFailure {
            return .failure(JournalError.system(.close, path: path, "cannot close the journal", errno: closeFailure))
        }
        return failure.map { .failure($0) } ?? .success(())
    }

    // MARK: Files and directories

    private static func syncData(_ descriptor: Int32) -> Int32 {
        #if os(Linux)
            fdatasync(descriptor)
        #else
            fsync(descriptor)
        #endif
    }

    /// `dir/` → `dir`, `` → `.`; `/` stays.
    package static func normalized(_ directory: String) -> String {
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        return directory.isEmpty ? "." : directory
    }

    /// Creates `path` and its missing parents (mode 0750), each made durable in its parent.
    package static func makeDirectory(_ path: String) throws(JournalError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw JournalError(.create, path: path, message: "\(path): exists and is not a directory; give a directory for journals")
            }
            return
        }
        let code = errno
        guard code == ENOENT else { throw JournalError.system(.create, path: path, "cannot use the journal directory", errno: code) }
        let parent = FilePaths.parent(of: path)
        if parent != path { try makeDirectory(parent) }
        if mkdir(path, 0o750) != 0, errno != EEXIST {
            throw JournalError.system(.create, path: path, "cannot create the journal directory", errno: errno)
        }
        try syncDirectory(parent)
    }

    /// `fsync(2)` of a directory, so that a new entry in it survives a crash.
    static func syncDirectory(_ path: String) throws(JournalError) {
        switch DurableDirectory.sync(path) {
        case nil: return
        case let failure? where failure.call == "open":
            throw JournalError.system(.create, path: path, "cannot open the journal directory to sync it", errno: failure.errno)
        case let failure?:
            throw JournalError.system(.create, path: path, "cannot make the journal directory durable (fsync)", errno: failure.errno)
        }
    }
}

/// `close(2)`, named apart from ``JournalWriter/close()``.
@inline(__always)
package func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(descriptor)
    #else
        Darwin.close(descriptor)
    #endif
}
