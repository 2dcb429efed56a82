import FiletJournal
import FiletSupport
import FiletTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Continuing a journal (`filet resume`): reopening it, repairing a torn tail, and what "closed" means after a resume.
@Suite struct JournalResumeTests {
    @Test(arguments: [nil, sampleKey])
    func aReopenedJournalContinuesTheChainAndVerifiesAfterRunResumed(key: [UInt8]?) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 3, key: key)
        let writer = try JournalWriter.reopen(path: path, key: key, lock: JournalLock.acquire(journal: path))
        #expect(try await writer.append("run.resumed", [("operator", "chef")]) == 6)
        try await writer.append("step.finished", [("step", "step-4"), ("outcome", "succeeded")])
        try await writer.append("run.finished", [("status", "succeeded")])
        try await writer.close()
        let verification = try JournalVerifier.verify(path: path, key: key)
        #expect(verification.problems.isEmpty, "\(verification.problems)")
        #expect(verification.isClosed)
        #expect(verification.verifiedThrough == 8)
    }

    @Test func aRecordAfterRunFinishedOtherThanRunResumedIsInserted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 3)
        let writer = try JournalWriter.reopen(path: path, key: nil, lock: JournalLock.acquire(journal: path))
        try await writer.append("step.finished", [("step", "step-4"), ("outcome", "succeeded")])
        try await writer.close()
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["6 inserted"])
    }

    @Test func aResumedRunThatCrashedAgainIsNotClosed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 3)
        let writer = try JournalWriter.reopen(path: path, key: nil, lock: JournalLock.acquire(journal: path))
        try await writer.append("run.resumed", [("operator", "chef")])
        try await writer.close()
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["6 not-closed"])
    }

    @Test func aTornTailIsSavedAsideAndCutOff() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 3)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let torn = Data(#"{"seq":6,"ts":"20"#.utf8)
        try (whole + torn).write(to: URL(fileURLWithPath: path))

        let repair = try #require(try JournalRecovery.repairTornTail(path: path))
        #expect(repair.line == 6)
        #expect(repair.droppedBytes == torn.count)
        #expect(repair.savedTo == path + ".broken")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == whole)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".broken")) == torn)
        #expect(try JournalRecovery.repairTornTail(path: path) == nil)
    }
}
