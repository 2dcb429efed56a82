import Foundation
import Testing

/// The operator's language, on the real binary: French when `LC_ALL`, `LC_MESSAGES` or `LANG` starts with `fr` (the
/// first one set decides), English otherwise, `--lang fr|en` above both; the journal and `--format json` never change.
@Suite struct LanguageTests {
    /// A step of each state a run without a signal ends with: succeeded, failed, skipped (its `when` is false).
    static func runbook(in directory: TestDirectory) throws -> String {
        try directory.write(
            "langue.yaml",
            """
            runbook: langue
            title: Langue
            steps:
              - { id: premiere, run: 'echo ok' }
              - { id: echec, run: 'echo "disque plein" >&2; exit 4', on_failure: continue }
              - id: jamais
                needs: [echec]
                when: steps.echec.status == 'succeeded'
                run: echo jamais
            """)
    }

    @Test(arguments: [
        (["LANG": "fr_FR.UTF-8"], [String](), true),
        (["LANG": "C.UTF-8"], ["--lang", "fr"], true),
        (["LANG": "fr_FR.UTF-8"], ["--lang", "en"], false),
        (["LANG": "en_GB.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"], [], true),
        (["LANG": "fr_FR.UTF-8", "LC_ALL": "C.UTF-8"], [], false),
        (["LANG": "fr_FR.UTF-8", "LC_ALL": ""], [], true),
    ])
    func plainLinesAndTheSummarySpeakTheOperatorsLanguage(environment: [String: String], flags: [String], french: Bool)
        async throws
    {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal] + flags, environment: environment)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let out = result.stdout
        let journal = try JournalFile.only(in: directory.journal)
        if french {
            for text in [
                "Exécution \(journal.runID) — journal\u{A0}: ", "▶ premiere démarrée", "✔ premiere réussi", "✘ echec échoué\u{A0}: exit 4",
                "– jamais ignoré", "Étape     État    Essais", "Exécution \(journal.runID) échouée en ", "Échecs\u{A0}:",
                "Pour reprendre cette exécution là où elle s’est arrêtée, tapez\u{A0}:", "filet resume \(journal.path)",
                "Vérifiez-le avec\u{A0}: filet audit verify \(journal.path)",
            ] {
                #expect(out.contains(text), "missing «\(text)»:\n\(out)")
            }
            #expect(!out.contains("premiere succeeded") && !out.contains(" started") && !out.contains("Run "), "\(out)")
        } else {
            for text in [
                "Run \(journal.runID) — journal: ", "▶ premiere started", "✔ premiere succeeded", "✘ echec failed: exit 4",
                "– jamais skipped", "Step      Status     Tries", "Run \(journal.runID) failed in ", "Failures:",
                "To continue this run where it stopped, type:", "Verify it with: filet audit verify \(journal.path)",
            ] {
                #expect(out.contains(text), "missing «\(text)»:\n\(out)")
            }
            #expect(!out.contains("réussi") && !out.contains("Étape"), "\(out)")
        }
        // The journal is the same in every language.
        #expect(journal.records("step.finished").compactMap { $0["status"] as? String } == ["succeeded", "failed", "skipped"])
    }

    @Test func jsonIsTheSameInFrench() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        var outputs: [[String]] = []
        for flags in [["--lang", "fr"], ["--lang", "en"]] {
            let result = try await FiletProcess.run(
                ["run", runbook, "--journal", directory.journal, "--format", "json"] + flags, environment: ["LANG": "fr_FR.UTF-8"])
            #expect(result.status == 1, "\(result.stderr)")
            // Run ids, journal paths and durations differ from one run to the next: the events' kinds and states do not.
            outputs.append(
                result.stdout.split(separator: "\n").map { line in
                    let event = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
                    return [event["event"], event["step"], event["status"], event["outcome"]].map { "\($0 ?? "")" }.joined(separator: " ")
                })
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].contains { $0.contains("failed") } && !outputs[0].joined().contains("échoué"))
    }

    @Test func aDrillsReadinessInFrench() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "exercice.yaml",
            """
            runbook: exercice
            title: Exercice
            steps:
              - { id: couper, run: 'echo couper' }
              - id: joignable
                check: { tcp: '127.0.0.1:1' }
                on_failure: continue
            """)
        let result = try await FiletProcess.run(["drill", runbook, "--journal", directory.journal], environment: ["LANG": "fr_FR.UTF-8"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let drill = try JournalFile.only(in: directory.journal)
        for text in [
            "≈ couper simulé", "✘ joignable échoué",
            "Préparation de l’exercice \(drill.runID)\u{A0}: 50\u{A0}% (1 étapes sur 2 auraient réussi)",
            "Vérifications\u{A0}:", "SOUS le minimum\u{A0}: 50\u{A0}% < 100\u{A0}% (--min-readiness)",
        ] {
            #expect(result.stdout.contains(text), "missing «\(text)»:\n\(result.stdout)")
        }
    }

    /// A resume's refusal in French, and in English with --lang en.
    @Test func resumeRefusesInTheOperatorsLanguage() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("ok.yaml", "runbook: ok\ntitle: Ok\nsteps:\n  - { id: a, run: 'true' }\n")
        #expect(try await FiletProcess.run(["run", runbook, "--journal", directory.journal]).status == 0)
        let journal = try JournalFile.only(in: directory.journal)
        let french = try await FiletProcess.run(["resume", journal.path], environment: ["LANG": "fr_FR.UTF-8"])
        #expect(french.status == 2)
        #expect(
            french.stderr.contains("l’exécution a déjà réussi (ligne ") && french.stderr.contains("rien n’a été repris"), "\(french.stderr)"
        )
        let english = try await FiletProcess.run(["resume", journal.path, "--lang", "en"], environment: ["LANG": "fr_FR.UTF-8"])
        #expect(
            english.stderr.contains("the run already succeeded (line ") && english.stderr.contains("nothing resumed"), "\(english.stderr)")
    }

    @Test func anUnknownLanguageIsAUsageError() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal, "--lang", "de"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--lang") && result.stderr.contains("fr") && result.stderr.contains("en"), "\(result.stderr)")
        #expect(!directory.exists("journal"))
    }

    /// In a real terminal, with `--lang fr` and an English locale: the live view's states are French, a cancelled step
    /// included.
    @Test(.enabled(if: TmuxTerminal.isAvailable, "needs tmux (apt-get install tmux)"))
    func theLiveViewsStatesInFrench() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "vue.yaml",
            """
            runbook: vue-fr
            title: Vue en français
            steps:
              - { id: premiere, run: 'echo ok' }
              - { id: echec, run: 'exit 4', on_failure: continue }
              - id: jamais
                needs: [echec]
                when: steps.echec.status == 'succeeded'
                run: echo jamais
              - { id: longue, needs: [premiere], run: 'echo go > \(directory.path("started")); exec sleep 60' }
            """)
        let screen = try await TmuxTerminal.run(
            ["run", runbook, "--journal", directory.journal, "--lang", "fr"], columns: 100, in: directory,
            environment: ["LANG": "C.UTF-8"]
        ) { terminal in
            guard await terminal.wait(upTo: .seconds(30), until: { directory.exists("started") }) else { return }
            _ = await terminal.waitFor("jamais")
            try? await Task.sleep(for: .milliseconds(300))
            try await terminal.press("C-c")
        }
        #expect(screen.exitStatus == 130, "\(screen.text)")
        #expect(screen.lines.first?.hasPrefix("RÉEL") == true, "\(screen.text)")
        for (id, state) in [("premiere", "réussi"), ("echec", "échoué"), ("jamais", "ignoré"), ("longue", "annulé")] {
            let rows = screen.lines.filter { LiveViewTerminalTests.isRow($0, of: id) }
            #expect(rows.count == 1 && rows[0].contains("  \(state)"), "\(id): \(rows)\n\(screen.text)")
        }
        #expect(screen.text.contains("Pour reprendre cette exécution"), "\(screen.text)")
        #expect(!screen.text.contains("REAL RUN") && !screen.text.contains("To continue"), "\(screen.text)")
    }
}
