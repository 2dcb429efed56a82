import FiletJournal
import FiletTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tampers with real journals (10 lines: run.started, 8 steps, run.finished) in each way an
/// attacker or an accident could, and checks that each is caught with its own kind and line.
@Suite struct JournalVerifierTests {
    /// A fresh sample journal, its lines, and where it is.
    private func sample(key: [UInt8]? = nil) async throws -> (directory: TemporaryDirectory, path: String, lines: [[UInt8]]) {
        let directory = try TemporaryDirectory()
        let path = try await writeSampleJournal(in: directory.path, steps: 8, key: key)
        return (directory, path, try lines(of: path))
    }

    private func problems(_ path: String, key: [UInt8]? = nil, runbook: String? = nil) throws -> [String] {
        try JournalVerifier.verify(path: path, key: key, runbookSHA256: runbook).problems.map { "\($0.line) \($0.kind)" }
    }

    @Test func anUntouchedJournalIsIntact() async throws {
        let (directory, path, _) = try await sample()
        defer { directory.remove() }
        let verification = try JournalVerifier.verify(path: path, runbookSHA256: sampleRunbookSHA256)
        #expect(verification.isIntact)
        #expect(verification.isClosed)
        #expect(verification.verifiedThrough == 10)
        #expect(verification.verdict == "intact: verified 1..10 of 10 records (hash chain), run closed")
    }

    @Test func aModifiedRecordIsCaughtOnItsLine() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines[4] = Array(text(lines[4]).replacingOccurrences(of: #""outcome":"succeeded""#, with: #""outcome":"failed""#).utf8)
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 modified"])
        #expect(
            verification.problems[0].description == """
                line 5: modified: the record (seq 5) was modified: its SHA-256 no longer matches the prev of the next record (line 6, seq 6)
                """)
        #expect(verification.verifiedThrough == 4)
        #expect(verification.verdict == "NOT INTACT: verified 1..4 of 10 records (hash chain); 1 problem, the first on line 5")
    }

    @Test func aDeletedRecordIsCaughtWhereTheGapIs() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines.remove(at: 4)
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 deleted"])
        #expect(
            verification.problems[0].message == "record seq 5 is missing between line 4 (seq 4) and line 5 (seq 6): the chain breaks there")
        #expect(verification.verifiedThrough == 4)
    }

    @Test func deletedRecordsAtTheStartAndSeveralInARow() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines.removeSubrange(5...7)
        lines.removeFirst()
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["1 deleted", "5 deleted"])
        #expect(
            verification.problems.map(\.message) == [
                "record seq 1 is missing before line 1: a journal starts at seq 1",
                "records seq 6–8 are missing between line 4 (seq 5) and line 5 (seq 9): the chain breaks there",
            ])
        #expect(verification.verifiedThrough == 0)
    }

    @Test func swappedRecordsAreReordered() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines.swapAt(3, 4)
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 reordered"])
        #expect(verification.problems[0].message == "records out of order: seq 4 comes after seq 5 (line 4); the chain places it elsewhere")
        #expect(verification.verifiedThrough == 3)
    }

    @Test func aRecordMovedFarIsOneReorder() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        let moved = lines.remove(at: 2)
        lines.insert(moved, at: 8)
        try write(lines: lines, to: path)
        #expect(try problems(path) == ["9 reordered"])
    }

    @Test func aForgedRecordWithAPlausibleSeqAndPrevIsInserted() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        // The forger copies record 5 (so seq 5 and a prev that matches record 4) and changes it.
        let forged = Array(text(lines[4]).replacingOccurrences(of: #""outcome":"succeeded""#, with: #""outcome":"skipped""#).utf8)
        lines.insert(forged, at: 4)
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 inserted"])
        #expect(
            verification.problems[0].message
                == "a second record with seq 5: the chain goes through line 6, and removing this one restores it")
        #expect(verification.verifiedThrough == 4)
    }

    @Test func aForeignRecordAndACopiedRecordAreInserted() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        let run = try #require(member("run", in: lines[0]))
        let foreign =
            #"{"seq":42,"ts":"2026-11-29T08:15:02.123Z","run":"\#(run)","type":"confirm.granted","prev":"\#(String(repeating: "ab", count: 32))","by":"mallory"}"#
        lines.insert(Array(foreign.utf8), at: 3)
        lines.insert(lines[7], at: 8)
        try write(lines: lines, to: path)
        #expect(try problems(path) == ["4 inserted", "9 inserted"])
    }

    @Test func aChangedSeqIsAModifiedRecord() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines[4] = Array(text(lines[4]).replacingOccurrences(of: #"{"seq":5,"#, with: #"{"seq":50,"#).utf8)
        try write(lines: lines, to: path)
        #expect(try problems(path) == ["5 modified"])
    }

    @Test func aDroppedRunFinishedMeansNotClosed() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines.removeLast()
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["9 not-closed"])
        #expect(
            verification.problems[0].message == """
                the journal ends at line 9 (seq 9) without run.finished: the run was interrupted, or the end of the journal was cut off
                """)
        #expect(verification.verifiedThrough == 9)
        #expect(!verification.isClosed)
    }

    @Test func aTornTailIsNotTampering() async throws {
        let (directory, path, lines) = try await sample()
        defer { directory.remove() }
        let size = lines.reduce(0) { $0 + $1.count + 1 }
        #expect(truncate(path, off_t(size - 20)) == 0)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["9 not-closed", "10 torn-tail"])
        #expect(
            verification.problems[1].message.hasPrefix(
                "the last line is torn (it has no newline: its write was cut short): a crash during a write, not tampering"))
        #expect(verification.verifiedThrough == 9)
        #expect(verification.recordCount == 9)
        #expect(verification.lineCount == 10)

        let contents = try JournalReader.read(path: path)
        #expect(contents.records.count == 9)
        #expect(contents.tornTail?.line == 10)
        #expect(contents.tornTail?.bytes == Array(lines[9].prefix(lines[9].count - 19)))
    }

    @Test func truncationAtALineEndIsOnlyNotClosed() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines.removeLast(3)
        try write(lines: lines, to: path)
        #expect(try problems(path) == ["7 not-closed"])
    }

    @Test func anUnparseableMiddleLineIsCorruption() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        lines[5] = Array(lines[5].prefix(30))
        try write(lines: lines, to: path)
        #expect(try problems(path) == ["6 corrupt"])
        #expect(throws: JournalError.self) { try JournalReader.read(path: path) }
        do { _ = try JournalReader.read(path: path) } catch { #expect(error.kind == .corrupt) }
    }

    @Test func withAKeyARewrittenChainFailsItsMACs() async throws {
        var (directory, path, lines) = try await sample(key: sampleKey)
        defer { directory.remove() }
        // Without the key, the forger changes record 5 and recomputes every later prev.
        lines[4] = Array(text(lines[4]).replacingOccurrences(of: #""outcome":"succeeded""#, with: #""outcome":"failed""#).utf8)
        for index in 5..<lines.count {
            let prev = try #require(member("prev", in: lines[index]))
            lines[index] = Array(text(lines[index]).replacingOccurrences(of: prev, with: try sha256sum(lines[index - 1])).utf8)
        }
        try write(lines: lines, to: path)
        #expect(try problems(path) == [], "without the key, a rewritten chain cannot be told from the real one")
        let verification = try JournalVerifier.verify(path: path, key: sampleKey)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 bad-mac"])
        #expect(verification.problems[0].message == "the MAC of the records on lines 5–10 does not match: forged or corrupt")
        #expect(verification.verifiedThrough == 4)
    }

    @Test func withAKeyAModifiedRecordSaysItsMACFailsToo() async throws {
        var (directory, path, lines) = try await sample(key: sampleKey)
        defer { directory.remove() }
        lines[4] = Array(text(lines[4]).replacingOccurrences(of: #""outcome":"succeeded""#, with: #""outcome":"failed""#).utf8)
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path, key: sampleKey)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 modified"])
        #expect(verification.problems[0].message.hasSuffix("; its MAC does not match either"))
    }

    @Test func aWrongKeyIsReported() async throws {
        let (directory, path, _) = try await sample(key: sampleKey)
        defer { directory.remove() }
        let verification = try JournalVerifier.verify(path: path, key: Array("another key, 16+ bytes".utf8))
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["1 wrong-key"])
        #expect(verification.verifiedThrough == 0)
        #expect(verification.verdict == "NOT INTACT: verified 0 of 10 records (hash chain and MACs); 1 problem, the first on line 1")
        #expect(
            try JournalVerifier.verify(path: path).verdict
                == "intact: verified 1..10 of 10 records (hash chain; MACs not checked: no key), run closed")
    }

    @Test func aKeyForAJournalWrittenWithoutOneReportsMissingMACs() async throws {
        let (directory, path, _) = try await sample()
        defer { directory.remove() }
        let verification = try JournalVerifier.verify(path: path, key: sampleKey)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["1 missing-mac"])
        #expect(verification.problems[0].message.hasPrefix("the records on lines 1–10 have no MAC although a key was given"))
    }

    @Test func aTimeGoingBackwardsIsReported() async throws {
        var (directory, path, lines) = try await sample()
        defer { directory.remove() }
        let ts = try #require(member("ts", in: lines[4]))
        lines[4] = Array(text(lines[4]).replacingOccurrences(of: ts, with: "2001-01-01T00:00:00.000Z").utf8)
        for index in 5..<lines.count {
            let prev = try #require(member("prev", in: lines[index]))
            lines[index] = Array(text(lines[index]).replacingOccurrences(of: prev, with: try sha256sum(lines[index - 1])).utf8)
        }
        try write(lines: lines, to: path)
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["5 time-backwards"])
        #expect(verification.verifiedThrough == 4)
    }

    @Test func aJournalUnderAnotherRunsNameIsReported() async throws {
        let (directory, path, _) = try await sample()
        defer { directory.remove() }
        let renamed = directory.path + "/20200101T000000Z-0000.jsonl"
        try FileManager.default.moveItem(atPath: path, toPath: renamed)
        let verification = try JournalVerifier.verify(path: renamed)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["1 wrong-run"])
        #expect(
            verification.problems[0].message == "the records on lines 1–10 belong to another run: their run is not 20200101T000000Z-0000")
    }

    @Test func anotherRunbookIsReported() async throws {
        let (directory, path, _) = try await sample()
        defer { directory.remove() }
        #expect(try problems(path, runbook: String(repeating: "0", count: 64)) == ["1 runbook-mismatch"])
    }

    @Test func anEmptyJournalIsNotClosed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/20261129T081502Z-4f2a.jsonl"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let verification = try JournalVerifier.verify(path: path)
        #expect(verification.problems.map { "\($0.line) \($0.kind)" } == ["1 not-closed"])
        #expect(verification.verdict == "NOT INTACT: verified 0 of 0 records (hash chain); 1 problem, the first on line 1")
    }

    @Test func aMissingFileIsAnError() {
        do {
            _ = try JournalVerifier.verify(path: "/nonexistent/20261129T081502Z-4f2a.jsonl")
            Issue.record("verified a missing file")
        } catch {
            #expect(error.kind == .read)
            #expect(
                error.message
                    == "/nonexistent/20261129T081502Z-4f2a.jsonl: no such file (a part of the path is not a directory) (a journal is a .jsonl file)"
                    || error.message == "/nonexistent/20261129T081502Z-4f2a.jsonl: no such file (a journal is a .jsonl file)")
            #expect(error.errno == ENOENT || error.errno == ENOTDIR)
        }
    }
}
