import Foundation
import Testing

/// `filet audit keygen`, `filet run --signing-key`, `filet audit verify --public-key / --anchor` and
/// `filet audit anchor`, through the real binary on real journals.
@Suite struct AuditSigningTests {
    /// 14 records (run.started, 3 × step.started/process/attempt/finished, run.finished), then the final checkpoint.
    static let runbookText = AuditVerifyTests.runbookText

    static func keygen(_ directory: TestDirectory, _ name: String = "keys") async throws -> String {
        let out = directory.path(name)
        let result = try await FiletProcess.run(["audit", "keygen", "--out", out])
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        return out
    }

    /// A signed run's journal, with a checkpoint every `every` records.
    static func signedRun(_ directory: TestDirectory, keys: String, every: Int = 64, viaEnvironment: Bool = false) async throws
        -> JournalFile
    {
        let runbook = try directory.write("audit.yaml", runbookText)
        var arguments = ["run", runbook, "--journal", directory.journal, "--checkpoint-every", String(every)]
        var environment: [String: String] = [:]
        if viaEnvironment {
            environment["FILET_SIGNING_KEY"] = keys + "/filet-signing.key"
        } else {
            arguments += ["--signing-key", keys + "/filet-signing.key"]
        }
        let result = try await FiletProcess.run(arguments, environment: environment)
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        return try JournalFile.only(in: directory.journal)
    }

    static func verify(_ path: String, _ extra: [String] = []) async throws -> FiletProcess {
        try await FiletProcess.run(["audit", "verify", path] + extra)
    }

    @Test func keygenWritesAPrivateKeyOnlyItsOwnerCanReadAndRefusesToOverwrite() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        let attributes = try FileManager.default.attributesOfItem(atPath: keys + "/filet-signing.key")
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let privateText = try #require(directory.contents("keys/filet-signing.key"))
        let publicText = try #require(directory.contents("keys/filet-signing.pub"))
        #expect(privateText.hasPrefix("# filet-signing-key ed25519 private v1\n"))
        #expect(publicText.hasPrefix("# filet-signing-key ed25519 public v1 fingerprint="))
        #expect(publicText.split(separator: "\n").count == 2 && privateText.split(separator: "\n").count == 2)

        let again = try await FiletProcess.run(["audit", "keygen", "--out", keys])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists; refusing to overwrite"))
        #expect(directory.contents("keys/filet-signing.key") == privateText)
        #expect(directory.contents("keys/filet-signing.pub") == publicText)
    }

    @Test func aResumedSignedRunIsSignedToItsEnd() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        let runbook = try directory.write(
            "reprise.yaml",
            """
            runbook: reprise
            title: Reprise
            steps:
              - { id: a, run: 'echo a >> \(directory.path("count-a"))' }
              - { id: b, run: 'test -e \(directory.path("fixed"))', idempotent: true }
            """)
        let failed = try await FiletProcess.run([
            "run", runbook, "--journal", directory.journal, "--signing-key", keys + "/filet-signing.key",
        ])
        #expect(failed.status == 1)
        let path = try JournalFile.only(in: directory.journal).path
        _ = try directory.write("fixed", "")
        let resumed = try await FiletProcess.run(["resume", path], environment: ["FILET_SIGNING_KEY": keys + "/filet-signing.key"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(directory.contents("count-a") == "a\n", "the succeeded step did not run again")
        let verify = try await Self.verify(path, ["--public-key", keys + "/filet-signing.pub"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("unsigned tail 0 records"))
    }

    @Test func aSignedRunVerifiesWithItsPublicKey() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        let journal = try await Self.signedRun(directory, keys: keys, viaEnvironment: true)
        #expect(journal.types.suffix(2) == ["run.finished", "checkpoint"])
        #expect(journal.lines.count == 15)
        let result = try await Self.verify(journal.path, ["--public-key", keys + "/filet-signing.pub"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains(
                "intact: verified 1..15 of 15 records, signed up to 14, unsigned tail 0 records (hash chain, checkpoint signatures), run closed"
            ))
        // Without the public key, the checkpoint is still checked against the chain.
        let chainOnly = try await Self.verify(journal.path)
        #expect(chainOnly.status == 0)
        #expect(chainOnly.stdout.contains("signed up to 14"))
        #expect(chainOnly.stdout.contains("give --public-key to check their signatures"))
    }

    @Test(arguments: [1, 2, 6])
    func truncationIsReportedByCheckpointsWhileTheChainStaysIntact(cut: Int) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        // A checkpoint every 8 records: line 9 covers 1..8, the final one (line 16) covers 1..15.
        let journal = try await Self.signedRun(directory, keys: keys, every: 8)
        try #require(
            journal.lines.count == 16 && journal.types[8] == "checkpoint" && journal.types[14] == "run.finished"
                && journal.types[15] == "checkpoint", "\(journal.types)")
        let kept = Array(journal.lines.dropLast(cut))
        try Tampering.joined(kept).write(to: URL(fileURLWithPath: journal.path))
        let chainOnly = try await Self.verify(journal.path)
        #expect(chainOnly.stdout.contains("verified 1..\(kept.count) of \(kept.count) records"), "\(chainOnly.stdout)")
        #expect(!chainOnly.stdout.contains("unsigned-tail"))
        let result = try await Self.verify(journal.path, ["--public-key", keys + "/filet-signing.pub"])
        #expect(result.status == 1)
        #expect(result.stdout.contains(": unsigned-tail: "), "\(result.stdout)")
        #expect(result.stdout.contains("signed up to 8"), "\(result.stdout)")
    }

    @Test func anotherKeysPublicKeyFindsAForeignKey() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        let others = try await Self.keygen(directory, "others")
        let journal = try await Self.signedRun(directory, keys: keys)
        let result = try await Self.verify(journal.path, ["--public-key", others + "/filet-signing.pub"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(journal.path):15: foreign-key: the checkpoint is signed by another key"), "\(result.stdout)")
        // The private key is not a public key.
        let wrongFile = try await Self.verify(journal.path, ["--public-key", keys + "/filet-signing.key"])
        #expect(wrongFile.status == 2)
        #expect(wrongFile.stderr.contains("this is the private key"))
    }

    @Test func aForgedCheckpointHeadIsABadCheckpoint() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await Self.keygen(directory)
        let journal = try await Self.signedRun(directory, keys: keys)
        var lines = journal.lines
        let last = String(decoding: lines[14], as: UTF8.self)
        let head = try #require(last.firstRange(of: #""head":""#))
        let forged = last[..<head.upperBound] + String(repeating: "0", count: 64) + last[last.index(head.upperBound, offsetBy: 64)...]
        lines[14] = Data(forged.utf8)
        try Tampering.joined(lines).write(to: URL(fileURLWithPath: journal.path))
        for extra in [[], ["--public-key", keys + "/filet-signing.pub"]] {
            let result = try await Self.verify(journal.path, extra)
            #expect(result.status == 1)
            #expect(
                result.stdout.contains("\(journal.path):15: bad-checkpoint: the checkpoint does not match the chain"), "\(result.stdout)")
        }
    }

    @Test func anAnchorCatchesTruncationAndAllowsLaterRecords() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("audit.yaml", Self.runbookText)
        let run = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        try #require(run.status == 0)
        let journal = try JournalFile.only(in: directory.journal)
        let whole = journal.data

        // The anchor of the whole journal, then the journal truncated: --anchor fails.
        let anchor = try await FiletProcess.run(["audit", "anchor", journal.path])
        #expect(anchor.status == 0)
        let line = anchor.stdout.trimmingCharacters(in: .newlines)
        let runID = URL(fileURLWithPath: journal.path).deletingPathExtension().lastPathComponent
        #expect(line.hasPrefix("filet-anchor v1 run=\(runID) records=14 head="))
        #expect(!line.contains("\n") && line.count == "filet-anchor v1 run=\(runID) records=14 head=".count + 64)
        #expect(line.hasSuffix(try sha256(journal.lines[13])))
        try Tampering.joined(Array(journal.lines.prefix(9))).write(to: URL(fileURLWithPath: journal.path))
        let truncated = try await Self.verify(journal.path, ["--anchor", line])
        #expect(truncated.status == 1)
        #expect(
            truncated.stdout.contains("anchor-truncated: the anchor covers 14 records but the journal holds only 9"), "\(truncated.stdout)")

        // An anchor taken while the run was at record 6, checked once the run has gone on: ok, 5 records after.
        try Tampering.joined(Array(journal.lines.prefix(6))).write(to: URL(fileURLWithPath: journal.path))
        let earlyLine = try await FiletProcess.run(["audit", "anchor", journal.path]).stdout.trimmingCharacters(in: .newlines)
        #expect(earlyLine.contains(" records=6 "))
        try whole.write(to: URL(fileURLWithPath: journal.path))
        let later = try await Self.verify(journal.path, ["--anchor", earlyLine])
        #expect(later.status == 0, "\(later.stdout)")
        #expect(later.stdout.contains("anchor: records 1..6 match the anchor; 8 records after the anchor"), "\(later.stdout)")

        // A record before the anchor changed: its head no longer matches.
        var modified = journal.lines
        modified[5] = Data(
            String(decoding: modified[5], as: UTF8.self).replacingOccurrences(
                of: #""step":"[abc]""#, with: #""step":"x""#, options: .regularExpression
            ).utf8)
        try Tampering.joined(modified).write(to: URL(fileURLWithPath: journal.path))
        let changed = try await Self.verify(journal.path, ["--anchor", earlyLine])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("anchor-mismatch"), "\(changed.stdout)")

        let notAnAnchor = try await Self.verify(journal.path, ["--anchor", "hello"])
        #expect(notAnAnchor.status == 2)
    }

    func sha256(_ data: Data) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: result, as: UTF8.self).prefix(64))
    }
}

private typealias Tampering = AuditVerifyTests.Tampering
