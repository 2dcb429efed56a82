import FiletRunbook
import FiletSupport
import FiletTestSupport
import Foundation
import Testing

@testable import FiletJournal

/// The typed schema: the one place record types are spelled, and a lossless encoding of what filet wrote before it.
@Suite struct JournalSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schemaFile = "Sources/FiletJournal/JournalSchema.swift"

    /// Every `"run.started"`-like literal of a Swift file, as `line: literal`, comment lines left out.
    static func recordTypeLiterals(in text: String) -> [(line: Int, literal: String)] {
        let quoted = JournalRecordKind.allCases.map { "\"\($0.rawValue)\"" }
        var found: [(line: Int, literal: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
            for literal in quoted where line.contains(literal) { found.append((index + 1, literal)) }
        }
        return found
    }

    @Test func theScanFindsALiteral() {
        let found = Self.recordTypeLiterals(in: "let a = 1\n// \"run.finished\" in a comment\nif type == \"run.finished\" {}\n")
        #expect(found.map(\.line) == [3])
    }

    @Test func noRecordTypeLiteralOutsideTheSchema() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter {
            $0.hasSuffix(".swift")
        }
        var offenders: [String] = []
        var inSchema: Set<String> = []
        for file in files.sorted() {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (line, literal) in Self.recordTypeLiterals(in: text) {
                if "Sources/" + file == Self.schemaFile {
                    inSchema.insert(literal)
                } else {
                    offenders.append("Sources/\(file):\(line): \(literal)")
                }
            }
        }
        // The scan read the schema and saw each of its names: it would see them anywhere else too.
        #expect(inSchema.count == JournalRecordKind.allCases.count, "the scan missed literals of \(Self.schemaFile): \(inSchema.sorted())")
        #expect(
            offenders.isEmpty,
            "record types spelled outside \(Self.schemaFile) (use JournalRecordKind):\n\(offenders.joined(separator: "\n"))")
    }

    /// The journals written by the filet of 7478767 (see `Tests/Fixtures/legacy/README.md`).
    static var legacyJournals: [String] {
        let folder = root.appendingPathComponent("Tests/Fixtures/legacy").path
        let paths = (FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".jsonl") }
        return paths.sorted().map { folder + "/" + $0 }
    }

    @Test func everyLegacyRecordDecodesAndEncodesToTheSameBytes() throws {
        let journals = Self.legacyJournals
        #expect(journals.count == 8)
        var kinds: Set<JournalRecordKind> = []
        for path in journals {
            let contents = try JournalReader.read(path: path)
            #expect(contents.tornTail == nil)
            let key = contents.records.first?.mac == nil ? nil : LineAuthenticator(key: Array("legacy-fixture-journal-key".utf8))
            for record in contents.records {
                let payload = try record.decoded().payload
                kinds.insert(payload.kind)
                #expect(payload.kind.rawValue == record.type, "\(path):\(record.line)")
                let milliseconds = try #require(Array(record.timestamp.utf8).withUnsafeBufferPointer { UTCTime.parseRFC3339($0, at: 0) })
                let line = RecordFormat.line(
                    seq: record.seq, milliseconds: milliseconds, run: Array(record.run.utf8), type: Array(payload.kind.rawValue.utf8),
                    prev: Array(record.prev.utf8), fields: try RecordFormat.renderFields(payload.fields, type: record.type, path: path),
                    authenticator: key)
                #expect(text(line) == text(record.bytes), "\(path):\(record.line)")
            }
        }
        #expect(
            Set(JournalRecordKind.allCases).subtracting(kinds) == Self.addedSinceTheFixtures,
            "the fixtures hold a record of every type but those added since")
    }

    /// The record types that the filet of the fixtures did not write.
    static let addedSinceTheFixtures: Set<JournalRecordKind> = [.stepProcess, .processKilled]

    /// What was added after the fixtures: fields at the end of their record, written only when they say something, read
    /// back as they were written; their absence (an earlier filet's record) reads as the old meaning.
    @Test func fieldsAndRecordsAddedSinceTheFixturesRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: sampleRunbookSHA256, key: nil)
        let payloads: [any JournalPayload] = [
            StepProcess(step: "b", attempt: 1, pgid: 4242, bootID: "19ef4d0a-3ecd-4b6e-97b3-1356034b875a", leaderStart: 479_142),
            StepFinished(
                step: "b", status: .cancelled, reason: "cancelled", attempts: 1, durationMilliseconds: 3, output: "", interrupted: true),
            StepFinished(step: "c", status: .succeeded, reason: nil, attempts: 1, durationMilliseconds: 3, output: "x"),
            RunInterrupted(signal: "SIGTERM", stops: "finally", shutdownGrace: "2s"),
            RunInterrupted(signal: "SIGINT", stops: "steps"),
            RunResumed(
                operatorName: "o", host: "h", filetVersion: "v", resume: 1, previousStatus: "crashed", runbookPath: "/r.yaml",
                runbookSHA256: sampleRunbookSHA256, runbookChanged: false, forced: false, recordedRunbookSHA256: nil, settled: [],
                interrupted: ["b"], rerun: ["b"], markDone: [], decidedAtTerminal: [], concurrency: 8,
                killLeftover: [RunResumed.LeftoverGroup(step: "b", pgid: 4242)], resuppliedVars: ["hook"],
                lockTakenOver: JournalLockHolder(
                    pid: 4141, host: "h", started: "2026-11-29T08:15:02.123Z", bootID: nil, processStart: 479_100)),
            ProcessKilled(step: "b", pgid: 4242, signal: "SIGKILL", ended: true, waitedMilliseconds: 5012),
            UndoStarted(
                step: "a", command: "echo 'x; y' ***", because: "step 'b' failed", script: #"echo "$FILET_V1" "$FILET_V2""#,
                values: [("FILET_V1", "'x; y'"), ("FILET_V2", "***")]),
        ]
        for payload in payloads { try await writer.append(payload.kind, payload.fields) }
        try await writer.close()
        let records = try JournalReader.read(path: writer.path).records
        let names = records.map { $0.fields.map(\.0) }
        #expect(names[0] == ["step", "attempt", "pgid", "boot_id", "leader_start"])
        #expect(names[1].last == "interrupted" && !names[2].contains("interrupted"))
        #expect(names[3].last == "shutdown_grace" && !names[4].contains("shutdown_grace"))
        #expect(names[5].suffix(3) == ["kill_leftover", "resupplied_vars", "lock_taken_over"])
        #expect(names[6] == ["step", "pgid", "signal", "ended", "waited_ms"])
        #expect(names[7] == ["step", "command", "because", "script", "values"])
        for (record, payload) in zip(records, payloads) {
            let decoded = try record.decoded().payload
            #expect(decoded.kind == payload.kind)
            #expect(JSONValue.object(decoded.fields) == JSONValue.object(payload.fields), "line \(record.line)")
        }
        let finished = try records[1].decode(StepFinished.self)
        #expect(finished.interrupted)
        #expect(try records[2].decode(StepFinished.self).interrupted == false)
        #expect(try records[3].decode(RunInterrupted.self).shutdownGrace == "2s")
        let resumed = try records[5].decode(RunResumed.self)
        #expect(resumed.killLeftover == [RunResumed.LeftoverGroup(step: "b", pgid: 4242)])
        #expect(resumed.resuppliedVars == ["hook"] && resumed.lockTakenOver?.pid == 4141 && resumed.lockTakenOver?.bootID == nil)
        let undo = try records[7].decode(UndoStarted.self)
        #expect(undo.script == #"echo "$FILET_V1" "$FILET_V2""#)
        #expect(undo.values.map(\.variable) == ["FILET_V1", "FILET_V2"] && undo.values.map(\.value) == ["'x; y'", "***"])
    }

    @Test func aRecordLackingAFieldItsTypeNeedsIsReportedWithItsLineAndField() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: sampleRunbookSHA256, key: nil)
        try await writer.append(.runTimedOut, [("limit", "30s")])
        try await writer.append(.stepFinished, [("step", "a"), ("status", "done")])
        try await writer.append("step.paused", [("step", "a")])
        try await writer.close()
        let records = try JournalReader.read(path: writer.path).records
        guard case .runTimedOut(let timeout) = try records[0].decoded() else {
            Issue.record("not run.timed_out")
            return
        }
        #expect(timeout.limit == "30s")
        #expect(throws: JournalRecordError.self) { try records[0].decode(StepFinished.self) }
        do {
            _ = try records[1].decoded()
            Issue.record("decoded a step.finished without its fields")
        } catch {
            #expect(error.line == 2 && error.field == "status")
            #expect(
                error.description == """
                    line 2: the step.finished record's field 'status' is 'done', not one of succeeded, failed, skipped, cancelled, simulated
                    """)
        }
        #expect(records[2].kind == nil)
        #expect(throws: JournalRecordError.self) { try records[2].decoded() }
    }
}
