import Foundation
import Testing

/// `filet resume` keeps what the operator said with `--var`: a plain value from `run.started`, a masked one (it holds
/// a secret) given again, and journaled as given again by name only.
@Suite struct ResumeVariablesTests {
    static let secret = "rv-\(UUID().uuidString.prefix(12))-secret"
    static let environment = ["RV_TOKEN": secret]

    /// `b` (not idempotent) writes the values it sees to SEEN, then sleeps until RESUMING exists.
    static func runbook(_ directory: TestDirectory, marker: String) throws -> String {
        try directory.write(
            "reprise-vars.yaml",
            """
            runbook: reprise-vars
            title: Reprise et vars
            secrets: [RV_TOKEN]
            vars: { auth: defaut, salle: defaut }
            steps:
              - id: b
                run: echo "${vars.auth} ${vars.salle}" >> \(directory.path("SEEN")); test -f \(directory.path("RESUMING")) || exec sleep \(marker)
            """)
    }

    @Test func aMaskedVarIsAskedForAgainAndAPlainOneIsKept() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = Processes.marker()
        defer { Processes.killAll(marker) }
        let runbook = try Self.runbook(directory, marker: marker)
        let auth = "Bearer-\(Self.secret)"
        let filet = try await Processes.start(
            ["run", runbook, "--journal", directory.journal, "--var", "auth=\(auth)", "--var", "salle=crise-7"],
            environment: Self.environment, sleeps: marker, journal: directory.journal)
        filet.send(SIGKILL)
        _ = await filet.finish(within: .seconds(30))
        try directory.write("RESUMING", "")
        let journal = try JournalFile.only(in: directory.journal)
        let vars = try #require(journal.records("run.started").first?["vars"] as? [String: String])
        #expect(vars == ["auth": "Bearer-***", "salle": "crise-7"])
        let resume = ["resume", journal.path, "--rerun", "b", "--kill-leftover"]

        let refused = try await FiletProcess.run(resume, environment: Self.environment)
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(
            refused.stderr.contains("the run set ${vars.auth} with --var, a secret that its journal does not keep"), "\(refused.stderr)")
        #expect(refused.stderr.contains("filet resume \(journal.path) --var auth=VALUE"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("salle"), "the plain value is kept: \(refused.stderr)")
        let changed = try await FiletProcess.run(resume + ["--var", "auth=\(auth)", "--var", "salle=autre"], environment: Self.environment)
        #expect(changed.status == 2, "\(changed.stdout)\(changed.stderr)")
        #expect(changed.stderr.contains("--var gives ${vars.salle} another value than the run used"), "\(changed.stderr)")
        #expect(try JournalFile(path: journal.path).data == journal.data, "a refused resume writes nothing")
        #expect(Processes.matching(marker).count == 1, "a refused resume kills nothing")

        let resumed = try await FiletProcess.run(resume + ["--var", "auth=\(auth)"], environment: Self.environment)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let seen = directory.contents("SEEN")?.split(separator: "\n").map(String.init)
        #expect(seen == ["\(auth) crise-7", "\(auth) crise-7"], "the resumed step sees the run's values")
        let after = try JournalFile(path: journal.path)
        let record = try #require(after.records("run.resumed").first)
        #expect(record["resupplied_vars"] as? [String] == ["auth"])
        #expect(record["lock_taken_over"] != nil, "the refused resumes left the killed run's lock file as they found it")
        #expect(!after.data.contains(Self.secret), "the secret is in no record")
        for output in [refused, changed, resumed] { #expect(!(output.stdoutData + output.stderrData).contains(Self.secret)) }
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
    }
}
