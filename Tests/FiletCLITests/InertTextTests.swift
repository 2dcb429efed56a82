import Foundation
import Testing

/// Untrusted text (a command's output, the `--operator` label) never acts on the terminal it is shown on: every control
/// character is written out (`\e`, `\x07`), through a pipe, in `audit show`, in a Markdown report and on stderr.
@Suite struct InertTextTests {
    /// What an attacker's stderr would try: retitle the terminal, clear it, reorder text, ring the bell.
    static let hostile = #"printf '\033]0;PWNED\007\033[2J\342\200\256gnp.exe\007\n' >&2; exit 3"#

    static func runbook(in directory: TestDirectory) throws -> String {
        try directory.write(
            "hostile.yaml",
            """
            runbook: hostile
            title: Hostile
            steps:
              - id: piege
                run: |
                  \(hostile)
            """)
    }

    static func expectInert(_ data: Data, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = [UInt8](data)
        #expect(!bytes.contains(0x1B), "\(what): an ESC reached the output", sourceLocation: sourceLocation)
        #expect(!bytes.contains(0x07), "\(what): a BEL reached the output", sourceLocation: sourceLocation)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("\u{202E}"), "\(what): a bidi override", sourceLocation: sourceLocation)
    }

    @Test func hostileOutputIsShownEscapedEverywhere() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let run = try await FiletProcess.run(
            ["run", runbook, "--journal", directory.journal, "--operator", "chef\u{1B}[31m\u{07}"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        Self.expectInert(run.stdoutData, "filet run through a pipe")
        Self.expectInert(run.stderrData, "filet run's stderr")
        #expect(run.stdout.contains(#"\e]0;PWNED\x07\e[2J\u{202E}gnp.exe\x07"#), "\(run.stdout)")

        let journal = try JournalFile.only(in: directory.journal)
        let show = try await FiletProcess.run(["audit", "show", journal.path])
        Self.expectInert(show.stdoutData, "audit show")
        #expect(show.stdout.contains(#"\e]0;PWNED"#) && show.stdout.contains(#"operator chef\x07"#), "\(show.stdout)")
        let markdown = try await FiletProcess.run(["audit", "report", journal.path, "--format", "md"])
        Self.expectInert(markdown.stdoutData, "the Markdown report")
        #expect(markdown.stdout.contains(#"\e]0;PWNED"#), "\(markdown.stdout)")
    }

    /// In a real terminal: the sequences are on the screen as text, so the terminal did not run them.
    @Test(.enabled(if: TmuxTerminal.isAvailable, "needs tmux (apt-get install tmux)"))
    func hostileOutputIsTextInTheLiveView() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let screen = try await TmuxTerminal.run(["run", runbook, "--journal", directory.journal], columns: 120, in: directory)
        #expect(screen.exitStatus == 1, "\(screen.text)")
        #expect(screen.text.contains(#"\e]0;PWNED\x07\e[2J\u{202E}gnp.exe\x07"#), "\(screen.text)")
        #expect(screen.lines.first?.hasPrefix("REAL RUN") == true, "the screen was not cleared: \(screen.text)")
    }
}
