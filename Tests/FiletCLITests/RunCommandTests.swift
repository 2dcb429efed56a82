import FiletRunbook
import FiletTestSupport
import Foundation
import Synchronization
import Testing

/// `filet run` end to end: the real binary, real runbooks in temporary directories, real journals,
/// then `filet audit verify` on what the run wrote.
@Suite struct RunCommandTests {
    @Test func demoRunbookRunsAndItsJournalVerifies() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let result = try await FiletProcess.run(["run", "Runbooks/auto-test.yaml", "--yes", "--journal", directory.journal])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let journal = try JournalFile.only(in: directory.journal)

        // The journal's path, at the start (before any step) and at the end.
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines.first?.hasPrefix("Run ") == true && lines.first?.hasSuffix("journal: \(journal.path)") == true, "\(lines.first ?? "")")
        #expect(result.stdout.hasSuffix("Journal: \(journal.path)\nVerify it with: filet audit verify \(journal.path)\n"))
        #expect(result.stdout.contains("succeeded in "))
        #expect(!result.stdout.contains("\u{1B}"), "stdout is a pipe: no escape sequences")

        // What the journal holds: run.started first, run.finished last, every step started then finished.
        #expect(journal.types.first == "run.started")
        #expect(journal.types.last == "run.finished")
        #expect(journal.records.first?["runbook"] as? String == "auto-test")
        #expect(journal.records.last?["status"] as? String == "succeeded")
        #expect(journal.records.count == journal.lines.count)
        let started = journal.records("step.started").compactMap { $0["step"] as? String }
        let finished = journal.records("step.finished").compactMap { $0["step"] as? String }
        #expect(Set(started) == Set(finished))
        #expect(started.count == 10)
        #expect(journal.records("confirm.granted", step: "confirmer").first?["how"] as? String == "pre-approved with --yes")

        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let count = journal.lines.count
        #expect(verify.stdout == "\(journal.path): intact: verified 1..\(count) of \(count) records (hash chain), run closed\n")
    }

    // MARK: Exit codes and errors

    /// A journal directory and a file channel of one character, relative to the working directory (Foundation's
    /// `deletingLastPathComponent` crashes on such a path).
    @Test func oneCharacterPathsRelativeToTheWorkingDirectory() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write(
            "court.yaml",
            """
            runbook: court
            title: Court
            channels:
              registre: { file: y }
            steps:
              - id: noter
                notify: { channel: registre, text: noté }
            """)
        let filet = try RunningProcess(
            executable: FiletProcess.binary.path, arguments: ["run", "court.yaml", "--journal", "j"],
            environment: FiletProcess.environment([:]), directory: directory.url)
        let result = await filet.finish()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(directory.contents("y")?.contains("noté") == true)
        #expect(JournalFile.paths(in: directory.path("j")).count == 1)
    }

    @Test func invalidRunbookExits2AndNothingRuns() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "invalide.yaml",
            """
            runbook: invalide
            title: Invalide
            steps:
              - id: marquer
                run: touch \(directory.path("marker"))
              - id: mauvaise
                wiat: 1s
            """)
        let result = try await FiletProcess.run(["run", runbook, "--yes", "--journal", directory.journal])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(runbook):7:5: error: unknown key 'wiat' in a step"))
        #expect(result.stderr.contains("filet: \(runbook) is not valid: nothing ran"))
        #expect(result.stdout.isEmpty)
        #expect(!directory.exists("journal"), "no journal for a run that never started")
        #expect(!directory.exists("marker"))
    }

    @Test func unknownVarExits2() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "vars.yaml",
            """
            runbook: vars
            title: Vars
            vars: { cible: https://vpn.example }
            steps:
              - id: a
                run: touch \(directory.path("marker"))
            """)
        let result = try await FiletProcess.run(["run", runbook, "--var", "cibel=x", "--journal", directory.journal])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--var cibel: the runbook has no variable 'cibel'; did you mean 'cible'?"), "\(result.stderr)")
        #expect(!directory.exists("journal"))
        #expect(!directory.exists("marker"))

        let malformed = try await FiletProcess.run(["run", runbook, "--var", "cible", "--journal", directory.journal])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("--var takes NAME=VALUE, not 'cible'"))
    }

    @Test func unknownVarOfARunbookWithoutVarsSaysSoPlainly() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("sans-vars.yaml", "runbook: sans-vars\ntitle: Sans vars\nsteps:\n  - id: a\n    run: \"true\"\n")
        let result = try await FiletProcess.run(["run", runbook, "--var", "nope=1", "--journal", directory.journal])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--var nope: the runbook has no variable 'nope'"))
        #expect(!result.stderr.contains("there are no its vars are"), "\(result.stderr)")
        #expect(result.stderr.contains("the runbook declares no vars"), "\(result.stderr)")
        #expect(!directory.exists("journal"))
    }

    @Test func unsetEnvironmentVariableExits2NamingIt() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let name = "FILET_CLI_TEST_UNSET_7Q2"
        let runbook = try directory.write(
            "env.yaml",
            """
            runbook: env
            title: Env
            steps:
              - id: a
                run: echo ${env.\(name)} > \(directory.path("marker"))
            """)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal], unsetting: [name])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the runbook reads ${env.\(name)}, which is not set in the environment"), "\(result.stderr)")
        #expect(!directory.exists("journal"))
        #expect(!directory.exists("marker"))

        // Set, even empty, it runs.
        let set = try await FiletProcess.run(["run", runbook, "--journal", directory.journal], environment: [name: ""])
        #expect(set.status == 0, "\(set.stdout)\(set.stderr)")
        #expect(directory.exists("marker"))
    }

    @Test func failingStepExits1AndShowsInTheSummary() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "echec.yaml",
            """
            runbook: echec
            title: Echec
            steps:
              - id: echoue
                run: exit 3
              - id: apres
                run: touch \(directory.path("after"))
            """)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let row = result.stdout.split(separator: "\n").first { $0.hasPrefix("echoue ") }.map(String.init) ?? ""
        #expect(row.contains(" failed ") && row.hasSuffix("exit 3, expected 0"), "summary row: '\(row)'")
        let next = result.stdout.split(separator: "\n").first { $0.hasPrefix("apres ") }.map(String.init) ?? ""
        #expect(next.contains(" skipped ") && next.contains("step 'echoue' failed and the run aborted"), "summary row: '\(next)'")
        #expect(result.stdout.contains("Run ") && result.stdout.contains(" failed in "))
        #expect(!directory.exists("after"))

        let journal = try JournalFile.only(in: directory.journal)
        let attempt = try #require(journal.records("step.attempt", step: "echoue").first)
        #expect((attempt["observed"] as? [String: Any])?["exit_code"] as? Int == 3)
        #expect(journal.records.last?["status"] as? String == "failed")
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
    }

    /// Issue 9: refused by the preflight (exit 2, no journal) instead of failing at the step (exit 1, a journal).
    @Test func confirmWithoutYesAndWithoutTerminalFailsSayingHowToApprove() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "confirmation.yaml",
            """
            runbook: confirmation
            title: Confirmation
            steps:
              - id: feu-vert
                confirm: Basculer ?
              - id: bascule
                run: touch \(directory.path("marker"))
            """)
        // stdin is /dev/null: not a terminal.
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("step 'feu-vert' asks for a confirmation and there is no terminal to ask on"), "\(result.stderr)")
        #expect(result.stderr.contains("pass --yes to approve in advance"))
        #expect(!directory.exists("marker"))
        #expect(!directory.exists("journal"), "refused before the journal is created")

        let approved = try await FiletProcess.run(["run", runbook, "--yes", "--journal", directory.journal])
        #expect(approved.status == 0)
        #expect(directory.exists("marker"))
    }

    @Test func undeliveredNotificationWaitsInTheOutboxThenIsDeliveredOnce() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let receiverUp = Mutex(false)
        let server = try TestHTTPServer { _ in receiverUp.withLock { $0 } ? .respond(.status(200)) : .respond(.status(503)) }
        defer { server.stop() }
        let runbook = try directory.write(
            "notify.yaml",
            """
            runbook: notification
            title: Notification
            channels:
              crise: { webhook: "\(server.url("/hooks/T0-s3cret"))", format: mattermost, retries: 1 }
            steps:
              - id: prevenir
                notify: { channel: crise, text: bonjour }
            """)
        let run = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(run.status == 1)
        let row = run.stdout.split(separator: "\n").first { $0.hasPrefix("prevenir ") }.map(String.init) ?? ""
        #expect(row.contains(" failed ") && row.contains("kept in the outbox"), "summary row: '\(row)'")
        #expect(server.requests.count == 2)

        let list = try await FiletProcess.run(["outbox", "list", "--journal", directory.journal])
        #expect(list.status == 0)
        #expect(list.stdout.contains("crise") && list.stdout.contains("prevenir"), "\(list.stdout)")

        receiverUp.withLock { $0 = true }
        let deliver = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal])
        #expect(deliver.status == 0, "\(deliver.stdout)\(deliver.stderr)")
        let again = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal])
        #expect(again.status == 0)
        // A receiver that de-duplicates by webhook-id sees the message exactly once, delivered.
        let ids = server.requests.compactMap { $0.header("webhook-id") }
        #expect(Set(ids).count == 1, "every attempt, retry and outbox delivery carries the same id")
        #expect(server.requests.count == 3, "two failed attempts, then one delivery; nothing after the outbox emptied")
        for output in [run.stdout, run.stderr, list.stdout, deliver.stdout, deliver.stderr] {
            #expect(!output.contains("T0-s3cret"), "a webhook URL is a secret")
        }
        for journal in try FileManager.default.contentsOfDirectory(atPath: directory.journal) where journal.hasSuffix(".jsonl") {
            #expect(!(directory.contents("journal/\(journal)") ?? "").contains("T0-s3cret"))
        }
    }

    @Test func tooShortJournalKeyExits2() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "cle.yaml", "runbook: cle\ntitle: Cle\nsteps:\n  - id: a\n    run: touch \(directory.path("marker"))\n")
        let result = try await FiletProcess.run(
            ["run", runbook, "--journal", directory.journal], environment: ["FILET_JOURNAL_KEY": "short"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("FILET_JOURNAL_KEY is 5 bytes long; a journal key must be at least 16 bytes"), "\(result.stderr)")
        #expect(!directory.exists("journal"))
        #expect(!directory.exists("marker"))
        let empty = try await FiletProcess.run(["run", runbook, "--journal", directory.journal], environment: ["FILET_JOURNAL_KEY": ""])
        #expect(empty.status == 2)
    }

    @Test func badFlagsExit2() async throws {
        let runbook = try temporaryFile("runbook: a\ntitle: A\nsteps:\n  - id: a\n    run: \"true\"\n")
        for arguments in [["--concurrency", "0"], ["--timeout", "5"], ["--format", "xml"], ["--bogus"]] {
            let result = try await FiletProcess.run(["run", runbook] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
    }

    // MARK: Live view

    static let viewRunbook = """
        runbook: vue
        title: Vue
        steps:
          - id: un
            run: echo un
          - id: deux
            wait: 600ms
        """

    @Test func withoutATerminalTheViewIsPlainAppendedLines() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("vue.yaml", Self.viewRunbook)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("\r"), "\(result.stdout.debugDescription)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let order = ["▶ un started", "✔ un succeeded", "▶ deux started", "✔ deux succeeded"].map { event in
            lines.firstIndex { $0.contains(event) }
        }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { ($0 ?? -1) < ($1 ?? -1) }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("Step ") && $0.contains("Status") })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script(1) for a terminal"))
    func onATerminalTheViewRedrawsInPlaceAndEndsWithTheSummary() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("vue.yaml", Self.viewRunbook)
        let command = [FiletProcess.binary.path, "run", runbook, "--journal", directory.journal].map(shellQuoted).joined(separator: " ")
        let script = try RunningProcess(
            executable: "/usr/bin/script", arguments: ["-qfec", command, "/dev/null"],
            environment: FiletProcess.environment(["TERM": "xterm"]))
        let result = await script.finish(within: .seconds(60))
        #expect(result.status == 0, "\(result.stdout.debugDescription)")
        let output = result.stdout.replacing("\r\n", with: "\n")
        #expect(output.contains(#/\x1B\[\d+A/#), "cursor-up sequences: \(output.debugDescription)")
        #expect(output.contains("\u{1B}[J"))
        // Each step's row is written once (the live rows are erased, never left behind), then the verdict.
        #expect(output.ranges(of: #/✔ un +succeeded/#).count == 1, "\(output.debugDescription)")
        #expect(output.ranges(of: #/✔ deux +succeeded/#).count == 1, "\(output.debugDescription)")
        #expect(output.contains(#/Run \S+ succeeded in /#), "\(output.debugDescription)")
        let journal = try JournalFile.only(in: directory.journal)
        // The last words on the screen are the journal's path (cut with backslashes where it is too long): nothing
        // redraws over them.
        let tail = try #require(output.ranges(of: "Verify it with:").last)
        let rest = output[tail.upperBound...]
        #expect(!rest.contains("\u{1B}"), "drawn after the end: \(rest.debugDescription)")
        #expect(rest.replacing("\\\n", with: "").contains("filet audit verify \(journal.path)\n"), "\(rest.debugDescription)")
    }

    @Test func jsonFormatPrintsOneObjectPerLine() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("vue.yaml", Self.viewRunbook)
        let result = try await FiletProcess.run(["run", runbook, "--format", "json", "--journal", directory.journal])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("\n"))
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var events: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            events += object.map { [$0] } ?? []
        }
        let journal = try JournalFile.only(in: directory.journal)
        #expect(events.first?["event"] as? String == "run.started")
        #expect(events.first?["journal"] as? String == journal.path)
        #expect(events.last?["event"] as? String == "run.finished")
        #expect(events.last?["exit_code"] as? Int == 0)
        #expect(events.last?["journal"] as? String == journal.path)
        let finished = events.filter { $0["event"] as? String == "step.finished" }
        #expect(finished.compactMap { $0["step"] as? String } == ["un", "deux"])
        #expect(finished.allSatisfy { $0["status"] as? String == "succeeded" })
    }

    // MARK: Concurrency

    /// Two independent steps that each record when they start and end (nanoseconds since the epoch).
    static func concurrencyRunbook(in directory: TestDirectory) -> String {
        let steps = ["a", "b"].map { id in
            """
              - id: \(id)
                needs: []
                run: |
                  date +%s%N > \(directory.path("\(id).start"))
                  sleep 1
                  date +%s%N > \(directory.path("\(id).end"))
            """
        }
        return "runbook: parallele\ntitle: Parallele\nsteps:\n" + steps.joined(separator: "\n") + "\n"
    }

    static func interval(_ id: String, in directory: TestDirectory) throws -> ClosedRange<Int> {
        let start = try #require(directory.contents("\(id).start").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let end = try #require(directory.contents("\(id).end").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        return start...end
    }

    @Test func concurrencyOneRunsIndependentStepsOneAfterTheOther() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("parallele.yaml", Self.concurrencyRunbook(in: directory))
        let result = try await FiletProcess.run(["run", runbook, "--concurrency", "1", "--journal", directory.journal])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let a = try Self.interval("a", in: directory)
        let b = try Self.interval("b", in: directory)
        #expect(!a.overlaps(b), "a \(a), b \(b)")
    }

    @Test func byDefaultIndependentStepsRunTogether() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("parallele.yaml", Self.concurrencyRunbook(in: directory))
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let a = try Self.interval("a", in: directory)
        let b = try Self.interval("b", in: directory)
        #expect(a.overlaps(b), "a \(a), b \(b)")
    }
}

/// `text` as one word for sh.
func shellQuoted(_ text: String) -> String {
    "'" + text.replacing("'", with: #"'\''"#) + "'"
}
