import Foundation
import Testing

/// One writer per journal, on the real binary: a run or a resume holds its journal's lock (`JOURNAL.lock`) for its
/// whole life; a second writer is refused at once, naming the holder; a lock whose holder was killed is taken over,
/// and `run.resumed` records it.
@Suite struct OneWriterTests {
    static func count(_ name: String, in directory: TestDirectory) -> Int {
        directory.contents(name)?.split(separator: "\n").count ?? 0
    }

    /// `b` (not idempotent) runs once `pret` finds GO, and holds on until RELEASE exists: the resume that runs it
    /// holds the journal while the other one is tried, however late the machine's load starts it.
    @Test func twoResumesAtOnceRunTheStepOnceAndTheJournalStaysIntact() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "deux-reprises.yaml",
            """
            runbook: deux-reprises
            title: Deux reprises
            steps:
              - id: pret
                run: test -f \(directory.path("GO"))
              - id: b
                needs: [pret]
                run: echo x >> \(directory.path("B")); i=0; while [ ! -f \(directory.path("RELEASE")) ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
            """)
        let failed = try await FiletProcess.run(["run", runbook, "--journal", directory.journal])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        try directory.write("GO", "")
        let path = try JournalFile.only(in: directory.journal).path

        let resumes = try [FiletProcess.start(["resume", path]), FiletProcess.start(["resume", path])]
        let deadline = ContinuousClock.now + .seconds(60)
        while resumes.allSatisfy(\.isRunning), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let loserIndex = try #require(resumes.firstIndex { !$0.isRunning }, "neither resume ended")
        let winner = resumes[1 - loserIndex]
        #expect(winner.isRunning, "one was refused at once, while the other ran")
        let loser = await resumes[loserIndex].finish()
        try directory.write("RELEASE", "")
        let won = await winner.finish()
        #expect(won.status == 0, "\(won.stdout)\(won.stderr)")
        #expect(loser.status == 2, "\(loser.stdout)\(loser.stderr)")
        #expect(loser.stderr.contains("is being written by another filet (pid \(winner.pid) on host "), "\(loser.stderr)")
        #expect(loser.stderr.contains("nothing resumed"))

        #expect(Self.count("B", in: directory) == 1, "the step ran once")
        let journal = try JournalFile(path: path)
        #expect(journal.types.filter { $0 == "run.resumed" }.count == 1)
        #expect(journal.records("run.resumed").first?["lock_taken_over"] == nil, "the run gave its lock back")
        let verify = try await FiletProcess.run(["audit", "verify", path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("intact"))
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "the winner gave its lock back")
    }

    /// `b` (not idempotent) sleeps until RESUMING exists: the run is alive while the resume is tried, then killed with
    /// SIGKILL, which leaves the lock file naming it and `b`'s sleep running.
    @Test func aRunStillAliveRefusesTheResumeAndOneKilledIsTakenOver() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try ResumeSafetyTests.runbook(directory, marker: marker, stepTimeout: false)
        let filet = try await Processes.start(["run", runbook, "--journal", directory.journal], sleeps: marker, journal: directory.journal)
        let journal = try JournalFile.only(in: directory.journal)
        #expect(FileManager.default.fileExists(atPath: journal.path + ".lock"))

        try directory.write("RESUMING", "")
        let refused = try await FiletProcess.run(["resume", journal.path, "--rerun", "b", "--kill-leftover"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("is being written by another filet (pid \(filet.pid) on host "), "\(refused.stderr)")
        #expect(try JournalFile(path: journal.path).data == journal.data, "a refused resume writes nothing")
        #expect(Processes.matching(marker).count == 1, "a refused resume kills nothing")
        #expect(filet.isRunning)

        filet.send(SIGKILL)
        _ = await filet.finish(within: .seconds(30))
        let lockFile = try #require(
            try? String(contentsOfFile: journal.path + ".lock", encoding: .utf8), "a killed run leaves its lock file")
        #expect(lockFile.contains("\"pid\":\(filet.pid),"), "\(lockFile)")

        let resumed = try await FiletProcess.run(["resume", journal.path, "--rerun", "b", "--kill-leftover"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(
            resumed.stderr.contains("the journal's lock was left by a filet that is gone (pid \(filet.pid) on host "), "\(resumed.stderr)")
        #expect(Self.count("B", in: directory) == 2)
        let after = try JournalFile(path: journal.path)
        let record = try #require(after.records("run.resumed").first)
        let takenOver = try #require(record["lock_taken_over"] as? [String: Any], "\(record)")
        #expect(takenOver["pid"] as? Int == Int(filet.pid))
        #expect(takenOver["host"] as? String == ProcessInfo.processInfo.hostName)
        #expect(takenOver["started"] is String && takenOver["boot_id"] != nil && takenOver["process_start"] != nil)
        #expect(after.records.last?["status"] as? String == "succeeded")
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(!FileManager.default.fileExists(atPath: journal.path + ".lock"))
    }
}
