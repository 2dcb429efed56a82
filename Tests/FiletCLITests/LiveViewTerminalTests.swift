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
@Suite(.serialized) struct LiveViewTerminalTests {
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
        let tmux = try #require(Tmux(columns: columns, rows: 24), "tmux is not installed")
        defer { tmux.kill() }
        let server = try TestHTTPServer { _ in
            .respond(.text("<html><body>Service Unavailable: the upstream pool is being drained, retry later</body></html>", status: 503))
        }
        defer { server.stop() }
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("vue.yaml", Self.runbook(server: server.url("/health"), directory: directory))
        let screen = try await tmux.run(["run", runbook, "--journal", directory.journal], in: directory)
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
        let tmux = try #require(Tmux(columns: 80, rows: 24), "tmux is not installed")
        defer { tmux.kill() }
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
        let screen = try await tmux.run(
            ["drill", runbook, "--journal", directory.journal, "--operator", "camille"], in: directory,
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
    }

    @Test func aRealRunSaysSoAndCtrlCSaysWhatItDoes() async throws {
        let tmux = try #require(Tmux(columns: 80, rows: 24), "tmux is not installed")
        defer { tmux.kill() }
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
        let screen = try await tmux.run(["run", runbook, "--journal", directory.journal], in: directory) { tmux in
            guard await Tmux.waitUntil(upTo: .seconds(30), { directory.exists("started") }) else { return }
            try? await Task.sleep(for: .milliseconds(300))
            tmux.send(["C-c"])
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
        let tmux = try #require(Tmux(columns: 80, rows: 24), "tmux is not installed")
        defer { tmux.kill() }
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
        let screen = try await tmux.run(["run", runbook, "--journal", directory.journal], in: directory) { tmux in
            guard await Tmux.waitUntil(upTo: .seconds(30), { tmux.capture().contains("? accord: Basculer") }) else { return }
            try? await Task.sleep(for: .milliseconds(2500))
            waited = tmux.capture()
            tmux.send(["yes", "Enter"])
        }
        #expect(screen.exitStatus == 0, "\(screen.text)")
        let row = waited.split(separator: "\n").first { $0.hasPrefix("? accord ") } ?? ""
        let seconds = row.split(separator: " ").last.flatMap { Int($0.dropLast()) } ?? 0
        #expect(row.contains("waiting for an answer for") && seconds >= 2, "\(waited)")
        #expect(screen.lines.filter { $0.contains("Basculer le trafic") }.count == 1, "\(screen.text)")
        #expect(screen.lines.contains { $0.hasSuffix("→ yes") }, "\(screen.text)")
        for id in ["travail", "accord", "ensuite"] {
            #expect(screen.lines.filter { Self.isRow($0, of: id) }.count == 1, "\(id)\n\(screen.text)")
        }
    }

    @Test func aResizedTerminalGetsNoCopies() async throws {
        let tmux = try #require(Tmux(columns: 100, rows: 24), "tmux is not installed")
        defer { tmux.kill() }
        let directory = try TestDirectory()
        defer { directory.remove() }
        var text = "runbook: taille\ntitle: Taille\nsteps:\n"
        for index in 0..<12 {
            text +=
                "  - { id: pas-\(index), needs: [], run: 'sleep 0.\(index % 5 + 3); echo \(index) une sortie assez longue pour la ligne' }\n"
        }
        let runbook = try directory.write("taille.yaml", text)
        let screen = try await tmux.run(["run", runbook, "--journal", directory.journal, "--concurrency", "3"], in: directory) {
            tmux in
            try? await Task.sleep(for: .milliseconds(700))
            tmux.resize(columns: 45)
            try? await Task.sleep(for: .milliseconds(700))
            tmux.resize(columns: 70)
        }
        #expect(screen.exitStatus == 0, "\(screen.text)")
        for index in 0..<12 {
            #expect(screen.lines.filter { Self.isRow($0, of: "pas-\(index)") }.count == 1, "pas-\(index)\n\(screen.text)")
        }
        #expect(!screen.lines.contains { $0.hasPrefix("REAL RUN · ") }, "\(screen.text)")
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

/// A tmux server of its own (`-L` socket, no configuration), with one window of a fixed size.
struct Tmux: Sendable {
    let executable: String
    let socket = "filet-view-\(getpid())-\(UUID().uuidString.prefix(8))"
    let columns: Int
    let rows: Int

    /// Nil when tmux is not installed.
    init?(columns: Int, rows: Int) {
        guard let path = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first(where: FileManager.default.isExecutableFile)
        else { return nil }
        executable = path
        self.columns = columns
        self.rows = rows
    }

    /// What the run left on the terminal once it ended.
    struct Screen {
        var exitStatus: Int32?
        var text: String
        var lines: [String]
    }

    /// Runs `filet arguments` in the window (in `directory`), lets `during` act on it, waits (at most 90 s) for
    /// it to exit, and returns the whole history of the window.
    func run(
        _ arguments: [String], in directory: TestDirectory, environment: [String: String] = ["LANG": "C.UTF-8"],
        during: ((Tmux) async -> Void)? = nil
    ) async throws -> Screen {
        let exitFile = directory.path("tmux-exit-status")
        let variables = environment.merging(["TERM": "screen"]) { first, _ in first }
            .map { "\($0.key)=\(Self.quoted($0.value))" }.sorted().joined(separator: " ")
        let command =
            "cd \(Self.quoted(directory.url.path)) && env \(variables) \(Self.quoted(FiletProcess.binary.path)) "
            + arguments.map(Self.quoted).joined(separator: " ") + "; echo $? > \(Self.quoted(exitFile)); exec sleep 600"
        try tmux(["new-session", "-d", "-s", "main", "-x", String(columns), "-y", String(rows), command])
        if let during { await during(self) }
        let ended = await Self.waitUntil(upTo: .seconds(90)) { FileManager.default.fileExists(atPath: exitFile) }
        if !ended { Issue.record("filet did not end within 90 s in tmux:\n\(capture())") }
        try? await Task.sleep(for: .milliseconds(100))
        let status = (try? String(contentsOfFile: exitFile, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let text = capture()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return Screen(exitStatus: status, text: text, lines: lines)
    }

    /// The window's history and screen, wrapped lines joined.
    func capture() -> String {
        (try? tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", "main"])) ?? ""
    }

    func send(_ keys: [String]) { _ = try? tmux(["send-keys", "-t", "main"] + keys) }

    func resize(columns: Int) { _ = try? tmux(["resize-window", "-t", "main", "-x", String(columns), "-y", String(rows)]) }

    /// Ends the server (and what runs in it) and removes its socket; a server or pane process that is still
    /// there 5 s after `kill-server` is killed (only those two, found by their ids as tmux gives them).
    func kill() {
        let ids =
            (try? tmux(["display-message", "-p", "-t", "main", "#{pid} #{pane_pid}"]))?
            .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
        _ = try? tmux(["kill-server"])
        let deadline = ContinuousClock.now + .seconds(5)
        for id in ids where id > 1 {
            while Glibc.kill(id, 0) == 0, ContinuousClock.now < deadline { usleep(20_000) }
            if Glibc.kill(id, 0) == 0 {
                Issue.record("tmux process \(id) outlived kill-server: killed")
                Glibc.kill(id, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(atPath: "/tmp/tmux-\(getuid())/\(socket)")
    }

    /// Runs a tmux client and returns what it printed. The server that `new-session` starts keeps the
    /// client's descriptors: output is read only from the commands that print (never `new-session`).
    /// posix_spawn and waitpid rather than Foundation's Process, whose exit is watched on a run loop.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let prints = arguments.first == "capture-pane" || arguments.first == "display-message"
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if prints {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["LANG"] = "C.UTF-8"
        let argv = ([executable, "-u", "-L", socket, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        // The server and what it runs start with no signal blocked and every signal at its default, whatever
        // this thread of the test process blocks (else kill-server's SIGHUP would never end the pane).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { throw POSIXError(.ENOENT) }
        var data = Data()
        if prints {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                data.append(contentsOf: buffer[..<count])
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return String(decoding: data, as: UTF8.self)
    }

    static func waitUntil(upTo limit: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    static func quoted(_ word: String) -> String { "'" + word.replacing("'", with: "'\\''") + "'" }
}
