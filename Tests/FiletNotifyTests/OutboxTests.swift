import FiletNotify
import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

@Suite struct OutboxTests {
    @Test func storesAndReadsBackEveryField() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        #expect(try outbox.entries().isEmpty)  // no directory yet: an empty outbox
        let entry = OutboxSample.entry()
        try outbox.store(entry)
        #expect(try outbox.entries() == [entry])
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox.directory)
        #expect(names == ["1764409077670-msg_20261129T093757Z-b665_canal.json"])
        let attributes = try FileManager.default.attributesOfItem(atPath: outbox.directory + "/" + names[0])
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(atPath: outbox.directory)
        #expect((directoryAttributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
    }

    @Test func listsOldestFirstWhateverTheStoringOrder() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "c", created: 3_000))
        try outbox.store(OutboxSample.entry(step: "a", created: 1_000))
        try outbox.store(OutboxSample.entry(step: "b", created: 20_000_000_000))
        #expect(try outbox.entries().map(\.message.stepID) == ["a", "c", "b"])
    }

    @Test func theSameMessageIsStoredOnce() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(created: 1_000, attempts: 4, lastError: "HTTP 503"))
        try outbox.store(OutboxSample.entry(created: 5_000, attempts: 2, lastError: "timed out"))
        let entries = try outbox.entries()
        #expect(entries.count == 1)
        #expect(entries.first?.createdMilliseconds == 1_000)  // keeps its place
        #expect(entries.first?.attempts == 4)
        #expect(entries.first?.lastError == "timed out")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox.directory).count == 1)  // no temporary file left
    }

    @Test func updatesAndRemovesDurably() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        var entry = OutboxSample.entry()
        try outbox.store(entry)
        try outbox.store(OutboxSample.entry(step: "other", created: 9_999_999_999_999))
        entry.attempts = 5
        entry.lastError = "HTTP 502"
        try outbox.update(entry)
        #expect(try outbox.entries().first == entry)
        try outbox.remove(id: entry.id)
        #expect(try outbox.entries().map(\.message.stepID) == ["other"])
        #expect(throws: OutboxError.self) { try outbox.remove(id: entry.id) }
        do { try outbox.update(entry) } catch { #expect(error.code == .notFound) }
    }

    @Test func refusesWhatItCannotStore() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        for entry in [
            OutboxSample.entry(runbook: "runbooks/relative.yaml"), OutboxSample.entry(sha: "abc"),
            OutboxSample.entry(step: "../../etc/passwd"),
        ] {
            do {
                try directory.outbox.store(entry)
                Issue.record("stored \(entry.runbookPath) \(entry.id)")
            } catch {
                #expect(error.code == .invalidEntry)
            }
        }
    }

    @Test func aCorruptFileIsReportedByName() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let outbox = directory.outbox
        try outbox.store(OutboxSample.entry(step: "good", created: 2_000))
        let good = try FileManager.default.contentsOfDirectory(atPath: outbox.directory)[0]
        let text = try String(contentsOfFile: outbox.directory + "/" + good, encoding: .utf8)
        // A partial copy (torn write of an older tool, a disk problem) and an empty file.
        try Data(text.utf8.prefix(120)).write(to: URL(fileURLWithPath: outbox.directory + "/0000000001000-msg_r_torn.json"))
        try Data().write(to: URL(fileURLWithPath: outbox.directory + "/0000000001500-msg_r_empty.json"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: outbox.directory + "/.0000000003000-msg_r_x.json.tmp-1-2"))

        let scan = try outbox.scan()
        #expect(scan.entries.map(\.message.stepID) == ["good"])
        #expect(
            scan.problems.map(\.file) == [
                ".0000000003000-msg_r_x.json.tmp-1-2", "0000000001000-msg_r_torn.json",
                "0000000001500-msg_r_empty.json",
            ])
        #expect(scan.problems.map(\.kind) == [.incomplete, .corrupt, .corrupt])
        #expect(scan.problems[2].message == "corrupt entry: the file is empty")
        do {
            _ = try outbox.entries()
            Issue.record("entries() listed a directory with a corrupt file")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.message.contains("0000000001000-msg_r_torn.json"))
        }
    }
}
