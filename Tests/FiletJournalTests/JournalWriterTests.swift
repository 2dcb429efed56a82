import FiletSupport
import FiletTestSupport
import Foundation
import Testing

@testable import FiletJournal

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct JournalWriterTests {
    @Test func runIDsSortByTimeAndNameTheFile() {
        let id = RunID.generate(milliseconds: 1_795_940_102_123, random: 0x4f2a)
        #expect(id.rawValue == "20261129T081502Z-4f2a")
        #expect(id.fileName == "20261129T081502Z-4f2a.jsonl")
        #expect(RunID.generate(milliseconds: 0, random: 0x000a).rawValue == "19700101T000000Z-000a")
        #expect(RunID("20261129T081502Z-4f2a") == id)
        #expect(RunID("20261129T081502Z-4F2A") == nil)
        #expect(RunID("20261129T081502-4f2a") == nil)
        #expect(RunID("../etc/passwd") == nil)
        #expect(RunID.generate().rawValue.count == 21)
        #expect(RunID.generate(milliseconds: 1000, random: 0xffff) < RunID.generate(milliseconds: 2000, random: 0))
    }

    @Test func timestampsAreRFC3339WithMilliseconds() throws {
        for (milliseconds, text) in [
            (Int64(0), "1970-01-01T00:00:00.000Z"), (1_795_940_102_123, "2026-11-29T08:15:02.123Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        ] {
            var out: [UInt8] = []
            UTCTime.appendRFC3339(milliseconds, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == text)
            #expect(out.withUnsafeBufferPointer { UTCTime.parseRFC3339($0, at: 0) } == milliseconds)
        }
        for bad in ["2026-02-30T08:15:02.123Z", "2026-11-29T24:15:02.123Z", "2026-11-29 08:15:02.123Z", "2026-11-29T08:15:02.123+"] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer { UTCTime.parseRFC3339($0, at: 0) } == nil, "\(bad)")
        }
    }

    @Test func aDurableAppendAlsoMakesEarlierUnwaitedRecordsDurable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: String(repeating: "a", count: 64), key: nil)
        let first = try writer.appendWithoutWaiting("step.attempt", [("n", .integer(1))])
        let second = try writer.appendWithoutWaiting("step.finished", [("n", .integer(2))])
        let third = try await writer.append("step.started", [("n", .integer(3))])
        #expect([first, second, third] == [1, 2, 3] as [Int])
        // Once the durable append has returned, the file holds all three, in seq order.
        #expect(try JournalReader.read(path: writer.path).records.map(\.seq) == [1, 2, 3] as [Int])
        try await writer.close()
        #expect(try JournalVerifier.verify(path: writer.path).recordCount == 3)
    }

    @Test func writesTheEnvelopeAndAChainThatSha256sumConfirms() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 3)
        let runID = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        #expect(RunID(runID) != nil)
        let lines = try lines(of: path)
        #expect(lines.count == 5)
        #expect(text(lines[0]).hasPrefix(#"{"seq":1,"ts":""#))
        let envelope = try Regex(
            #"^\{"seq":(\d+),"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","run":"([^"]+)","type":"([a-z.]+)","prev":"([0-9a-f]{64})","#)
        var previousTimestamp = ""
        for (index, line) in lines.enumerated() {
            let text = text(line)
            let match = try #require(text.firstMatch(of: envelope), "\(text)")
            #expect(match.output[1].substring == "\(index + 1)")
            #expect(match.output[2].substring.map(String.init) == runID)
            let expectedPrev = index == 0 ? sampleRunbookSHA256 : try sha256sum(lines[index - 1])
            #expect(match.output[4].substring.map(String.init) == expectedPrev)
            #expect(!text.contains(#""mac":"#), "no mac without a key")
            let timestamp = try #require(member("ts", in: line))
            #expect(timestamp >= previousTimestamp)
            previousTimestamp = timestamp
        }
        #expect(text(lines[0]).hasSuffix(#""runbook":"essai","title":"Essai de bascule","mode":"run"}"#))
        #expect(member("type", in: lines[4]) == "run.finished")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func macsAreHMACSHA256OfTheLineWithoutTheMacMember() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await writeSampleJournal(in: directory.path, steps: 2, key: sampleKey)
        try expectOpenSSLAgrees(path: path, key: sampleKey)
        let verification = try JournalVerifier.verify(path: path, key: sampleKey)
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.verdict == "intact: verified 1..4 of 4 records (hash chain and MACs), run closed")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func keysOfAnyLengthFromSixteenBytesOn() async throws {
        for length in [16, 63, 64, 65, 200] {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let key = Array(String(repeating: "k3y-", count: 60).utf8.prefix(length))
            let path = try await writeSampleJournal(in: directory.path, steps: 1, key: key)
            try expectOpenSSLAgrees(path: path, key: key)
            #expect(try JournalVerifier.verify(path: path, key: key).isIntact)
        }
    }

    /// Recomputes every record's mac with `openssl dgst -sha256 -hmac`, as an auditor would.
    private func expectOpenSSLAgrees(path: String, key: [UInt8]) throws {
        for line in try lines(of: path) {
            let text = text(line)
            let mac = try #require(member("mac", in: line))
            #expect(text.hasSuffix(#","mac":"\#(mac)"}"#), "mac is the last member")
            let unsigned = Array(text.dropLast(#","mac":""}"#.count + 64).utf8) + Array("}".utf8)
            let openssl = try run(
                "/usr/bin/openssl", ["dgst", "-sha256", "-hmac", String(decoding: key, as: UTF8.self), "-r"], input: unsigned)
            #expect(String(openssl.prefix(64)) == mac, "key of \(key.count) bytes")
        }
    }

    @Test func readingBackGivesWhatWasWritten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(
            directory: directory.path + "/nested/journal/", runbookSHA256: sampleRunbookSHA256.uppercased(), key: sampleKey)
        #expect(writer.path.hasPrefix(directory.path + "/nested/journal/"))
        let tricky: [(String, JSONValue)] = [
            ("text", "Mairie — bascule \"B\"\n\ttab \\ slash / é 🚒 \u{1}"),
            ("numbers", .array([0, -1, .integer(Int.max), .integer(Int.min)])),
            ("flags", .object([("ok", true), ("no", false), ("nothing", .null)])),
            ("empty", .object([])), ("list", .array([])),
            ("nested", .object([("plan", .array([.object([("id", "a"), ("needs", .array(["b", "c"]))])]))])),
            ("line separator", "\u{2028}"),
        ]
        var written: [(String, [(String, JSONValue)])] = [("run.started", tricky)]
        #expect(try await writer.append("run.started", tricky) == 1)
        for index in 2...5 {
            let fields: [(String, JSONValue)] = [("step", .string("s\(index)")), ("attempt", .integer(index))]
            written.append(("step.attempt", fields))
            #expect(try await writer.append("step.attempt", fields) == index)
        }
        try await writer.close()

        let contents = try JournalReader.read(path: writer.path)
        #expect(contents.tornTail == nil)
        #expect(contents.records.count == written.count)
        let fileLines = try lines(of: writer.path)
        for (index, record) in contents.records.enumerated() {
            #expect(record.seq == index + 1)
            #expect(record.line == index + 1)
            #expect(record.type == written[index].0)
            #expect(record.run == writer.runID.rawValue)
            #expect(JSONValue.object(record.fields) == JSONValue.object(written[index].1))
            #expect(record.bytes == fileLines[index])
            #expect(record.mac?.count == 64)
            #expect(record.prev == (index == 0 ? sampleRunbookSHA256 : try sha256sum(fileLines[index - 1])))
        }
        #expect(contents.records[0].field("text") == tricky[0].1)
    }

    @Test func concurrentAppendsKeepSeqOrderAndTheChain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: sampleRunbookSHA256, key: sampleKey)
        try await writer.append("run.started", [("runbook", "essai")])
        let tasks = 32
        let perTask = 40
        let seqs = try await withThrowingTaskGroup(of: [Int].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var mine: [Int] = []
                    for attempt in 0..<perTask {
                        mine.append(
                            try await writer.append("step.attempt", [("step", .string("t\(task)")), ("attempt", .integer(attempt))]))
                    }
                    return mine
                }
            }
            var all: [[Int]] = []
            for try await mine in group { all.append(mine) }
            return all
        }
        for mine in seqs { #expect(mine == mine.sorted(), "each task's records are in its own order") }
        #expect(Set(seqs.joined()) == Set(2...(tasks * perTask + 1)))
        try await writer.append("run.finished", [("status", "succeeded")])
        try await writer.close()

        let contents = try JournalReader.read(path: writer.path)
        #expect(contents.records.map(\.seq) == Array(1...(tasks * perTask + 2)))
        // Each task's attempts appear in the file in the order it made them.
        var nextAttempt: [String: Int] = [:]
        for record in contents.records where record.type == "step.attempt" {
            guard case .string(let step) = record.field("step"), case .integer(let attempt) = record.field("attempt") else {
                Issue.record("bad record \(record)")
                continue
            }
            #expect(attempt == nextAttempt[step, default: 0])
            nextAttempt[step] = attempt + 1
        }
        let verification = try JournalVerifier.verify(path: writer.path, key: sampleKey, runbookSHA256: sampleRunbookSHA256)
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.verifiedThrough == tasks * perTask + 2)
    }

    @Test func refusesBadRecordsWithoutStopping() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try JournalWriter.create(directory: directory.path, runbookSHA256: sampleRunbookSHA256, key: nil)
        for (type, fields) in [
            ("run.started", [("seq", JSONValue.integer(9))]), ("run.started", [("mac", "x")]),
            ("run.started", [("a", 1), ("a", 2)]), ("run started", []), ("", []),
        ] as [(String, [(String, JSONValue)])] {
            await #expect(throws: JournalError.self) { try await writer.append(type, fields) }
            do { _ = try await writer.append(type, fields) } catch { #expect(error.kind == .invalidRecord) }
        }
        #expect(try await writer.append("run.started", []) == 1)
        try await writer.close()
        do {
            _ = try await writer.append("step.started", [])
            Issue.record("appended after close")
        } catch {
            #expect(error.kind == .closed)
        }
        try await writer.close()  // twice is fine
    }

    @Test func keysAndCreationErrors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try JournalKey.fromEnvironment([:]) == nil)
        #expect(try JournalKey.fromEnvironment(["FILET_JOURNAL_KEY": "0123456789abcdef"]) == Array("0123456789abcdef".utf8))
        do {
            _ = try JournalKey.fromEnvironment(["FILET_JOURNAL_KEY": "short"])
            Issue.record("accepted a short key")
        } catch {
            #expect(error.kind == .invalidKey)
            #expect(
                error.message
                    == "FILET_JOURNAL_KEY is 5 bytes long; a journal key must be at least 16 bytes (for example the output of `openssl rand -hex 32`)"
            )
        }
        func creationError(_ directory: String, _ id: RunID = .generate(), hash: String = sampleRunbookSHA256, key: [UInt8]? = nil)
            -> JournalError?
        {
            do {
                _ = try JournalWriter.create(directory: directory, runID: id, runbookSHA256: hash, key: key)
                return nil
            } catch {
                return error
            }
        }
        #expect(creationError(directory.path, key: Array("fifteen bytes!!".utf8))?.kind == .invalidKey)
        #expect(creationError(directory.path, hash: "abc")?.kind == .invalidArgument)
        let id = RunID.generate()
        #expect(creationError(directory.path, id) == nil)
        let exists = creationError(directory.path, id)
        #expect(exists?.kind == .exists)
        #expect(exists?.message == "\(directory.path)/\(id).jsonl: a journal for run \(id) already exists; generate another run id")
        #expect(FileManager.default.createFile(atPath: directory.path + "/file", contents: Data()))
        #expect(creationError(directory.path + "/file")?.kind == .create)
        #expect(creationError(directory.path + "/file/below")?.kind == .create)
    }

    /// A writer on a descriptor that fails the way a full or broken disk does.
    private func failingWriter(_ descriptor: Int32, in directory: TemporaryDirectory) throws -> JournalWriter {
        let path = directory.path + "/broken.jsonl"
        return JournalWriter(
            adopting: descriptor, lock: try JournalLock.acquire(journal: path), path: path, runID: .generate(),
            runbookSHA256: sampleRunbookSHA256, key: nil)
    }

    @Test func aWriteErrorIsFatalAndBlocksLaterAppends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(FileManager.default.createFile(atPath: directory.path + "/broken.jsonl", contents: Data()))
        let readOnly = open(directory.path + "/broken.jsonl", O_RDONLY | O_CLOEXEC)
        try #require(readOnly >= 0)
        let writer = try failingWriter(readOnly, in: directory)
        do {
            _ = try await writer.append("run.started", [])
            Issue.record("wrote to a read-only descriptor")
        } catch {
            #expect(error.kind == .write)
            #expect(error.isFatal)
            #expect(error.errno == EBADF)
            #expect(error.message == "\(directory.path)/broken.jsonl: cannot write the journal: Bad file descriptor (EBADF, errno 9)")
        }
        do {
            _ = try await writer.append("step.started", [])
            Issue.record("appended after a fatal error")
        } catch {
            #expect(error.kind == .write)
            #expect(error.message.contains("refusing to append after an earlier failure"))
        }
        #expect(writer.failure?.kind == .write)
        await #expect(throws: JournalError.self) { try await writer.close() }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aFullDiskFailsEveryWaitingAppend() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let full = open("/dev/full", O_WRONLY | O_APPEND | O_CLOEXEC)
        try #require(full >= 0)
        let writer = try failingWriter(full, in: directory)
        let kinds = await withTaskGroup(of: JournalError.Kind?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do throws(JournalError) {
                        _ = try await writer.append("step.attempt", [("n", .integer(index))])
                        return nil
                    } catch {
                        return error.kind
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(kinds == Array(repeating: JournalError.Kind.write, count: 8))
        #expect(writer.failure?.errno == ENOSPC)
        #expect(writer.failure?.message.contains("No space left on device (ENOSPC, errno 28)") == true)
    }

    @Test func aSyncErrorIsFatal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // fdatasync on a pipe fails with EINVAL after the write succeeds.
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let writer = try failingWriter(ends[1], in: directory)
        do {
            _ = try await writer.append("run.started", [])
            Issue.record("synced a pipe")
        } catch {
            #expect(error.kind == .sync)
            #expect(error.message.contains("cannot make the journal durable (fdatasync)"))
        }
        do { _ = try await writer.append("step.started", []) } catch { #expect(error.kind == .sync) }
    }
}
