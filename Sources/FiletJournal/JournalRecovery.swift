import Foundation

#if canImport(Glibc)
    import Glibc
    public import FiletSupport
#elseif canImport(Darwin)
    import Darwin
    import FiletSupport
#endif

/// What ``JournalRecovery/repairTornTail(path:)`` did to a journal whose last line was torn.
public struct JournalRepair: Sendable {
    /// The journal file.
    public var path: String
    /// The 1-based number of the torn line.
    public var line: Int
    /// How many bytes were cut off the end of the journal (the torn line, with its newline if it had one).
    public var droppedBytes: Int
    /// Where those bytes were saved: `JOURNAL.broken` (or `JOURNAL.broken.2`, … when that exists).
    public var savedTo: String
    /// Why the line is not a whole record.
    public var reason: String

    /// The fields of the `journal.recovered` record that says so in the journal.
    public var recordFields: [(String, JSONValue)] {
        JournalRecovered(line: line, droppedBytes: droppedBytes, savedTo: savedTo, reason: reason).fields
    }
}

/// Repairs what a crash leaves at the end of a journal, as etcd repairs its write-ahead log: a torn
/// last line is saved aside, then cut off, so that the journal ends with its last whole record and can be
/// continued. Nothing else is ever changed: a journal damaged anywhere else is refused by its callers.
public enum JournalRecovery: Sendable {
    /// Cuts off the torn last line of the journal at `path`, if it has one, after saving its bytes
    /// to `PATH.broken`; the truncation and the saved file are made durable (`fsync`). Returns nil when
    /// the last line is a whole record.
    public static func repairTornTail(path: String) throws(JournalError) -> JournalRepair? {
        let contents = try JournalReader.read(path: path)
        guard let torn = contents.tornTail else { return nil }
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw JournalError.system(.write, path: path, "cannot open the journal to repair it", errno: errno) }
        defer { _ = systemClose(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw JournalError.system(.read, path: path, "cannot read the journal's size", errno: errno)
        }
        let size = Int(info.st_size)
        // The torn line may still end with its newline (a whole line that is not a record): cut that too.
        var last: UInt8 = 0
        let terminated = size > 0 && pread(descriptor, &last, 1, off_t(size - 1)) == 1 && last == UInt8(ascii: "\n")
        let dropped = torn.bytes.count + (terminated ? 1 : 0)
        guard dropped <= size else {
            throw JournalError(.corrupt, path: path, message: "\(path): the torn last line is longer than the file; nothing repaired")
        }
        let savedTo = try saveAside(torn.bytes, next: path)
        guard ftruncate(descriptor, off_t(size - dropped)) == 0 else {
            throw JournalError.system(.write, path: path, "cannot cut the torn last line off the journal", errno: errno)
        }
        guard fsync(descriptor) == 0 else {
            throw JournalError.system(.sync, path: path, "cannot make the repaired journal durable (fsync)", errno: errno)
        }
        return JournalRepair(path: path, line: torn.line, droppedBytes: dropped, savedTo: savedTo, reason: torn.reason)
    }

    /// Writes `bytes` to a new `PATH.broken` (or `.broken.2`, …), durably, and returns its path.
    private static func saveAside(_ bytes: [UInt8], next path: String) throws(JournalError) -> String {
        var number = 1
        while true {
            let candidate = number == 1 ? path + ".broken" : path + ".broken.\(number)"
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
            if descriptor < 0 {
                if errno == EEXIST && number < 1000 {
                    number += 1
                    continue
                }
                throw JournalError.system(.create, path: candidate, "cannot save the torn last line aside", errno: errno)
            }
            defer { _ = systemClose(descriptor) }
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(descriptor) == 0 else {
                throw JournalError.system(.write, path: candidate, "cannot save the torn last line aside", errno: errno)
            }
            try JournalWriter.syncDirectory(FilePaths.parent(of: candidate))
            return candidate
        }
    }
}

extension JournalWriter {
    /// Reopens an existing journal to continue it (a resumed run): the next record follows the last one
    /// in seq, `prev` and time, and is signed with the same key. The journal must end with a whole record
    /// (see ``JournalRecovery/repairTornTail(path:)``); checking that it verifies is the caller's work.
    ///
    /// - Parameter lock: the journal's lock, taken before its records were read: the writer holds it from now on and
    ///   releases it on ``close()``. When this throws, the lock is still the caller's.
    /// - Throws: ``JournalError/Kind/read``, ``JournalError/Kind/corrupt`` (a torn tail, no record, or a
    ///   run id that is not one), ``JournalError/Kind/invalidKey``, ``JournalError/Kind/write``.
    public static func reopen(
        path: String, key: [UInt8]?, checkpoints: CheckpointPolicy? = nil, lock: JournalLock
    ) throws(JournalError) -> JournalWriter {
        if let key { try JournalKey.validate(key) }
        let contents = try JournalReader.read(path: path)
        if let torn = contents.tornTail {
            throw JournalError(
                .corrupt, path: path, message: "\(path):\(torn.line): the last line is torn (\(torn.reason)); repair it first")
        }
        guard let last = contents.records.last else {
            throw JournalError(.corrupt, path: path, message: "\(path): the journal holds no record: there is nothing to continue")
        }
        guard let runID = RunID(last.run) else {
            throw JournalError(.corrupt, path: path, message: "\(path):\(last.line): '\(last.run)' is not a run id")
        }
        var prev: [UInt8] = []
        last.bytes.withUnsafeBytes { DigestWords(sha256: $0) }.appendHex(to: &prev)
        let milliseconds =
            Array(last.timestamp.utf8).withUnsafeBufferPointer { UTCTime.parseRFC3339($0, at: 0) } ?? UTCTime.nowMilliseconds()
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw JournalError.system(.write, path: path, "cannot reopen the journal", errno: errno) }
        return JournalWriter(
            adopting: descriptor, lock: lock, path: path, runID: runID, nextSeq: last.seq + 1,
            prev: String(decoding: prev, as: UTF8.self), lastMilliseconds: milliseconds, key: key, checkpoints: checkpoints)
    }
}
