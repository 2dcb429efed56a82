import FiletSupport
import FiletTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The live view of the real binary in a real terminal: tmux, read back with `capture-pane` (the history
/// included, wrapped lines joined, so that a line longer than the width shows as one). Each test has a tmux
/// server of its own (its own socket), killed at the end whatever happens; every wait is bounded.
@Suite(.serialized, .enabled(if: TmuxTerminal.isAvailable, "needs tmux (apt-get install tmux)")) struct LiveViewTerminalTests {
    static let longReason =
        "the replication lag of the standby database is far above the threshold of the runbook, "
        + "so the switch-over cannot go on safely: lag 812 s, threshold 30 s (réplication en retard, 漢字 ✓)"

    /// A runbook of many steps, in parallel and in a chain, with long failure reasons (a 503 with `contains`,
    /// a command's stderr), output lines, a wait and a finally step.
    static func runbook(server: String, directory: TestDirectory) -> String {
        var text = """
            runbook: vue-terminal
            title: Vue du terminal — bascule de démonstration
            steps:
              - id: sante-api
                needs: []
                check:
                  http: \(server)
                  contains: '"status": "ok"'
                on_failure: continue
              - id: replication
                needs: []
                run: 'echo "\(longReason)" >&2; exit 3'
                on_failure: continue
              - id: bavard
                needs: []
                run: for i in 1 2 3 4 5 6; do echo "sortie $i sur 6 — étape bavarde 漢字"; sleep 0.1; done
              - id: pause-courte
                needs: []
                wait: 300ms

            """
        for index in 0..<24 {
            text += "  - { id: etape-\(index), needs: [\(index == 0 ? "bavard" : "etape-\(index - 1)")], run: 'echo \(index)' }\n"
        }
        text += "finally:\n  - { id: nettoyage, run: 'echo fini' }\n"
        return text
    }

    static let stepIDs = ["sante-api", "replication", "bavard", "pause-courte"] + (0..<24).map { "etape-\($0)" } + ["nettoyage"]

    @Test(arguments: [40, 80, 120])
    func everyLineFitsAndEachStepIsWrittenOnce(columns: Int) async throws {
        let server = try TestHTTPServer { _ in
            .respond(.text("<html><body>Service Unavailable: the upstream pool is being drained, retry later</body></html>", status: 503))
        }
        defer { server.stop() }
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("vue.yaml", Self.runbook(server: server.url("/health"), directory: directory))
        let screen = try await TmuxTerminal.run(["run", runbook, "--journal", directory.journal], columns: columns, in: directory)
        #expect(screen.exitStatus == 1, "\(screen.text)")

        for line in screen.lines {
            #expect(TerminalText.width(line) <= columns, "\(columns) columns: \(line)")
        }
        for id in Self.stepIDs {
            let rows = screen.lines.filter { Self.isRow($0, of: id) }
            #expect(rows.count == 1, "\(columns) columns: the row of \(id) is there \(rows.count) times\n\(screen.text)")
        }
        // No live row is left: the progress line and the running rows are erased at the end.
        #expect(!screen.lines.contains { $0.hasPrefix("REAL RUN · ") }, "\(screen.text)")
        #expect(!screen.lines.contains { $0.hasPrefix("▶ ") }, "\(screen.text)")
        // The reasons in full (wrapping keeps every character but the spaces where lines break).
        let squeezed = screen.lines.joined().filter { $0 != " " }
        #expect(squeezed.contains(Self.longReason.filter { $0 != " " }), "\(screen.text)")
        #expect(squeezed.contains("status503,expected2xx;bodydoesnotcontain'\"status\":\"ok\"'"), "\(screen.text)")
        // The command that resumes the run, exactly (a long one is cut with backslashes the shell joins back).
        let journal = try JournalFile.only(in: directory.journal)
        let hint = try #require(screen.lines.firstIndex { $0.hasPrefix("To continue this run") })
        let first = try #require(screen.lines[hint...].firstIndex { $0.hasPrefix("filet resume") })
        var command = ""
        for line in screen.lines[first...] {
            if line.hasSuffix("\\") {
                command += line.dropLast()
            } else {
                command += line
                break
            }
        }
        #expect(command == "filet resume \(journal.path)", "\(screen.text)")
    }

    @Test func aDrillCannotBeTakenForARealRun() async throws {
        let columns = 80
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "exercice.yaml",
            """
            runbook: exercice-vue
            title: Exercice de la vue
            steps:
              - { id: couper-dns, run: 'echo couper' }
              - { id: attendre, wait: 200ms }
            """)
        let screen = try await TmuxTerminal.run(
            ["drill", runbook, "--journal", directory.journal, "--operator", "camille"], columns: columns, in: directory,
            environment: ["LANG": "fr_FR.UTF-8", "TZ": "Europe/Paris"])
        #expect(screen.exitStatus == 0, "\(screen.text)")
        let header = screen.lines.prefix(6).joined(separator: "\n")
        #expect(screen.lines.first?.hasPrefix("EXERCICE — exercice\u{A0}: ") == true, "\(screen.text)")
        #expect(header.contains("[EXERCICE]"), "\(header)")
        #expect(header.contains("Runbook\u{A0}: Exercice de la vue (exercice-vue)"), "\(header)")
        #expect(header.contains("Opérateur\u{A0}: camille"), "\(header)")
        #expect(header.contains("Journal\u{A0}: "), "\(header)")
        #expect(!screen.text.contains("RÉEL") && !screen.text.contains("REAL RUN"), "\(screen.text)")
        // The host's time zone, with its offset.
        let offset = TimeZone(identifier: "Europe/Paris")!.secondsFromGMT(for: Date()) / 3600
        #expect(header.contains(String(format: "+%02d:00", offset)), "\(header)")
        #expect(screen.lines.filter { Self.isRow($0, of: "couper-dns") }.first?.contains("  simulé") == true, "\(screen.text)")
        #expect(screen.lines.filter { Self.isRow($0, of: "attendre") }.first?.contains("  réussi") == true, "\(screen.text)")
        // The readiness after the view fits the terminal too.
        #expect(screen.text.contains("Préparation de l’exercice"), "\(screen.text)")
        for line in screen.lines {
            #expect(TerminalText.width(line) <= columns, "\(line)")
        }
    }

    @Test func aRealRunSaysSoAndCtrlCSaysWhatItDoes() async throws {
        let columns = 80
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "longue.yaml",
            """
            runbook: longue
            title: Longue
            steps:
              - { id: longue, run: 'echo started > \(directory.path("started")); exec sleep 60' }
            finally:
              - { id: nettoyage, run: 'echo fini' }
            """)
        let screen = try await TmuxTerminal.run(["run", runbook, "--journal", directory.journal], columns: columns, in: directory) {
            terminal in
            guard await terminal.wait(upTo: .seconds(30), until: { directory.exists("started") }) else { return }
            try? await Task.sleep(for: .milliseconds(300))
            try await terminal.press("C-c")
        }
        #expect(screen.exitStatus == 130, "\(screen.text)")
        #expect(screen.lines.first?.hasPrefix("REAL RUN — every step is carried out for real") == true, "\(screen.text)")
        let text = screen.lines.joined().filter { $0 != " " }
        #expect(text.contains("Ctrl-C:stoppingtherunningsteps,thenthefinallystepsrun.AsecondCtrl-Cskipsthefinallysteps."), "\(screen.text)")
        #expect(!text.contains("signal2"))
        #expect(screen.lines.contains { $0.hasPrefix("To continue this run where it stopped, type:") }, "\(screen.text)")
        #expect(screen.lines.filter { Self.isRow($0, of: "nettoyage (finally)") }.count == 1, "\(screen.text)")
    }

    @Test func aConfirmationCountsItsWaitAndLeavesOneTrace() async throws {
        let columns = 80
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "confirmation.yaml",
            """
            runbook: confirmation-vue
            title: Confirmation
            steps:
              - id: travail
                needs: []
                run: for i in $(seq 1 40); do echo "ligne $i"; sleep 0.1; done
              - id: accord
                needs: []
                confirm: Basculer le trafic vers le site de secours maintenant ?
              - { id: ensuite, needs: [accord], run: 'echo ok' }
            """)
        var waited = ""
        let screen = try await TmuxTerminal.run(["run", runbook, "--journal", directory.journal], columns: columns, in: directory) {
            terminal in
            guard await terminal.waitFor("? accord: Basculer") else { return }
            // The live row of the question counts its wait while the question waits (polled: a loaded machine is slow).
            for _ in 0..<150 {
                waited = await terminal.screen()
                if Self.answerWait(in: waited) >= 2 { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
            try await terminal.type("yes")
        }
        #expect(screen.exitStatus == 0, "\(screen.text)")
        #expect(Self.answerWait(in: waited) >= 2, "\(waited)")
        #expect(screen.lines.filter { $0.contains("Basculer le trafic") }.count == 1, "\(screen.text)")
        #expect(screen.lines.contains { $0.hasSuffix("→ yes") }, "\(screen.text)")
        for id in ["travail", "accord", "ensuite"] {
            #expect(screen.lines.filter { Self.isRow($0, of: id) }.count == 1, "\(id)\n\(screen.text)")
        }
    }

    @Test func aResizedTerminalGetsNoCopies() async throws {
        let columns = 100
        let directory = try TestDirectory()
        defer { directory.remove() }
        var text = "runbook: taille\ntitle: Taille\nsteps:\n"
        for index in 0..<12 {
            text +=
                "  - { id: pas-\(index), needs: [], run: 'sleep 0.\(index % 5 + 3); echo \(index) une sortie assez longue pour la ligne' }\n"
        }
        let runbook = try directory.write("taille.yaml", text)
        let screen = try await TmuxTerminal.run(
            ["run", runbook, "--journal", directory.journal, "--concurrency", "3"], columns: columns, in: directory
        ) { terminal in
            try? await Task.sleep(for: .milliseconds(700))
            try await terminal.resize(width: 45, height: 24)
            try? await Task.sleep(for: .milliseconds(700))
            try await terminal.resize(width: 70, height: 24)
        }
        #expect(screen.exitStatus == 0, "\(screen.text)")
        for index in 0..<12 {
            #expect(screen.lines.filter { Self.isRow($0, of: "pas-\(index)") }.count == 1, "pas-\(index)\n\(screen.text)")
        }
        #expect(!screen.lines.contains { $0.hasPrefix("REAL RUN · ") }, "\(screen.text)")
    }

    /// The seconds the live row of `accord` says its question has waited, or 0.
    static func answerWait(in screen: String) -> Int {
        let row = screen.split(separator: "\n").first { $0.hasPrefix("? accord ") && $0.contains("waiting for an answer for") }
        return row?.split(separator: " ").last.flatMap { Int($0.dropLast()) } ?? 0
    }

    /// Whether `line` is the row of step `id`: its state symbol then its id (after the local time on wide terminals).
    static func isRow(_ line: String, of id: String) -> Bool {
        var rest = Substring(line)
        if rest.count > 16, rest.prefix(8).allSatisfy({ $0.isNumber || $0 == ":" }), rest.dropFirst(8).first == " " {
            rest = rest.dropFirst(16)
        }
        guard let symbol = rest.first, "✔✘–■≈↶".contains(symbol) else { return false }
        rest = rest.dropFirst(2)
        return rest.hasPrefix(id + " ") || rest == id
    }
}

/// What a run left in its terminal once it ended.
struct TerminalScreen {
    var exitStatus: Int32?
    var text: String
    var lines: [String]
}

extension TmuxTerminal {
    /// Runs `filet arguments` in a `columns`×`rows` terminal, in `directory`, lets `during` act on it, waits (at most
    /// 90 s) for it to exit, and returns the terminal's whole history.
    static func run(
        _ arguments: [String], columns: Int, rows: Int = 24, in directory: TestDirectory,
        environment: [String: String] = [:], during: ((TmuxTerminal) async throws -> Void)? = nil
    ) async throws -> TerminalScreen {
        let terminal = try await TmuxTerminal(arguments, environment: environment, directory: directory.url, width: columns, height: rows)
        defer { terminal.close() }
        if let during { try await during(terminal) }
        let status = await terminal.exitStatus(within: .seconds(90))
        if status == nil { Issue.record("filet did not end within 90 s in tmux:\n\(terminal.lastScreen)") }
        return TerminalScreen(exitStatus: status, text: terminal.lastScreen, lines: terminal.lastLines)
    }
}
