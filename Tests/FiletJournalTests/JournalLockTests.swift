import FiletSupport
import FiletTestSupport
import Foundation
import Testing

@testable import FiletJournal

#if canImport(Glibc)
    import Glibc
#endif

/// One writer per journal: the lock file beside it, who it names, and what is left when it is given up.
@Suite struct JournalLockTests {
    /// A lock file as a filet of this host killed with SIGKILL leaves it: its flock gone with the process, its name
    /// still there.
    static let goneHolder = JournalLockHolder(
        pid: 999_999, host: ProcessInfo.processInfo.hostName, started: "2026-11-29T08:15:02.123Z",
        bootID: "19ef4d0a-3ecd-4b6e-97b3-1356034b875a",
        processStart: 479_142)

    static func leaveLockFile(for journal: String, naming holder: JournalLockHolder) throws -> Data {
        let bytes = Data((holder.json.rendered(pretty: false) + "\n").utf8)
        try bytes.write(to: URL(fileURLWithPath: journal + ".lock"))
        return bytes
    }

    @Test func aSecondWriterIsRefusedNamingTheHolderUntilTheFirstReleases() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = directory.path + "/j.jsonl"
        let lock = try JournalLock.acquire(journal: journal)
        #expect(lock.path == journal + ".lock")
        #expect(lock.takenOver == nil)
        let named = try #require(JournalLockHolder(lockFile: Array(try Data(contentsOf: URL(fileURLWithPath: lock.path)))))
        #expect(named.pid == Int(getpid()) && named.host == ProcessInfo.processInfo.hostName && named.isRunning)
        do {
            _ = try JournalLock.acquire(journal: journal)
            Issue.record("a second lock of the same journal was granted")
        } catch {
            #expect(error.kind == .locked)
            #expect(error.message.hasPrefix("\(journal) is being written by another filet (pid \(getpid()) on host "), "\(error.message)")
        }
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: lock.path), "a released lock leaves no file")
        let again = try JournalLock.acquire(journal: journal)
        #expect(again.takenOver == nil)
        again.release()
    }

    @Test func aLockLeftByAHolderThatIsGoneIsTakenOverAndPutBackWhenNothingWasWritten() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let journal = directory.path + "/j.jsonl"
        let left = try Self.leaveLockFile(for: journal, naming: Self.goneHolder)
        #expect(!Self.goneHolder.isRunning)

        let refused = try JournalLock.acquire(journal: journal)
        #expect(refused.takenOver == Self.goneHolder)
        refused.releaseUnwritten()
        #expect(try Data(contentsOf: URL(fileURLWithPath: journal + ".lock")) == left, "left as it was found")

        let taken = try JournalLock.acquire(journal: journal)
        #expect(taken.takenOver == Self.goneHolder)
        taken.release()
        #expect(!FileManager.default.fileExists(atPath: journal + ".lock"))
    }

    @Test func aWriterHoldsItsJournalUntilItIsClosed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: sampleRunbookSHA256, key: nil)
        try await writer.append(.runTimedOut, [("limit", "30s")])
        #expect(throws: JournalError.self) { try JournalLock.acquire(journal: writer.path) }
        try await writer.close()
        #expect(!FileManager.default.fileExists(atPath: writer.path + ".lock"))

        let lock = try JournalLock.acquire(journal: writer.path)
        let reopened = try JournalWriter.reopen(path: writer.path, key: nil, lock: lock)
        #expect(throws: JournalError.self) { try JournalLock.acquire(journal: writer.path) }
        try await reopened.close()
        #expect(!FileManager.default.fileExists(atPath: writer.path + ".lock"))
    }
}
