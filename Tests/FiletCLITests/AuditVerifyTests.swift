import FiletTestSupport
import Foundation
import Testing

/// `filet audit verify` on real journals written by `filet run`, then tampered with as an attacker
/// (or a crash) would: each tampering is reported with its own kind, on its own line, exit 1.
@Suite struct AuditVerifyTests {
    /// Three `run` steps: 14 records (run.started, 3 × step.started/process/attempt/finished, run.finished).
    static let runbookText = """
        runbook: audit
        title: Audit
        steps:
          - id: a
            run: echo a
          - id: b
            run: echo b
          - id: c
            run: echo c
        """

    static let key = "0123456789abcdef-journal-key"

    /// Runs the runbook once and returns its journal.
    static func realJournal(in directory: TestDirectory, environment: [String: String] = [:]) async throws -> JournalFile {
        let runbook = try directory.write("audit.yaml", runbookText)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal], environment: environment)
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        let journal = try JournalFile.only(in: directory.journal)
        try #require(
            journal.lines.count == 14 && journal.types[5] == "step.started" && journal.types.last == "run.finished",
            "unexpected journal shape: \(journal.types)")
        return journal
    }

    struct Tampering: Sendable, CustomTestStringConvertible {
        var name: String
        var kind: String
        /// The 1-based line the problem must be reported on, given the original journal's line count.
        var line: @Sendable (Int) -> Int
        var apply: @Sendable ([Data]) -> Data

        var testDescription: String { name }

        static func joined(_ lines: [Data]) -> Data { lines.reduce(into: Data()) { $0 += $1 + Data([0x0A]) } }
    }

    /// Lines are 0-based in the code, 1-based in the reports.
    static let tamperings: [Tampering] = [
        Tampering(name: "a field of a middle record modified", kind: "modified", line: { _ in 6 }) { lines in
            var lines = lines
            lines[5] = Data(String(decoding: lines[5], as: UTF8.self).replacing(#""step":"b""#, with: #""step":"x""#).utf8)
            return Tampering.joined(lines)
        },
        Tampering(name: "a middle record deleted", kind: "deleted", line: { _ in 6 }) { lines in
            var lines = lines
            lines.remove(at: 5)
            return Tampering.joined(lines)
        },
        Tampering(name: "two records swapped", kind: "reordered", line: { _ in 7 }) { lines in
            var lines = lines
            lines.swapAt(5, 6)
            return Tampering.joined(lines)
        },
        Tampering(name: "a copy of a record inserted", kind: "inserted", line: { _ in 7 }) { lines in
            var lines = lines
            lines.insert(lines[2], at: 6)
            return Tampering.joined(lines)
        },
        Tampering(name: "the last record (run.finished) dropped", kind: "not-closed", line: { count in count - 1 }) { lines in
            Tampering.joined(Array(lines.dropLast()))
        },
        Tampering(name: "the last line cut mid-way", kind: "torn-tail", line: { count in count }) { lines in
            let whole = Tampering.joined(lines)
            return whole.prefix(whole.count - lines.last!.count / 2)
        },
    ]

    @Test(arguments: tamperings)
    func tamperingIsReportedWithItsKindAndLine(_ tampering: Tampering) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let journal = try await Self.realJournal(in: directory)
        let tampered = directory.path(journal.path.split(separator: "/").last.map(String.init) ?? "tampered.jsonl")
        let bytes = tampering.apply(journal.lines)
        #expect(bytes != journal.data, "the tampering changed nothing")
        try bytes.write(to: URL(fileURLWithPath: tampered))
        let line = tampering.line(journal.lines.count)

        let text = try await FiletProcess.run(["audit", "verify", tampered])
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.hasPrefix("\(tampered): NOT INTACT: verified 1.."), "\(text.stdout)")
        #expect(text.stdout.contains("\n  \(tampered):\(line): \(tampering.kind): "), "\(text.stdout)")

        let json = try await FiletProcess.run(["audit", "verify", "--format", "json", tampered])
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(report["intact"] as? Bool == false)
        let problems = report["problems"] as? [[String: Any]] ?? []
        #expect(problems.contains { $0["kind"] as? String == tampering.kind && $0["line"] as? Int == line }, "\(problems)")
        // Only the truncations concern the end; everything else leaves the run closed.
        if !["not-closed", "torn-tail"].contains(tampering.kind) {
            #expect(problems.count == 1, "\(problems)")
            #expect(report["closed"] as? Bool == true)
        }
        // The original still verifies: the tampering is what is reported.
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
    }

    @Test func journalWithAKeyVerifiesOnlyWithThatKey() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let journal = try await Self.realJournal(in: directory, environment: ["FILET_JOURNAL_KEY": Self.key])
        #expect(journal.lines.allSatisfy { $0.contains(#","mac":""#) })

        let withKey = try await FiletProcess.run(["audit", "verify", journal.path], environment: ["FILET_JOURNAL_KEY": Self.key])
        #expect(withKey.status == 0, "\(withKey.stdout)")
        #expect(withKey.stdout == "\(journal.path): intact: verified 1..14 of 14 records (hash chain and MACs), run closed\n")

        let wrong = try await FiletProcess.run(
            ["audit", "verify", "--key-env", "OTHER", journal.path],
            environment: ["FILET_JOURNAL_KEY": Self.key, "OTHER": "another-key-0123456789"])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("\(journal.path):1: wrong-key: "), "\(wrong.stdout)")

        let json = try await FiletProcess.run(
            ["audit", "verify", "--format", "json", "--key-env", "OTHER", journal.path],
            environment: ["OTHER": "another-key-0123456789"])
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(report["macs_checked"] as? Bool == true)
        #expect((report["problems"] as? [[String: Any]])?.first?["kind"] as? String == "wrong-key")

        let noKey = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(noKey.status == 0)
        #expect(noKey.stdout.contains("MACs not checked: no key"))
        #expect(noKey.stdout.contains("note: the journal carries MACs; set FILET_JOURNAL_KEY to check them"))

        let short = try await FiletProcess.run(["audit", "verify", "--key-env", "OTHER", journal.path], environment: ["OTHER": "x"])
        #expect(short.status == 2)
        #expect(short.stderr.contains("OTHER is 1 byte long"))
    }

    /// Without the key, a forger can rewrite a record and recompute every later `prev`: the chain
    /// then verifies (docs/journal.md, section 7), but the MACs do not.
    @Test func rewrittenRecordWithARecomputedChainIsCaughtByTheMAC() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let journal = try await Self.realJournal(in: directory, environment: ["FILET_JOURNAL_KEY": Self.key])
        var lines = journal.lines.map { String(decoding: $0, as: UTF8.self) }
        lines[5] = lines[5].replacing(#""step":"b""#, with: #""step":"x""#)
        for index in 6..<lines.count {
            let previous = try await sha256sum(Data(lines[index - 1].utf8))
            let prev = try #require(lines[index].firstRange(of: #""prev":""#))
            let digits = prev.upperBound..<lines[index].index(prev.upperBound, offsetBy: 64)
            lines[index].replaceSubrange(digits, with: previous)
        }
        let forged = directory.path("forged.jsonl")
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: forged))

        let chainOnly = try await FiletProcess.run(["audit", "verify", forged])
        #expect(chainOnly.status == 0, "the chain was recomputed: without the key it verifies: \(chainOnly.stdout)")
        #expect(chainOnly.stdout.contains("MACs not checked"))

        let withKey = try await FiletProcess.run(["audit", "verify", forged], environment: ["FILET_JOURNAL_KEY": Self.key])
        #expect(withKey.status == 1)
        #expect(withKey.stdout.contains("verified 1..5 of 14 records (hash chain and MACs)"), "\(withKey.stdout)")
        #expect(withKey.stdout.contains("\(forged):6: bad-mac: "), "\(withKey.stdout)")
    }

    /// The shell script of docs/journal.md, section 3 (sha256sum and openssl, no filet), agrees with filet.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum")))
    func documentedShellAuditAgreesOnARealJournal() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let doc = try String(contentsOf: FiletProcess.packageRoot.appendingPathComponent("docs/journal.md"), encoding: .utf8)
        let start = try #require(doc.firstRange(of: "#!/bin/sh\n# journal-audit.sh"))
        let end = try #require(doc[start.lowerBound...].firstRange(of: "\n```"))
        let script = try directory.write("journal-audit.sh", String(doc[start.lowerBound..<end.lowerBound]) + "\n")
        let journal = try await Self.realJournal(in: directory, environment: ["FILET_JOURNAL_KEY": Self.key])
        let runbook = directory.path("audit.yaml")

        let audit = try RunningProcess(
            executable: "/bin/sh", arguments: [script, journal.path, runbook],
            environment: FiletProcess.environment(["FILET_JOURNAL_KEY": Self.key]))
        let intact = await audit.finish(within: .seconds(60))
        #expect(intact.stdout == "checked 14 lines\n", "\(intact.stdout)\(intact.stderr)")

        var lines = journal.lines
        // Line 10 is the step.started of c.
        lines[9] = Data(String(decoding: lines[9], as: UTF8.self).replacing(#""step":"c""#, with: #""step":"z""#).utf8)
        #expect(lines != journal.lines)
        try Tampering.joined(lines).write(to: URL(fileURLWithPath: journal.path))
        let tampered = try RunningProcess(
            executable: "/bin/sh", arguments: [script, journal.path, runbook],
            environment: FiletProcess.environment(["FILET_JOURNAL_KEY": Self.key]))
        let report = await tampered.finish(within: .seconds(60))
        #expect(
            report.stdout == "line 10: mac does not match\nline 11: prev does not match the previous line\nchecked 14 lines\n",
            "\(report.stdout)")
    }
}

/// SHA-256 in lowercase hex, by sha256sum(1): an oracle independent of filet's own hashing.
func sha256sum(_ data: Data) async throws -> String {
    let directory = try TestDirectory()
    defer { directory.remove() }
    let file = directory.path("input")
    try data.write(to: URL(fileURLWithPath: file))
    let result = try await RunningProcess(executable: "/usr/bin/sha256sum", arguments: [file], environment: FiletProcess.environment([:]))
        .finish(within: .seconds(30))
    return String(result.stdout.prefix(64))
}
