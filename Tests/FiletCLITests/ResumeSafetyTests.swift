import FiletTestSupport
import Foundation
import Testing

/// Processes of this machine, found through /proc by a marker of their command line (`sleep 300.48213`): the tests'
/// way to see what a step left behind, whoever its parent now is.
enum Processes {
    /// A marker no other test uses: `300.` and five random digits, a valid `sleep` duration.
    static func marker() -> String { "300.\(Int.random(in: 10000...99999))" }

    /// The pids of the processes (zombies left out) whose command line contains `marker`.
    static func matching(_ marker: String) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = pid_t(name), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(marker),
                ChildProcess.state(pid) != "Z"
            else { return nil }
            return pid
        }
    }

    /// The processes (zombies left out) of process group `pgid`.
    static func members(ofGroup pgid: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && pid_t(fields[2]) == pgid ? pid : nil
        }
    }

    /// Waits (bounded) until `condition` holds; returns whether it did.
    static func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(25)) }
        return condition()
    }

    /// Kills whatever still carries `marker`: the cleanup of a test that failed.
    static func killAll(_ marker: String) {
        for pid in matching(marker) { kill(pid, SIGKILL) }
    }

    /// Starts `filet arguments` and returns once step `step` runs its `sleep MARKER` and its process group is in the
    /// journal in `directory` (killed with SIGKILL, and the test stopped, when it does not come to that).
    static func start(
        _ arguments: [String], environment: [String: String] = [:], untilStep step: String = "b", sleeps marker: String,
        journal directory: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> RunningProcess {
        let filet = try FiletProcess.start(arguments, environment: environment)
        let running = await filet.wait(upTo: .seconds(30)) {
            !matching(marker).isEmpty && JournalFile.shows("step.process", step: step, in: directory)
        }
        if !running { filet.send(SIGKILL) }
        try #require(running, "\(step) never started: \(filet.stdoutSoFar)", sourceLocation: sourceLocation)
        return filet
    }

    /// The process groups the journal in `directory` recorded (`step.process`).
    static func recordedGroups(in directory: String) -> [pid_t] {
        JournalFile.paths(in: directory).flatMap { path in
            ((try? JournalFile(path: path))?.records("step.process") ?? []).compactMap { ($0["pgid"] as? Int).map { pid_t($0) } }
        }
    }
}

/// A non-idempotent step stopped mid-way is *interrupted*, as after a crash: `filet resume` needs a decision for it;
/// a step's process group that outlived filet blocks the resume until it ends or `--kill-leftover` ends it.
@Suite struct ResumeSafetyTests {
    /// How the run is stopped while `b` runs.
    enum Stop: String, CaseIterable, Sendable {
        case ctrlC, sigterm, stepTimeout, runTimeout
    }

    /// `b` (not idempotent) appends to B, then sleeps unless RESUMING exists; `c` comes after it.
    static func runbook(_ directory: TestDirectory, marker: String, stepTimeout: Bool) throws -> String {
        try directory.write(
            "interrompu.yaml",
            """
            runbook: interrompu
            title: Interrompu
            steps:
              - id: b
                run: echo x >> \(directory.path("B")); test -f \(directory.path("RESUMING")) || exec sleep \(marker)
            \(stepTimeout ? "    timeout: 3s\n" : "")\
              - id: c
                run: echo x >> \(directory.path("C"))
            """)
    }

    static func count(_ name: String, in directory: TestDirectory) -> Int {
        directory.contents(name)?.split(separator: "\n").count ?? 0
    }

    @Test(arguments: Stop.allCases, ["--rerun", "--mark-done"])
    func aNonIdempotentStepStoppedMidwayNeedsADecision(stop: Stop, decision: String) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try Self.runbook(directory, marker: marker, stepTimeout: stop == .stepTimeout)
        var arguments = ["run", runbook, "--journal", directory.journal]
        if stop == .runTimeout { arguments += ["--timeout", "3s"] }
        let filet = try FiletProcess.start(arguments)
        switch stop {
        case .ctrlC, .sigterm:
            let running = await filet.wait(upTo: .seconds(30)) { !Processes.matching(marker).isEmpty }
            try #require(running, "b never started: \(filet.stdoutSoFar)")
            filet.send(stop == .ctrlC ? SIGINT : SIGTERM)
        case .stepTimeout, .runTimeout:
            break
        }
        let result = await filet.finish(within: .seconds(30))
        let expectedStatus: Int32 =
            switch stop {
            case .ctrlC: 130
            case .sigterm: 143
            case .stepTimeout: 1
            case .runTimeout: 124
            }
        #expect(result.status == expectedStatus, "\(result.stdout)\(result.stderr)")
        #expect(Processes.matching(marker).isEmpty, "the step's sleep outlived the run")

        let journal = try JournalFile.only(in: directory.journal)
        #expect(!FileManager.default.fileExists(atPath: journal.path + ".lock"), "the run held its journal until it closed it")
        let finished = try #require(journal.records("step.finished", step: "b").first)
        #expect(finished["interrupted"] as? Bool == true, "\(finished)")
        #expect(finished["status"] as? String == (stop == .stepTimeout ? "failed" : "cancelled"))
        #expect(journal.records("step.process", step: "b").count == 1)
        // B is written first thing, but a loaded machine may run the script late: count from what the first run did.
        let before = Self.count("B", in: directory)
        #expect(before == 1 || stop == .stepTimeout || stop == .runTimeout)

        // No decision, no terminal: refused, nothing written, nothing run.
        let undecided = try await FiletProcess.run(["resume", journal.path])
        #expect(undecided.status == 2, "\(undecided.stdout)\(undecided.stderr)")
        #expect(undecided.stderr.contains("step 'b' was running when the run stopped and is not idempotent"), "\(undecided.stderr)")
        #expect(try JournalFile(path: journal.path).data == journal.data)
        #expect(Self.count("B", in: directory) == before)

        try directory.write("RESUMING", "")
        let resumed = try await FiletProcess.run(["resume", journal.path, decision, "b"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(Self.count("B", in: directory) == before + (decision == "--rerun" ? 1 : 0))
        #expect(Self.count("C", in: directory) == 1)
        let after = try JournalFile(path: journal.path)
        let record = try #require(after.records("run.resumed").first)
        #expect(record["interrupted"] as? [String] == ["b"])
        #expect(record[decision == "--rerun" ? "rerun" : "mark_done"] as? [String] == ["b"])
        #expect(record["kill_leftover"] == nil)
        #expect(record["lock_taken_over"] == nil)
        #expect(after.records.last?["status"] as? String == "succeeded")
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
    }

    /// An idempotent step stopped mid-way runs again without a question, as before.
    @Test func anIdempotentStepStoppedMidwayRunsAgain() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try directory.write(
            "idempotent.yaml",
            """
            runbook: idempotent
            title: Idempotent
            steps:
              - id: b
                idempotent: true
                run: echo x >> \(directory.path("B")); test -f \(directory.path("RESUMING")) || exec sleep \(marker)
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        try #require(await filet.wait(upTo: .seconds(30)) { !Processes.matching(marker).isEmpty })
        filet.send(SIGINT)
        #expect(await filet.finish(within: .seconds(30)).status == 130)
        let path = try JournalFile.only(in: directory.journal).path
        try directory.write("RESUMING", "")
        let resumed = try await FiletProcess.run(["resume", path])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(Self.count("B", in: directory) == 2)
    }

    /// filet killed with SIGKILL while `b`'s `sleep` runs: the group lives on. Resuming would run `b` twice at once:
    /// refused (whatever the decision) until the group ends, or `--kill-leftover` ends it, which the journal records.
    @Test func aGroupThatOutlivedFiletBlocksTheResumeUntilKilled() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try Self.runbook(directory, marker: marker, stepTimeout: false)
        let filet = try await Processes.start(["run", runbook, "--journal", directory.journal], sleeps: marker, journal: directory.journal)
        filet.send(SIGKILL)
        _ = await filet.finish(within: .seconds(30))
        let leftover = Processes.matching(marker)
        try #require(leftover.count == 1, "the sleep of b must outlive filet killed with SIGKILL")
        let journal = try JournalFile.only(in: directory.journal)
        let pgid = try #require(journal.records("step.process", step: "b").first?["pgid"] as? Int)
        #expect(Processes.members(ofGroup: pid_t(pgid)).contains(leftover[0]))

        try directory.write("RESUMING", "")
        for decision in ["--rerun", "--mark-done"] {
            let refused = try await FiletProcess.run(["resume", journal.path, decision, "b"])
            #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("step 'b': process group \(pgid) still runs"), "\(refused.stderr)")
            #expect(refused.stderr.contains("sleep \(marker)"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--kill-leftover"), "\(refused.stderr)")
            #expect(try JournalFile(path: journal.path).data == journal.data, "a refused resume writes nothing")
            #expect(Processes.matching(marker) == leftover, "a refused resume kills nothing")
        }
        #expect(Self.count("B", in: directory) == 1)

        let resumed = try await FiletProcess.run(["resume", journal.path, "--rerun", "b", "--kill-leftover"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("ending process group \(pgid) of step 'b'"), "\(resumed.stderr)")
        #expect(Processes.matching(marker).isEmpty, "the leftover sleep was not ended")
        #expect(Self.count("B", in: directory) == 2)
        let after = try JournalFile(path: journal.path)
        let added = Array(after.records.dropFirst(journal.lines.count))
        #expect(added.first?["type"] as? String == "run.resumed")
        let listed = (added.first?["kill_leftover"] as? [[String: Any]])?.map {
            "\($0["step"] as? String ?? "") \($0["pgid"] as? Int ?? 0)"
        }
        #expect(listed == ["b \(pgid)"])
        let killed = try #require(after.records("process.killed").first)
        #expect(added.dropFirst().first?["type"] as? String == "process.killed", "ended before any step")
        #expect(killed["step"] as? String == "b" && killed["pgid"] as? Int == pgid)
        #expect(killed["ended"] as? Bool == true && killed["signal"] as? String == "SIGTERM")
        #expect(after.records.last?["status"] as? String == "succeeded")
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}

/// Timeouts that hold: a check keeps to its step's timeout, `--shutdown-grace` bounds `finally` after SIGTERM, and
/// commands start with default signal dispositions.
@Suite struct TimeoutTests {
    /// A check's step `timeout` above the probes' 30 s default holds. (An answer after 35 s rather than the issue's
    /// 40 s, to keep the suite short: what mattered is that 30 s no longer cuts it.)
    @Test func aCheckWaitsForAnAnswerBeyondThirtySecondsWithinItsTimeout() async throws {
        let server = try TestHTTPServer { _ in .delay(.seconds(35), .text("ok")) }
        defer { server.stop() }
        let runbook = try temporaryFile(
            """
            runbook: lent
            title: Lent
            steps:
              - id: sante
                timeout: 2m
                check: {http: "\(server.url("/sante"))"}
            """)
        let journal = try TestDirectory()
        defer { journal.remove() }
        let result = try await FiletProcess.run(["run", runbook, "--journal", journal.journal], limit: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.elapsed >= .seconds(35))
        let attempt = try #require(try JournalFile.only(in: journal.journal).records("step.attempt", step: "sante").first)
        let observed = attempt["observed"] as? [String: Any]
        #expect(observed?["status"] as? Int == 200)
        #expect((observed?["latency_ms"] as? Int ?? 0) >= 35_000)
    }

    /// The other way round: a short step timeout ends the check at that time, not at the probe's 30 s.
    @Test func aCheckEndsAtItsShortTimeout() async throws {
        let server = try TestHTTPServer { _ in .delay(.seconds(20), .text("ok")) }
        defer { server.stop() }
        let runbook = try temporaryFile(
            """
            runbook: court
            title: Court
            steps:
              - id: sante
                timeout: 2s
                check: {http: "\(server.url("/sante"))"}
            """)
        let journal = try TestDirectory()
        defer { journal.remove() }
        let result = try await FiletProcess.run(["run", runbook, "--journal", journal.journal], limit: .seconds(60))
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.elapsed < .seconds(20), "it waited for the answer")
        let finished = try #require(try JournalFile.only(in: journal.journal).records("step.finished", step: "sante").first)
        #expect(finished["status"] as? String == "failed")
        #expect((finished["reason"] as? String)?.contains("timed out after 2s") == true, "\(finished)")
    }

    /// SIGTERM, then a finally step that would sleep 300 s: `--shutdown-grace 8s` cancels it; the journal is sealed.
    /// (8 s rather than less: on a loaded machine the finally step must have started within the grace to be seen.)
    @Test func theShutdownGraceBoundsFinallyAfterSigterm() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try directory.write(
            "grace.yaml",
            """
            runbook: grace
            title: Grace
            steps:
              - id: longue
                run: sleep 299.5
            finally:
              - id: nettoyage
                run: echo started >> \(directory.path("F")); sleep \(marker)
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal, "--shutdown-grace", "8s"])
        try #require(await filet.wait(upTo: .seconds(30)) { JournalFile.shows("step.process", step: "longue", in: directory.journal) })
        filet.send(SIGTERM)
        let signalled = ContinuousClock.now
        let finallyRunning = await filet.wait(upTo: .seconds(30)) { !Processes.matching(marker).isEmpty }
        #expect(finallyRunning, "the finally step must start after SIGTERM")
        let result = await filet.finish(within: .seconds(60))
        let waited = ContinuousClock.now - signalled
        #expect(result.status == 143, "\(result.stdout)\(result.stderr)")
        // 8 s of grace, then the step's own 2 s between SIGTERM and SIGKILL at most; the rest is the machine's load.
        #expect(waited >= .seconds(7.5) && waited < .seconds(30), "filet ended \(waited) after SIGTERM")
        #expect(Processes.matching(marker).isEmpty)
        let journal = try JournalFile.only(in: directory.journal)
        let interruptions = journal.records("run.interrupted")
        #expect(interruptions.compactMap { $0["stops"] as? String } == ["steps", "finally"])
        #expect(interruptions.last?["shutdown_grace"] as? String == "8s")
        #expect(interruptions.first?["shutdown_grace"] == nil)
        #expect(journal.records("step.finished", step: "nettoyage").first?["status"] as? String == "cancelled")
        #expect(journal.types.last == "run.finished")
        #expect(journal.records.last?["status"] as? String == "interrupted")
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
    }

    @Test func runDrillAndResumeTakeTheShutdownGrace() async throws {
        for command in ["run", "drill", "resume"] {
            let help = try await FiletProcess.run([command, "--help"])
            #expect(help.stdout.contains("--shutdown-grace"), "\(command)")
        }
        #expect(try await FiletProcess.run(["resume", "--help"]).stdout.contains("--kill-leftover"))
        let bad = try await FiletProcess.run(["run", "x.yaml", "--shutdown-grace", "soon"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--shutdown-grace soon is not a duration"), "\(bad.stderr)")
    }

    /// filet ignores SIGXFSZ, and SIGINT and SIGTERM while a run goes; it is started here with SIGHUP, SIGQUIT and SIGUSR1
    /// ignored too. None of it reaches a command: every signal at its default, none blocked.
    @Test func commandsStartWithDefaultSignalDispositionsAndNoneBlocked() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "signaux.yaml",
            """
            runbook: signaux
            title: Signaux
            steps:
              - id: etat
                run: grep -E '^Sig(Ign|Blk)' /proc/self/status
            """)
        let process = try RunningProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", "trap '' HUP QUIT USR1; exec \"$0\" run \"$1\" --journal \"$2\"", FiletProcess.binary.path, runbook,
                directory.journal,
            ],
            environment: FiletProcess.environment([:]))
        let result = await process.finish(within: .seconds(60))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let attempt = try #require(try JournalFile.only(in: directory.journal).records("step.attempt", step: "etat").first)
        let stdout = ((attempt["observed"] as? [String: Any])?["stdout"] as? [String: Any])?["text"] as? String
        #expect(stdout == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")
    }
}

/// Processes that leave their step's process group (`setsid`, `setpgid`, a double fork) end with their step:
/// filet is their subreaper and sweeps them.
@Suite struct OrphanTests {
    enum Stop: String, CaseIterable, Sendable {
        case stepTimeout, ctrlC, sigterm
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid")), arguments: Stop.allCases)
    func noProcessThatLeftTheGroupOutlivesItsStep(stop: Stop) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        // Three ways out of the group: setsid in the background, setpgid (perl's setpgrp) in the background, and a
        // double fork whose middle process ends at once (re-parented while the step still runs). Then the step waits.
        let perl = FileManager.default.isExecutableFile(atPath: "/usr/bin/perl")
        let script = try directory.write(
            "fuite.sh",
            """
            setsid sleep \(marker)1 &
            \(perl ? "perl -e 'setpgrp(0, 0); exec \"sleep\", \"\(marker)2\"' &" : "setsid sleep \(marker)2 &")
            (setsid sleep \(marker)3 &)
            sleep \(marker)0

            """)
        let runbook = try directory.write(
            "fuite.yaml",
            """
            runbook: fuite
            title: Fuite
            steps:
              - id: fuite
            \(stop == .stepTimeout ? "    timeout: 40s\n" : "")\
                run: sh \(script)
            """)
        let filet = try FiletProcess.start(["run", runbook, "--journal", directory.journal])
        let running = await filet.wait(upTo: .seconds(30)) { Processes.matching(marker).count == 4 }
        #expect(running, "not all four sleeps started: \(Processes.matching(marker))")
        let groups = Set(
            Processes.matching(marker).compactMap { pid -> String? in
                (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(4).first.map(
                    String.init)
            })
        #expect(groups.count >= 3, "the sleeps did not leave the step's group: \(groups)")
        switch stop {
        case .ctrlC: filet.send(SIGINT)
        case .sigterm: filet.send(SIGTERM)
        case .stepTimeout: break
        }
        // The step's 40 s: on a loaded machine its four sleeps may take many seconds to start, and must start within it.
        let result = await filet.finish(within: .seconds(90))
        #expect(result.status == [.stepTimeout: 1, .ctrlC: 130, .sigterm: 143][stop], "\(result.stdout)\(result.stderr)")
        // Gone by the time filet exits: swept before the step was recorded as finished.
        let left = Processes.matching(marker)
        #expect(left.isEmpty, "orphans left: \(left.map { "\($0) \(ChildProcess.state($0) ?? "?")" })")
        let journal = try JournalFile.only(in: directory.journal)
        #expect(journal.records("step.finished", step: "fuite").first?["interrupted"] as? Bool == true)
    }
}
