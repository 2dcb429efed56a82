import Foundation
import Testing

/// The questions filet asks an operator, answered in a real terminal (tmux): a confirmation during `filet run`, and
/// `filet resume`'s question about an interrupted step that is not idempotent. The same words mean the same thing in
/// both: yes, y, oui, o say yes; no, n, non say no; anything else asks again and is never a refusal.
@Suite(.enabled(if: TmuxTerminal.isAvailable, "needs tmux (apt-get install tmux)"))
struct PromptTests {
    static let english = ["LANG": "C.UTF-8"]
    static let french = ["LANG": "fr_FR.UTF-8"]

    /// What the question says in each language: the answers it names, once per time it is asked.
    static func choices(_ french: Bool) -> String { french ? "oui (ou o)" : "yes (or y)" }

    static func confirmation(in directory: TestDirectory) throws -> String {
        try directory.write(
            "confirmation.yaml",
            """
            runbook: confirmation
            title: Confirmation
            steps:
              - id: feu-vert
                confirm: Basculer les agents ?
              - id: bascule
                run: touch \(directory.path("marker"))
            """)
    }

    /// Each answer typed in turn; all but the last are not answers.
    @Test(
        arguments: [
            (false, ["y"], true), (false, ["yes"], true), (true, ["o"], true), (true, ["oui"], true), (false, ["  OUI "], true),
            (true, ["Y"], true), (false, ["n"], false), (true, ["non"], false), (false, ["no"], false), (true, ["N"], false),
            (false, ["maybe", "yes"], true), (true, ["peut-être", "", "o"], true), (false, ["d", "non"], false),
        ])
    func aConfirmationAcceptsTheWordsOfBothLanguagesAndAsksAgainOtherwise(french: Bool, answers: [String], approves: Bool)
        async throws
    {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.confirmation(in: directory)
        let terminal = try await TmuxTerminal(
            ["run", runbook, "--journal", directory.journal, "--operator", "chef"], environment: french ? Self.french : Self.english)
        defer { terminal.close() }

        let question =
            french ? "Approuver ? Tapez oui (ou o) pour approuver, non (ou n) pour refuser" : "Approve? Type yes (or y) to approve"
        try #require(await terminal.waitFor(question), "no question on the screen:\n\(terminal.lastScreen)")
        for (index, answer) in answers.enumerated() {
            try await terminal.type(answer)
            guard index < answers.count - 1 else { break }
            // Not an answer: said so, and asked again.
            let said =
                answer.trimmingCharacters(in: .whitespaces).isEmpty
                ? (french ? "Aucune réponse tapée" : "No answer typed")
                : (french ? "« \(answer) » n’est pas une réponse" : "'\(answer)' is not an answer")
            #expect(await terminal.waitFor(said), "\(terminal.lastScreen)")
            // The exchange stays written above the question asked again.
            #expect(
                await terminal.waitFor("Basculer les agents ? → \(answer.trimmingCharacters(in: .whitespaces))"), "\(terminal.lastScreen)")
            #expect(await terminal.waitFor(Self.choices(french)), "\(terminal.lastScreen)")
        }
        let status = await terminal.exitStatus()
        #expect(status == (approves ? 0 : 1), "\(terminal.lastScreen)")
        #expect(directory.exists("marker") == approves)

        let journal = try JournalFile.only(in: directory.journal)
        let type = approves ? "confirm.granted" : "confirm.refused"
        let record = try #require(journal.records(type, step: "feu-vert").first, "\(journal.types)")
        let typed = try #require(answers.last).trimmingCharacters(in: .whitespaces)
        #expect(record["how"] as? String == (approves ? "typed '\(typed)' at the terminal" : "answered '\(typed)' at the terminal"))
        #expect(record["by"] as? String == "chef")
        #expect(record["os_uid"] as? Int == Int(getuid()))
        #expect(journal.records.count { ($0["type"] as? String)?.hasPrefix("confirm.") == true } == 1, "asked again, never refused")
    }

    @Test func theEndOfInputIsNoAnswer() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.confirmation(in: directory)
        let terminal = try await TmuxTerminal(["run", runbook, "--journal", directory.journal], environment: Self.english)
        defer { terminal.close() }
        try #require(await terminal.waitFor(Self.choices(false)), "\(terminal.lastScreen)")
        try await terminal.press("C-d")
        #expect(await terminal.exitStatus() == 1, "\(terminal.lastScreen)")
        #expect(!directory.exists("marker"))
        let refused = try #require(try JournalFile.only(in: directory.journal).records("confirm.refused", step: "feu-vert").first)
        #expect(refused["reason"] as? String == "no answer (end of input)")
    }

    // MARK: resume

    /// `b` is not idempotent and runs until RESUMING exists; `c` comes after it (reading `${env.extra}`, when given).
    static func interruptedRun(in directory: TestDirectory, extra: String? = nil) async throws -> String {
        let runbook = try directory.write(
            "reprise.yaml",
            """
            runbook: reprise
            title: Reprise
            steps:
              - id: b
                run: echo x >> \(directory.path("B")); i=0; while [ ! -f \(directory.path("RESUMING")) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
              - id: c
                run: echo x \(extra.map { "${env.\($0)}" } ?? "") >> \(directory.path("C"))
            """)
        let filet = try FiletProcess.start(
            ["run", runbook, "--journal", directory.journal], environment: extra.map { [$0: "là"] } ?? [:])
        let reached = await filet.wait(upTo: .seconds(30)) {
            JournalFile.shows("step.started", step: "b", in: directory.journal) && directory.exists("B")
        }
        filet.send(SIGKILL)
        _ = await filet.finish(within: .seconds(30))
        try directory.write("RESUMING", "")
        try #require(reached, "the run never started b")
        return try JournalFile.only(in: directory.journal).path
    }

    @Test(arguments: [
        (false, ["y"], true), (true, ["oui"], true), (true, ["o"], true), (false, ["n"], false), (true, ["non"], false),
        (false, ["d", "no"], false), (true, ["relancer", "O"], true),
    ])
    func resumeAsksAboutAnInterruptedStepWithTheSameWords(french: Bool, answers: [String], reruns: Bool) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = try await Self.interruptedRun(in: directory)
        let terminal = try await TmuxTerminal(["resume", path, "--operator", "reprise"], environment: french ? Self.french : Self.english)
        defer { terminal.close() }

        let question =
            french ? "La relancer ? oui (ou o) = la relancer, non (ou n) = elle a pris effet" : "Run it again? yes (or y) = run it again"
        try #require(await terminal.waitFor(question), "no question on the screen:\n\(terminal.lastScreen)")
        #expect(await terminal.waitFor("Ctrl-C"), "it says how to stop")
        for (index, answer) in answers.enumerated() {
            try await terminal.type(answer)
            guard index < answers.count - 1 else { break }
            #expect(await terminal.waitFor(french ? "n’est pas une réponse" : "is not an answer"), "\(terminal.lastScreen)")
            #expect(await terminal.waitFor(Self.choices(french), count: index + 2), "\(terminal.lastScreen)")
        }
        #expect(await terminal.exitStatus() == 0, "\(terminal.lastScreen)")
        #expect(directory.contents("B")?.split(separator: "\n").count == (reruns ? 2 : 1))
        #expect(directory.contents("C")?.split(separator: "\n").count == 1)
        let resumed = try #require(try JournalFile(path: path).records("run.resumed").first)
        #expect(resumed[reruns ? "rerun" : "mark_done"] as? [String] == ["b"])
        #expect(resumed["decided_at_terminal"] as? [String] == ["b"])
        #expect(resumed["os_uid"] as? Int == Int(getuid()))
    }

    /// What the preflight can tell is said before the question about an interrupted step, whatever the answer
    /// would be: here `c` reads a variable that is no longer set.
    @Test func resumeSaysWhatBlocksItBeforeAsking() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = try await Self.interruptedRun(in: directory, extra: "FILET_TEST_NEEDED_BY_C")
        let terminal = try await TmuxTerminal(["resume", path], environment: Self.french)
        defer { terminal.close() }
        #expect(await terminal.exitStatus() == 2, "\(terminal.lastScreen)")
        #expect(terminal.lastScreen.contains("FILET_TEST_NEEDED_BY_C"), "\(terminal.lastScreen)")
        #expect(terminal.lastScreen.contains("rien n’a été repris"), "\(terminal.lastScreen)")
        #expect(!terminal.lastScreen.contains("La relancer ?"), "asked before saying what blocks it:\n\(terminal.lastScreen)")
        #expect(directory.contents("B")?.split(separator: "\n").count == 1)
    }
}
