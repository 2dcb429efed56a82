import FiletJournal
import FiletSupport
import Foundation
import Testing

/// The journals written by the filet of 7478767 (`Tests/Fixtures/legacy/README.md`), read by today's binary: the
/// file format has not changed.
@Suite struct LegacyJournalTests {
    static let folder = FiletProcess.packageRoot.path + "/Tests/Fixtures/legacy"
    static let journalKey = ["FILET_JOURNAL_KEY": "legacy-fixture-journal-key"]

    /// The journals of one fixture folder, oldest first.
    static func journals(_ name: String) -> [String] { JournalFile.paths(in: folder + "/" + name) }

    static func journal(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let paths = journals(name)
        try #require(paths.count == 1, "expected one journal in \(name)", sourceLocation: sourceLocation)
        return paths[0]
    }

    /// Each fixture folder's run: its steps' final statuses in plan order, and the run's status.
    static let expected: [(folder: String, steps: [String], status: String)] = [
        (
            "complete",
            [
                "hello succeeded", "resolve succeeded", "approve succeeded", "pause succeeded", "tell succeeded",
                "drill-only skipped", "wrap-up succeeded",
            ], "succeeded"
        ),
        (
            "drill",
            [
                "hello succeeded", "resolve succeeded", "approve simulated", "pause succeeded", "tell succeeded",
                "drill-only simulated", "wrap-up succeeded",
            ], "succeeded"
        ),
        ("interrupted", ["first succeeded", "slow cancelled", "last skipped", "wrap-up succeeded"], "interrupted"),
        ("resumed", ["first succeeded", "slow succeeded", "last succeeded", "wrap-up succeeded"], "succeeded"),
        ("timed-out", ["first succeeded", "slow cancelled", "last skipped", "wrap-up succeeded"], "timed_out"),
        ("rollback", ["prepare succeeded", "approve failed", "break failed"], "failed"),
    ]

    @Test func everyLegacyJournalVerifiesIntact() async throws {
        let paths = Self.expected.map(\.folder).flatMap(Self.journals) + Self.journals("outbox")
        #expect(paths.count == 8)
        for path in paths {
            var arguments = ["audit", "verify", path]
            if path.contains("/complete/") { arguments += ["--public-key", Self.folder + "/complete/filet-signing.pub"] }
            let result = try await FiletProcess.run(arguments, environment: path.contains("/drill/") ? Self.journalKey : [:])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains(": intact: verified 1.."), "\(result.stdout)")
        }
    }

    @Test func showAndReportGiveEveryStep() async throws {
        for (folder, steps, status) in Self.expected {
            let path = try Self.journal(folder)
            let environment = folder == "drill" ? Self.journalKey : [:]
            let show = try await FiletProcess.run(["audit", "show", path], environment: environment)
            #expect(show.status == 0, "\(folder): \(show.stderr)")
            #expect(show.stdout.contains("\n  integrity: intact: verified 1.."), "\(folder): \(show.stdout)")
            for step in steps { #expect(show.stdout.contains(" " + step.prefix { $0 != " " } + " "), "\(folder): \(step)") }
            let report = try await Self.report(path, environment: environment)
            let reported = (report["steps"] as? [[String: Any]] ?? []).map {
                "\($0["id"] as? String ?? "?") \($0["status"] as? String ?? "?")"
            }
            #expect(reported == steps, "\(folder)")
            #expect((report["run"] as? [String: Any])?["status"] as? String == status, "\(folder)")
            #expect((report["integrity"] as? [String: Any])?["intact"] as? Bool == true, "\(folder)")
        }
    }

    @Test func theOutboxJournalsShowTheirDeliveries() async throws {
        let paths = Self.journals("outbox")
        try #require(paths.count == 2)
        let run = try await Self.report(paths[0])
        #expect(
            (run["notifications"] as? [[String: Any]])?.map { $0["outcome"] as? String } == [
                "delivered_later", "delivered_later", "delivered_later",
            ])
        let show = try await FiletProcess.run(["audit", "show", paths[1]])
        #expect(show.status == 0, "\(show.stderr)")
        for type in JournalRecordKind.allCases where type.rawValue.hasPrefix("outbox.") {
            #expect(show.stdout.contains(" \(type) "), "\(type)")
        }
        let delivery = try await Self.report(paths[1])
        #expect((delivery["run"] as? [String: Any])?["status"] as? String == "failed")
    }

    /// The drill's readiness takes each check's latency from what its attempt recorded.
    @Test func theDrillReadinessHasTheRecordedLatency() async throws {
        let path = try Self.journal("drill")
        let attempt = try #require(
            JournalReader.read(path: path).records.first { $0.kind == .stepAttempt && $0.field("step") == "resolve" })
        let recorded = try attempt.decode(StepAttempt.self).observed.first { $0.0 == "latency_ms" }?.1
        let report = try await Self.report(path, environment: Self.journalKey)
        let checks = (report["readiness"] as? [String: Any])?["checks"] as? [[String: Any]]
        #expect(checks?.count == 1)
        #expect(checks?.first?["kind"] as? String == "check.dns")
        #expect(recorded == .integer(try #require(checks?.first?["latency_ms"] as? Int)))
    }

    @Test func theInterruptedRunResumesWithTodaysFilet() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let original = try Self.journal("interrupted")
        let path = directory.path((original as NSString).lastPathComponent)
        try FileManager.default.copyItem(atPath: original, toPath: path)
        let runbook = directory.path("interrupted.yaml")
        try FileManager.default.copyItem(atPath: Self.folder + "/interrupted/interrupted.yaml", toPath: runbook)
        let before = try JournalFile(path: path)

        let result = try await FiletProcess.run(["resume", path, "--runbook", runbook, "--operator", "today"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let after = try JournalFile(path: path)
        #expect(Array(after.lines.prefix(before.lines.count)) == before.lines, "the records written before stay as they were")
        let added = Array(after.records.dropFirst(before.lines.count))
        #expect(
            added.map { "\($0["type"] as? String ?? "?") \($0["step"] as? String ?? "")" } == [
                "run.resumed ", "step.started slow", "step.process slow", "step.attempt slow", "step.finished slow", "step.started last",
                "step.process last", "step.attempt last", "step.finished last", "step.started wrap-up", "step.process wrap-up",
                "step.attempt wrap-up", "step.finished wrap-up", "run.finished ",
            ])
        #expect(added.first?["previous_status"] as? String == "interrupted")
        #expect(added.first?["settled"] as? [String] == ["first"])
        #expect(added.last?["status"] as? String == "succeeded")
        let verify = try await FiletProcess.run(["audit", "verify", path])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func resumeRefusesAJournalThatIsNotARunsNamingItsFirstLine() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let original = try #require(Self.journals("outbox").last)
        let path = directory.path((original as NSString).lastPathComponent)
        try FileManager.default.copyItem(atPath: original, toPath: path)
        let result = try await FiletProcess.run(["resume", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path): line 1: the journal does not start with run.started"), "\(result.stderr)")
        #expect(try JournalFile(path: path).data == (try JournalFile(path: original).data))
    }

    /// Today's filet, given the same runbooks and flags, writes the same records: same types in the same order, same
    /// fields in the same order, same values but for those that differ from one run to the next; but for the records
    /// added since (``addedSinceTheFixtures``: a command's `step.process`), left out of the comparison.
    @Test func todaysFiletWritesTheRecordsTheLegacyOneWrote() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let keys = try await FiletProcess.run(["audit", "keygen", "--out", directory.path("keys")])
        #expect(keys.status == 0)
        let complete = Self.folder + "/complete/complete.yaml"
        let runs: [(folder: String, arguments: [String], environment: [String: String])] = [
            ("complete", ["run", complete, "--yes", "--signing-key", directory.path("keys/filet-signing.key")], [:]),
            ("drill", ["drill", complete], Self.journalKey),
            ("rollback", ["run", Self.folder + "/rollback/rollback.yaml"], [:]),
        ]
        for (folder, arguments, environment) in runs {
            let journals = directory.path("journal-" + folder)
            let arguments = arguments + ["--operator", "fixture", "--journal", journals]
            // Issue 9: a confirmation that nobody can be asked now stops the run before it starts (the preflight); in a
            // terminal, answered "no", the run goes on as the legacy one did, refused by the operator instead of by the
            // absence of a terminal.
            let refusedAtTheTerminal = folder == "rollback"
            if refusedAtTheTerminal {
                guard TmuxTerminal.isAvailable else { continue }
                let terminal = try await TmuxTerminal(arguments, environment: environment, directory: directory.url)
                defer { terminal.close() }
                try #require(await terminal.waitFor("Type yes"), "\(terminal.lastScreen)")
                try await terminal.type("n")
                #expect(await terminal.exitStatus() == 1, "\(terminal.lastScreen)")
            } else {
                // In the test's own directory: the runbook's file channel writes to ./notifications.jsonl.
                _ = await
                    (try RunningProcess(
                        executable: FiletProcess.binary.path, arguments: arguments,
                        environment: FiletProcess.environment(environment), directory: directory.url)).finish()
            }
            let written = try JournalFile.only(in: journals).path
            let answered: Set<String> = refusedAtTheTerminal ? ["approve"] : []
            #expect(
                try Self.shape(of: written, whoAnswered: answered) == Self.shape(of: try Self.journal(folder), whoAnswered: answered),
                "\(folder)")
        }
    }

    /// Record types that the filet of the fixtures did not write (see JournalSchemaTests).
    static let addedSinceTheFixtures: Set<String> = ["step.process", "process.killed"]

    /// Each record as `type {fields}`, with the values that change from one run to the next replaced by `*`, without
    /// the records of ``addedSinceTheFixtures`` and the fields today's filet adds at the end of a record
    /// (`overridden_vars`, `os_uid`, `os_user`: issue 9; an undo's `script` and `values`: issue 10); for the steps of
    /// `whoAnswered`, who answered the confirmation, how, why and the answer (`by`, `how`, `reason`, `output`) replaced
    /// by `*` too.
    static func shape(of path: String, whoAnswered: Set<String> = []) throws -> [String] {
        let varying: Set<String> = [
            "duration_ms", "latency_ms", "addresses", "host", "runbook_path", "filet_version", "message_id", "head", "key", "sig",
        ]
        let added: Set<String> = ["overridden_vars", "os_uid", "os_user", "script", "values"]
        func normalized(_ value: JSONValue, also: Set<String>) -> JSONValue {
            switch value {
            case .object(let members):
                .object(
                    members.filter { !added.contains($0.0) }.map {
                        ($0, varying.contains($0) || also.contains($0) ? "*" : normalized($1, also: also))
                    })
            case .array(let items): .array(items.map { normalized($0, also: also) })
            default: value
            }
        }
        // A checkpoint's `records` counts the added records too.
        return try JournalReader.read(path: path).records.filter { !addedSinceTheFixtures.contains($0.type) }.map { record in
            let fields = record.type == "checkpoint" ? record.fields.map { ($0.0, $0.0 == "records" ? "*" : $0.1) } : record.fields
            var step: String?
            if case .string(let id)? = record.field("step") { step = id }
            let also: Set<String> = step.map(whoAnswered.contains) == true ? ["by", "how", "reason", "output"] : []
            return "\(record.type) \(normalized(.object(fields), also: also).rendered(pretty: false))"
        }
    }

    static func report(_ path: String, environment: [String: String] = [:]) async throws -> [String: Any] {
        let result = try await FiletProcess.run(["audit", "report", path, "--format", "json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }
}
