import Foundation
import Testing

/// Ctrl-C, SIGTERM and `--timeout` on a real `filet run`: the exit status, `finally`, the journal closed
/// and intact, and no process of a step left behind.
///
/// Each wait is bounded (30 s here, where the alternative is a `sleep 300` of minutes): the machine is
/// shared and noisy, so no test asserts anything tighter.
@Suite struct RunInterruptionTests {
    /// A step that records its shell's pid, then becomes `sleep 300` with the same pid.
    static func sleeper(_ pidFile: String) -> String {
        "echo $$ > \(pidFile); exec sleep 300"
    }

    @Test(arguments: zip([SIGINT, SIGTERM], [Int32(130), Int32(143)]))
    func signalStopsTheRunRunsFinallyAndClosesTheJournal(signal: Int32, exitStatus: Int32) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "interruption.yaml",
            """
            runbook: interruption
            title: Interruption
            steps:
              - id: longue
                run: \(Self.sleeper(directory.path("long.pid")))
              - id: jamais
                run: touch \(directory.path("never"))
            finally:
              - id: marqueur
                run: echo done > \(directory.path("marker"))
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        let running = await filet.wait(upTo: .seconds(30)) {
            JournalFile.shows("step.started", step: "longue", in: directory.journal)
                && ChildProcess.pid(in: directory.path("long.pid")) != nil
        }
        let sleepPID = ChildProcess.pid(in: directory.path("long.pid"))
        defer { ChildProcess.killLeftoverSleep(sleepPID) }
        try #require(running, "the step never started: \(filet.stdoutSoFar)")

        filet.send(signal)
        let result = await filet.finish(within: .seconds(30))
        #expect(result.status == exitStatus, "\(result.stdout)\(result.stderr)")
        // Plain words, not "signal 2": what happens now, and what a second signal does.
        let name = signal == SIGINT ? "Ctrl-C" : "SIGTERM"
        #expect(
            result.stdout.contains("! \(name): stopping the running steps, then the finally steps run. A second "),
            "\(result.stdout)")
        #expect(!result.stdout.contains("signal \(signal)"))
        #expect(result.stdout.contains("interrupted in "))
        #expect(!directory.exists("never"))
        if let sleepPID {
            #expect(await ChildProcess.becomesGone(sleepPID), "sleep \(sleepPID) survived: state \(ChildProcess.state(sleepPID) ?? "?")")
        }

        let journal = try JournalFile.only(in: directory.journal)
        let interrupted = try #require(journal.records("run.interrupted").first)
        #expect(interrupted["signal"] as? String == (signal == SIGINT ? "SIGINT" : "SIGTERM"))
        #expect(interrupted["stops"] as? String == "steps")
        #expect(journal.types.last == "run.finished")
        #expect(journal.records.last?["status"] as? String == "interrupted")
        #expect(journal.records("step.finished", step: "longue").first?["status"] as? String == "cancelled")
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("intact: verified 1..\(journal.lines.count) of \(journal.lines.count) records"))

        #expect(directory.contents("marker") == "done\n", "the finally step did not run")
        #expect(journal.records("step.finished", step: "marqueur").first?["status"] as? String == "succeeded")
    }

    /// The scenario of the design: Ctrl-C during the main steps, then Ctrl-C again during a long finally step.
    @Test func secondSignalDuringFinallyAfterAnInterruptedRun() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "deux-signaux.yaml",
            """
            runbook: deux-signaux
            title: Deux signaux
            steps:
              - id: longue
                run: \(Self.sleeper(directory.path("long.pid")))
            finally:
              - id: nettoyage
                run: \(Self.sleeper(directory.path("finally.pid")))
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        let running = await filet.wait(upTo: .seconds(30)) { ChildProcess.pid(in: directory.path("long.pid")) != nil }
        defer {
            ChildProcess.killLeftoverSleep(ChildProcess.pid(in: directory.path("long.pid")))
            ChildProcess.killLeftoverSleep(ChildProcess.pid(in: directory.path("finally.pid")))
        }
        try #require(running)
        filet.send(SIGINT)
        let finallyRunning = await filet.wait(upTo: .seconds(30)) { ChildProcess.pid(in: directory.path("finally.pid")) != nil }
        #expect(finallyRunning, "the finally step must start after the first SIGINT")
        if finallyRunning { filet.send(SIGINT) }
        let result = await filet.finish(within: .seconds(30))
        #expect(result.status == 130, "\(result.stdout)\(result.stderr)")
        let journal = try JournalFile.only(in: directory.journal)
        #expect(journal.records.last?["status"] as? String == "interrupted")
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
        if finallyRunning, let pid = ChildProcess.pid(in: directory.path("finally.pid")) {
            #expect(journal.records("run.interrupted").compactMap { $0["stops"] as? String } == ["steps", "finally"])
            #expect(await ChildProcess.becomesGone(pid))
        }
    }

    /// Ctrl-C while only a finally step runs: the first signal lets it go on, the second stops it;
    /// the journal is closed either way.
    @Test func secondSignalStopsALongFinallyStep() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "finally-long.yaml",
            """
            runbook: finally-long
            title: Finally long
            steps:
              - id: courte
                run: "true"
            finally:
              - id: longue
                run: \(Self.sleeper(directory.path("finally.pid")))
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        let running = await filet.wait(upTo: .seconds(30)) {
            JournalFile.shows("step.started", step: "longue", in: directory.journal)
                && ChildProcess.pid(in: directory.path("finally.pid")) != nil
        }
        let pid = ChildProcess.pid(in: directory.path("finally.pid"))
        defer { ChildProcess.killLeftoverSleep(pid) }
        try #require(running, "\(filet.stdoutSoFar)")

        filet.send(SIGINT)
        let recorded = await filet.wait(upTo: .seconds(30)) { JournalFile.shows("run.interrupted", in: directory.journal) }
        #expect(recorded)
        // The first signal does not stop finally: the step is still running.
        #expect(filet.isRunning)
        #expect(!JournalFile.shows("step.finished", step: "longue", in: directory.journal))

        filet.send(SIGINT)
        let result = await filet.finish(within: .seconds(30))
        #expect(result.status == 130, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Ctrl-C again: the finally steps are stopped too"), "\(result.stdout)")
        if let pid { #expect(await ChildProcess.becomesGone(pid)) }

        let journal = try JournalFile.only(in: directory.journal)
        #expect(journal.records("run.interrupted").compactMap { $0["stops"] as? String } == ["steps", "finally"])
        #expect(journal.records("step.finished", step: "longue").first?["status"] as? String == "cancelled")
        #expect(journal.records("step.finished", step: "courte").first?["status"] as? String == "succeeded")
        #expect(journal.types.last == "run.finished")
        #expect(journal.records.last?["status"] as? String == "interrupted")
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func timeoutExits124AndKillsTheStep() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "delai.yaml",
            """
            runbook: delai
            title: Delai
            steps:
              - id: longue
                run: \(Self.sleeper(directory.path("long.pid")))
            finally:
              - id: marqueur
                run: echo done > \(directory.path("marker"))
            """)
        let result = try await FiletProcess.run(["run", runbook, "--timeout", "1s", "--journal", directory.journal], limit: .seconds(30))
        let pid = ChildProcess.pid(in: directory.path("long.pid"))
        defer { ChildProcess.killLeftoverSleep(pid) }
        #expect(result.status == 124, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Time limit (--timeout) reached: stopping the running steps"), "\(result.stdout)")
        #expect(result.stdout.contains("stopped by its time limit in "), "\(result.stdout)")
        if let pid { #expect(await ChildProcess.becomesGone(pid)) }
        let journal = try JournalFile.only(in: directory.journal)
        #expect(journal.records("run.timed_out").first?["limit"] as? String == "1s")
        #expect(journal.records.last?["status"] as? String == "timed_out")
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
        #expect(directory.contents("marker") == "done\n", "the finally step did not run after the time limit")
    }
}
