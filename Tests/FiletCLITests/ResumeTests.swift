import Foundation
import Testing

/// `filet resume` on the real binary: a `filet run` killed with SIGKILL at several points, then resumed in the
/// same journal. Every step appends a line to its own file, so the tests count how many times each one ran.
@Suite struct ResumeTests {
    /// `a` is idempotent, `b` is not (a `run` step), `pause` is idempotent, `d` reads `${steps.c.output}`. The slow
    /// steps wait (60 s at most) until GO_<name> or RESUMING exists: the test releases the steps it wants done, kills
    /// the run where it means to even on a loaded machine, and creates RESUMING before resuming.
    static func runbook(in directory: TestDirectory) throws -> String {
        try directory.write(
            "reprise.yaml",
            """
            runbook: reprise
            title: Reprise
            steps:
              - id: a
                run: echo x >> \(directory.path("A")); \(slow("A", in: directory))
                idempotent: true
              - id: b
                run: echo x >> \(directory.path("B")); \(slow("B", in: directory))
              - id: pause
                run: \(slow("P", in: directory))
                idempotent: true
              - id: c
                run: echo x >> \(directory.path("C")); echo sortie-c
              - id: d
                run: echo "${steps.c.output}" >> \(directory.path("D"))
            finally:
              - id: fin
                run: echo x >> \(directory.path("F"))
            """)
    }

    static func slow(_ name: String, in directory: TestDirectory) -> String {
        "i=0; while [ ! -f \(directory.path("GO_" + name)) ] && [ ! -f \(directory.path("RESUMING")) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"
    }

    static func count(_ name: String, in directory: TestDirectory) -> Int {
        directory.contents(name)?.split(separator: "\n").count ?? 0
    }

    /// Starts `filet run`, waits until `condition` holds, and kills it with SIGKILL: a crash.
    static func crash(
        _ runbook: String, in directory: TestDirectory, releasing released: [String] = [], when condition: @escaping () -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        for name in released { try directory.write("GO_" + name, "") }
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        let reached = await filet.wait(upTo: .seconds(30), until: condition)
        filet.send(SIGKILL)
        let result = await filet.finish(within: .seconds(30))
        // Releases the killed run's orphaned step shells too, and waits until they have ended: `filet resume` refuses to
        // run again a step whose process group still runs (ResumeSafetyTests).
        try directory.write("RESUMING", "")
        let groups = Processes.recordedGroups(in: directory.journal)
        #expect(
            await Processes.eventually { groups.allSatisfy { Processes.members(ofGroup: $0).isEmpty } },
            "the killed run's steps did not end", sourceLocation: sourceLocation)
        try #require(
            reached, "the run never reached the point to crash at: \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        try #require(result.status != 0, sourceLocation: sourceLocation)
        let journal = try JournalFile.only(in: directory.journal)
        #expect(!journal.types.contains("run.finished"), sourceLocation: sourceLocation)
        return journal.path
    }

    /// The resumed run ended well: exit 0, the journal verifies end to end and ends `succeeded`.
    static func expectResumedAndIntact(
        _ result: FiletProcess, journal path: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JournalFile {
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        let journal = try JournalFile(path: path)
        #expect(journal.types.last == "run.finished", sourceLocation: sourceLocation)
        #expect(journal.records.last?["status"] as? String == "succeeded", sourceLocation: sourceLocation)
        #expect(journal.types.filter { $0 == "run.resumed" }.count == 1, sourceLocation: sourceLocation)
        let verify = try await FiletProcess.run(["audit", "verify", path])
        #expect(verify.status == 0, "\(verify.stdout)", sourceLocation: sourceLocation)
        #expect(
            verify.stdout.contains("intact: verified 1..\(journal.lines.count) of \(journal.lines.count) records"),
            "\(verify.stdout)", sourceLocation: sourceLocation)
        return journal
    }

    @Test func crashDuringAnIdempotentStepRerunsIt() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let path = try await Self.crash(runbook, in: directory) {
            JournalFile.shows("step.started", step: "a", in: directory.journal) && directory.exists("A")
        }
        let result = try await FiletProcess.run(["resume", path])
        let journal = try await Self.expectResumedAndIntact(result, journal: path)
        #expect(Self.count("A", in: directory) == 2)
        #expect(Self.count("B", in: directory) == 1)
        #expect(Self.count("C", in: directory) == 1)
        #expect(directory.contents("D") == "sortie-c\n")
        #expect(Self.count("F", in: directory) == 1)
        let resumed = try #require(journal.records("run.resumed").first)
        #expect(resumed["interrupted"] as? [String] == ["a"])
        #expect(resumed["settled"] as? [String] == [])
        #expect(resumed["previous_status"] as? String == "crashed")
    }

    @Test(arguments: [("--rerun", 2), ("--mark-done", 1)])
    func crashDuringANonIdempotentStepNeedsADecision(flag: String, expectedRunsOfB: Int) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let path = try await Self.crash(runbook, in: directory, releasing: ["A"]) {
            JournalFile.shows("step.started", step: "b", in: directory.journal) && directory.exists("B")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        // No terminal, no decision: a clear refusal, and the journal untouched.
        let undecided = try await FiletProcess.run(["resume", path])
        #expect(undecided.status == 2)
        #expect(undecided.stderr.contains("step 'b' was running when the run stopped and is not idempotent"), "\(undecided.stderr)")
        #expect(undecided.stderr.contains("--rerun ID") && undecided.stderr.contains("--mark-done ID"))
        #expect(undecided.stderr.contains("nothing resumed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(Self.count("C", in: directory) == 0)

        let result = try await FiletProcess.run(["resume", path, flag, "b", "--operator", "chef-de-salle"])
        let journal = try await Self.expectResumedAndIntact(result, journal: path)
        #expect(Self.count("A", in: directory) == 1)
        #expect(Self.count("B", in: directory) == expectedRunsOfB)
        #expect(Self.count("C", in: directory) == 1)
        #expect(directory.contents("D") == "sortie-c\n")
        #expect(Self.count("F", in: directory) == 1)
        let resumed = try #require(journal.records("run.resumed").first)
        #expect(resumed["operator"] as? String == "chef-de-salle")
        #expect(resumed["settled"] as? [String] == (flag == "--rerun" ? ["a"] : ["a", "b"]))
        #expect(resumed[flag == "--rerun" ? "rerun" : "mark_done"] as? [String] == ["b"])
        // A settled step gets no new record: a has one step.started in all.
        #expect(journal.records("step.started", step: "a").count == 1)
        #expect(journal.records("step.started", step: "b").count == expectedRunsOfB)
    }

    @Test func crashAfterAStepDoesNotRunItAgain() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        // b has finished; the crash hits during the wait, before c.
        let path = try await Self.crash(runbook, in: directory, releasing: ["A", "B"]) {
            JournalFile.shows("step.started", step: "pause", in: directory.journal)
        }
        let result = try await FiletProcess.run(["resume", path])
        _ = try await Self.expectResumedAndIntact(result, journal: path)
        #expect(Self.count("A", in: directory) == 1)
        #expect(Self.count("B", in: directory) == 1)
        #expect(Self.count("C", in: directory) == 1)
        #expect(directory.contents("D") == "sortie-c\n")
        #expect(Self.count("F", in: directory) == 1)
    }

    @Test func tornTailIsSavedAsideCutOffAndRecorded() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let path = try await Self.crash(runbook, in: directory, releasing: ["A", "B"]) {
            JournalFile.shows("step.started", step: "pause", in: directory.journal)
        }
        let torn = #"{"seq":42,"ts":"2026-01-01T00:0"#
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(torn.utf8))
        try handle.close()
        #expect(try await FiletProcess.run(["audit", "verify", path]).stdout.contains("torn-tail"))

        let result = try await FiletProcess.run(["resume", path])
        let journal = try await Self.expectResumedAndIntact(result, journal: path)
        #expect(result.stderr.contains("saved to \(path).broken"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".broken")) == Data(torn.utf8))
        let recovered = try #require(journal.records("journal.recovered").first)
        #expect(recovered["dropped_bytes"] as? Int == torn.utf8.count)
        #expect(recovered["saved_to"] as? String == path + ".broken")
        #expect(
            Array(journal.types.suffix(from: journal.types.firstIndex(of: "journal.recovered")!).prefix(2)) == [
                "journal.recovered", "run.resumed",
            ])
        #expect(Self.count("B", in: directory) == 1)
        #expect(Self.count("C", in: directory) == 1)
    }

    /// A quick run that fails at `b` until FLAG exists: `a` succeeded, `b` failed, `c` never ran.
    static func failedRun(in directory: TestDirectory) async throws -> (runbook: String, journal: String) {
        let runbook = try directory.write(
            "echec.yaml",
            """
            runbook: echec
            title: Echec
            steps:
              - id: a
                run: echo x >> \(directory.path("A")); echo sortie-a
              - id: b
                run: echo x >> \(directory.path("B")); test -f \(directory.path("FLAG"))
              - id: c
                run: echo "${steps.a.output}" >> \(directory.path("C"))
            """)
        let first = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        return (runbook, try JournalFile.only(in: directory.journal).path)
    }

    @Test func failedRunResumesFailedStepsOnlyAndVerifiesAfterRunFinished() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (_, path) = try await Self.failedRun(in: directory)
        try directory.write("FLAG", "")
        let result = try await FiletProcess.run(["resume", path])
        let journal = try await Self.expectResumedAndIntact(result, journal: path)
        #expect(Self.count("A", in: directory) == 1)
        #expect(Self.count("B", in: directory) == 2)
        #expect(directory.contents("C") == "sortie-a\n")
        #expect(journal.records("run.finished").map { $0["status"] as? String } == ["failed", "succeeded"])
        #expect(journal.records("run.resumed").first?["previous_status"] as? String == "failed")

        // A succeeded run has nothing to resume.
        let again = try await FiletProcess.run(["resume", path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("the run already succeeded"), "\(again.stderr)")
    }

    @Test func tamperedJournalIsRefusedAndLeftAlone() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (_, path) = try await Self.failedRun(in: directory)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let range = try #require(text.range(of: "sortie-a"))
        text.replaceSubrange(range, with: "sortie-b")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try directory.write("FLAG", "")

        let result = try await FiletProcess.run(["resume", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot be trusted"), "\(result.stderr)")
        #expect(result.stderr.contains("modified"), "\(result.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(Self.count("B", in: directory) == 1)
        #expect(!directory.exists("C"))
    }

    @Test func changedRunbookIsRefusedUnlessForced() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (runbook, path) = try await Self.failedRun(in: directory)
        try directory.write("FLAG", "")
        let original = try #require(directory.contents("echec.yaml"))
        try directory.write("echec.yaml", original + "# changed after the run\n")

        let refused = try await FiletProcess.run(["resume", path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the runbook \(runbook) changed since the run started"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        #expect(Self.count("B", in: directory) == 1)

        let forced = try await FiletProcess.run(["resume", path, "--force"])
        let journal = try await Self.expectResumedAndIntact(forced, journal: path)
        let resumed = try #require(journal.records("run.resumed").first)
        #expect(resumed["forced"] as? Bool == true)
        #expect(resumed["runbook_changed"] as? Bool == true)
        #expect(resumed["recorded_runbook_sha256"] as? String == journal.records("run.started").first?["runbook_sha256"] as? String)
        #expect(journal.records("run.started").first?["runbook_path"] as? String == runbook)
        #expect(Self.count("B", in: directory) == 2)
    }
}
