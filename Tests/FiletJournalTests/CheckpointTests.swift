import FiletSupport
import FiletTestSupport
import Foundation
import Testing

@testable import FiletJournal

/// Signed checkpoints written by ``JournalWriter`` and checked by ``JournalVerifier``, on real files.
@Suite struct CheckpointTests {
    /// run.started, `steps` step.finished, run.finished, with a checkpoint every `every` records.
    static func signedJournal(
        in directory: String, key: SigningKey, steps: Int = 8, every: Int = 4,
        // A day: on a loaded machine the tests that count records must never see a checkpoint made because time passed.
        interval: Duration = .seconds(86_400), finish: Bool = true
    ) async throws -> String {
        let policy = CheckpointPolicy(signingKey: key, everyRecords: every, interval: interval)
        let writer = try JournalWriter.create(
            directory: directory, runID: .generate(), runbookSHA256: sampleRunbookSHA256,
            key: nil, checkpoints: policy)
        try await writer.append("run.started", [("runbook", "essai")])
        for step in 1...steps { try await writer.append("step.finished", [("step", .string("s\(step)"))]) }
        if finish { try await writer.append("run.finished", [("status", "succeeded")]) }
        try await writer.close()
        return writer.path
    }

    static func types(_ lines: [[UInt8]]) -> [String] { lines.map { member("type", in: $0) ?? "?" } }

    /// A checkpoint line rebuilt with other signed fields (no MAC: these journals have none).
    static func rewriteCheckpoint(_ line: [UInt8], records: Int, head: String, key: SigningKey) throws -> [UInt8] {
        let text = text(line)
        let run = try #require(member("run", in: line))
        let start = try #require(text.range(of: #","records":"#))
        let fields = Checkpoint.signed(run: run, records: records, head: head, signingKey: key, fingerprint: key.publicKey.fingerprint)
            .fields
        let rendered = try RecordFormat.renderFields(fields, type: "checkpoint", path: "test")
        return Array(text[..<start.lowerBound].utf8) + rendered + [UInt8(ascii: "}")]
    }

    @Test func checkpointsEveryNRecordsAndAfterRunFinishedVerifyWithThePublicKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = SigningKey.generate()
        let path = try await Self.signedJournal(in: directory.path, key: key)
        let lines = try lines(of: path)
        // 10 records, a checkpoint after every 4 and after run.finished.
        #expect(
            Self.types(lines) == [
                "run.started", "step.finished", "step.finished", "step.finished", "checkpoint",
                "step.finished", "step.finished", "step.finished", "step.finished", "checkpoint",
                "step.finished", "run.finished", "checkpoint",
            ])
        // head is the hex SHA-256 of the line before, as `sha256sum` computes it; records is the seq before.
        #expect(member("head", in: lines[4]) == (try sha256sum(lines[3])))
        #expect(text(lines[4]).contains(#""records":4,"#))

        let verification = try JournalVerifier.verify(path: path, publicKey: key.publicKey)
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.signing == .init(checkpoints: 3, signaturesChecked: true, signedThrough: 12, unsignedTail: 0))
        #expect(
            verification.verdict
                == "intact: verified 1..13 of 13 records, signed up to 12, unsigned tail 0 records (hash chain, checkpoint signatures), run closed"
        )
    }

    @Test func theFinalCheckpointIsDurableWhenRunFinishedReturns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(
            directory: directory.path, runID: .generate(), runbookSHA256: sampleRunbookSHA256,
            key: nil, checkpoints: CheckpointPolicy(signingKey: .generate()))
        try await writer.append("run.started", [])
        try await writer.append("run.finished", [("status", "succeeded")])
        // Before close(): run.finished and its checkpoint went out in the same batch.
        #expect(Self.types(try lines(of: writer.path)) == ["run.started", "run.finished", "checkpoint"])
        try await writer.close()
        #expect(try lines(of: writer.path).count == 3)
    }

    @Test func aCheckpointAfterTheIntervalWithoutMoreRecords() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(
            directory: directory.path, runID: .generate(), runbookSHA256: sampleRunbookSHA256, key: nil,
            checkpoints: CheckpointPolicy(signingKey: .generate(), everyRecords: 64, interval: .milliseconds(200)))
        try await writer.append("run.started", [])
        try await writer.append("step.started", [("step", "a")])
        var found = false
        for _ in 0..<100 where !found {
            try await Task.sleep(for: .milliseconds(50))
            found = Self.types(try lines(of: writer.path)).last == "checkpoint"
        }
        // Written by the timer, before close(): the last record is a checkpoint covering everything before it
        // (on a loaded machine the interval may also pass between the two appends, adding an earlier checkpoint).
        #expect(found)
        let types = Self.types(try lines(of: writer.path))
        #expect(types.filter { $0 != "checkpoint" } == ["run.started", "step.started"] && types.last == "checkpoint")
        try await writer.close()
        #expect(Self.types(try lines(of: writer.path)) == types)
        let verification = try JournalVerifier.verify(path: writer.path)
        #expect(verification.signing?.unsignedTail == 0 && verification.signing?.signedThrough == types.count - 1)
    }

    @Test func truncationAfterTheLastCheckpointIsReportedWhileTheChainIsIntact() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = SigningKey.generate()
        let path = try await Self.signedJournal(in: directory.path, key: key)
        let all = try lines(of: path)
        // Cut the final checkpoint; then cut it and run.finished; then cut back exactly to a middle checkpoint.
        for (keep, line, tail) in [(12, 11, 2), (11, 11, 1), (10, 10, 0)] {
            try write(lines: Array(all.prefix(keep)), to: path)
            let chainOnly = try JournalVerifier.verify(path: path)
            #expect(chainOnly.verifiedThrough == keep)
            // Without the final checkpoint, the chain alone sees a closed, intact run.
            #expect(chainOnly.problems.map(\.kind) == (keep == 12 ? [] : [.notClosed]))
            let signed = try JournalVerifier.verify(path: path, publicKey: key.publicKey)
            let problem = try #require(signed.problems.first { $0.kind == .unsignedTail }, "kept \(keep): \(signed.problems)")
            #expect(problem.line == line)
            #expect(signed.signing?.signedThrough == 9)
            #expect(signed.signing?.unsignedTail == tail)
            #expect(signed.verifiedThrough == keep)
        }
    }

    @Test func aCheckpointReSignedWithAnotherKeyIsForeign() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = SigningKey.generate()
        let other = SigningKey.generate()
        let path = try await Self.signedJournal(in: directory.path, key: key)
        var all = try lines(of: path)
        let last = all.count - 1
        all[last] = try Self.rewriteCheckpoint(all[last], records: last, head: try sha256sum(all[last - 1]), key: other)
        try write(lines: all, to: path)
        let verification = try JournalVerifier.verify(path: path, publicKey: key.publicKey)
        #expect(verification.problems.map(\.kind).contains(.foreignKey))
        #expect(verification.problems.first { $0.kind == .foreignKey }?.line == all.count)
        // The other key's own checkpoint is consistent with the chain: without a public key, nothing to say.
        #expect(try JournalVerifier.verify(path: path).isIntact)
        #expect(try JournalVerifier.verify(path: path, publicKey: other.publicKey).problems.contains { $0.kind == .foreignKey })
    }

    @Test func aForgedCheckpointIsBad() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = SigningKey.generate()
        let path = try await Self.signedJournal(in: directory.path, key: key)
        let original = try lines(of: path)
        // Wrong head, properly signed by the real key: it does not match the chain, with or without the public key.
        var forged = original
        forged[4] = try Self.rewriteCheckpoint(original[4], records: 4, head: String(repeating: "ab", count: 32), key: key)
        try write(lines: forged, to: path)
        let chainOnly = try JournalVerifier.verify(path: path)
        #expect(chainOnly.problems.map(\.kind).contains(.badCheckpoint))
        #expect(try JournalVerifier.verify(path: path, publicKey: key.publicKey).problems.map(\.kind).contains(.badCheckpoint))
        // The last checkpoint's records changed by text: its signature no longer matches.
        var edited = original
        let last = edited.count - 1
        let text = text(edited[last]).replacingOccurrences(of: #""records":12"#, with: #""records":11"#)
        edited[last] = Array(text.utf8)
        try write(lines: edited, to: path)
        let problems = try JournalVerifier.verify(path: path, publicKey: key.publicKey).problems
        #expect(problems.contains { $0.kind == .badCheckpoint && $0.line == original.count }, "\(problems)")
    }

    @Test func anUnsignedJournalWithAPublicKeyIsAnUnsignedTail() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path)
        let verification = try JournalVerifier.verify(path: path, publicKey: SigningKey.generate().publicKey)
        #expect(verification.problems.map(\.kind) == [.unsignedTail])
        #expect(verification.signing?.unsignedTail == 10)
        #expect(try JournalVerifier.verify(path: path).signing == nil)
    }

    @Test func anchorsMatchTheirPrefix() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path)
        let all = try lines(of: path)
        try write(lines: Array(all.prefix(6)), to: path)
        let anchor = try #require(try JournalVerifier.verify(path: path).currentAnchor)
        #expect(anchor.records == 6)
        #expect(anchor.head == (try sha256sum(all[5])))
        #expect(try JournalAnchor(line: "  " + anchor.line + "\n") == anchor)
        try write(lines: all, to: path)
        let later = try JournalVerifier.verify(path: path, anchor: anchor)
        #expect(later.isIntact)
        #expect(later.anchor?.recordsAfter == 4)
        try write(lines: Array(all.prefix(5)), to: path)
        #expect(try JournalVerifier.verify(path: path, anchor: anchor).problems.contains { $0.kind == .anchorTruncated })
        var modified = all
        modified[5] = Array(text(all[5]).replacingOccurrences(of: "step-5", with: "step-X").utf8)
        try write(lines: modified, to: path)
        #expect(try JournalVerifier.verify(path: path, anchor: anchor).problems.contains { $0.kind == .anchorMismatch })
    }

    @Test func keyFilesRoundTripAndRefuseToOverwrite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try SigningKeyFiles.generate(in: directory.path)
        let privatePath = directory.path + "/filet-signing.key"
        let publicPath = directory.path + "/filet-signing.pub"
        let mode = try #require(FileManager.default.attributesOfItem(atPath: privatePath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try SigningKey(path: privatePath).publicKey == key.publicKey)
        #expect(try VerifyingKey(path: publicPath) == key.publicKey)
        #expect(throws: CheckpointError.self) { try SigningKey(path: publicPath) }
        #expect(throws: CheckpointError.self) { try SigningKeyFiles.generate(in: directory.path) }
        #expect(try SigningKey(path: privatePath).publicKey == key.publicKey)
    }
}
