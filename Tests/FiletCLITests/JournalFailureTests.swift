import Foundation
import Testing

/// A journal that the kernel stops accepting in the middle of a run: the file size limit of the running
/// `filet` process is lowered to the journal's current size (`prlimit --fsize`), so its next append fails
/// with EFBIG. Whatever else happened, the run ends with exit 3 and a message naming the journal.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit(1), from util-linux"))
struct JournalFailureTests {
    static let prlimit = "/usr/bin/prlimit"

    /// A step that says it runs, then waits until the test creates `release`.
    static func waiter(_ directory: TestDirectory) -> String {
        "echo $$ > \(directory.path("step.pid")); while [ ! -e \(directory.path("release")) ]; do sleep 0.05; done"
    }

    /// Starts the run and waits until its first step runs: every record so far is in the journal.
    static func startAndWaitForTheStep(_ arguments: [String], in directory: TestDirectory) async throws -> RunningProcess {
        let filet = try FiletProcess.start(arguments)
        let running = await filet.wait(upTo: .seconds(30)) { ChildProcess.pid(in: directory.path("step.pid")) != nil }
        try #require(running, "the step never started")
        return filet
    }

    /// From now on, `pid` cannot make the journal grow: its file size limit is the journal's size.
    static func freezeJournal(of pid: pid_t, in directory: TestDirectory) throws -> String {
        let journal = try #require(JournalFile.paths(in: directory.journal).first)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int)
        let limiter = Process()
        limiter.executableURL = URL(fileURLWithPath: prlimit)
        limiter.arguments = ["--pid", String(pid), "--fsize=\(size)"]
        let errors = Pipe()
        limiter.standardError = errors
        try limiter.run()
        limiter.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(limiter.terminationStatus == 0, "prlimit failed: \(said)")
        return journal
    }

    static func expectJournalFailure(_ result: FiletProcess, journal: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.contains("the journal could not be written"), "\(result.stdout)", sourceLocation: sourceLocation)
        #expect((result.stdout + result.stderr).contains(journal), "the message names the journal", sourceLocation: sourceLocation)
    }

    @Test func aRecordThatCannotBeWrittenStopsTheRunWithExit3() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "plein.yaml",
            """
            runbook: plein
            title: Journal plein
            steps:
              - id: attente
                run: \(Self.waiter(directory))
              - id: ensuite
                needs: [attente]
                run: touch \(directory.path("ensuite.ran"))
            """)
        let filet = try await Self.startAndWaitForTheStep(["run", runbook, "--journal", directory.journal], in: directory)
        let journal = try Self.freezeJournal(of: filet.pid, in: directory)
        try directory.write("release", "")
        let result = await filet.finish(within: .seconds(30))
        Self.expectJournalFailure(result, journal: journal)
        #expect(!directory.exists("ensuite.ran"), "no step starts once the journal fails")
    }

    @Test func anInterruptionThatCannotBeRecordedEndsWithExit3() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "interrompu.yaml",
            """
            runbook: interrompu
            title: Interruption non journalisée
            steps:
              - id: attente
                run: \(Self.waiter(directory))
            """)
        let filet = try await Self.startAndWaitForTheStep(["run", runbook, "--journal", directory.journal], in: directory)
        defer { ChildProcess.killLeftoverSleep(ChildProcess.pid(in: directory.path("step.pid"))) }
        let journal = try Self.freezeJournal(of: filet.pid, in: directory)
        filet.send(SIGINT)
        let result = await filet.finish(within: .seconds(30))
        Self.expectJournalFailure(result, journal: journal)
        let step = try #require(ChildProcess.pid(in: directory.path("step.pid")))
        #expect(await ChildProcess.becomesGone(step), "the running step is still stopped")
    }

    @Test func aTimeoutThatCannotBeRecordedEndsWithExit3() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "delai.yaml",
            """
            runbook: delai
            title: Délai non journalisé
            steps:
              - id: attente
                run: \(Self.waiter(directory))
            """)
        let filet = try await Self.startAndWaitForTheStep(
            ["run", runbook, "--journal", directory.journal, "--timeout", "40s"], in: directory)
        defer { ChildProcess.killLeftoverSleep(ChildProcess.pid(in: directory.path("step.pid"))) }
        // (40 s: on a loaded machine the step may start many seconds after filet, and the time limit must still be ahead.)
        let journal = try Self.freezeJournal(of: filet.pid, in: directory)
        let result = await filet.finish(within: .seconds(90))
        Self.expectJournalFailure(result, journal: journal)
    }
}
