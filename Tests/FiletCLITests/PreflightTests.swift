import FiletTestSupport
import Foundation
import Synchronization
import Testing

/// What `filet run` and `filet drill` check before the journal exists and before any step with a side effect, every
/// problem at once; what `filet plan` says about the environment; `--var` reaching the channels in plan, run, drill,
/// resume and the outbox; the operating-system user beside `--operator`.
@Suite struct PreflightTests {
    static let unset = ["PF_HOOK", "PF_DRILL_HOOK", "PF_REAL_ONLY"]

    /// A file channel first (a run that starts writes to it at once), a webhook whose real URL comes from PF_HOOK
    /// and drill URL from PF_DRILL_HOOK, a webhook that is no URL, two confirmations (one for `dgs` only) and a command
    /// that reads PF_REAL_ONLY (simulated in a drill).
    static func runbook(in directory: TestDirectory) throws -> String {
        try directory.write(
            "preflight.yaml",
            """
            runbook: preflight
            title: Preflight
            vars: { hook: "${env.PF_HOOK}" }
            channels:
              registre: { file: \(directory.path("registre.jsonl")) }
              crise: { webhook: "${vars.hook}", drill_webhook: "${env.PF_DRILL_HOOK}" }
              mauvais: { webhook: "hooks.example/sans-schema" }
            steps:
              - id: annonce
                notify: { channel: registre, text: "début" }
              - id: alerte
                notify: { channel: crise, text: alerte }
              - id: autre
                notify: { channel: mauvais, text: autre }
              - id: feu-vert
                confirm: { prompt: "Go ?", approvers: [dgs] }
              - id: feu-orange
                confirm: Encore ?
              - id: action
                run: echo ${env.PF_REAL_ONLY} > \(directory.path("marker"))
            """)
    }

    @Test func aRunReportsEveryProblemAtOnceAndNothingIsSentOrWritten() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        try directory.write("not-a-directory", "")
        let journal = directory.path("not-a-directory/journals")
        let result = try await FiletProcess.run(
            ["run", runbook, "--journal", journal, "--operator", "bob"], unsetting: Self.unset)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let said = result.stderr
        #expect(said.contains("filet: 5 problems prevent it from starting"), "\(said)")
        #expect(said.contains("the runbook reads ${env.PF_HOOK}, ${env.PF_REAL_ONLY}, which are not set in the environment"), "\(said)")
        #expect(!said.contains("PF_DRILL_HOOK"), "a real run does not need the drill_webhook's variables: \(said)")
        #expect(said.contains("operator 'bob' may not approve step 'feu-vert' (approvers: dgs)"), "\(said)")
        #expect(said.contains("steps 'feu-vert', 'feu-orange' ask for a confirmation and there is no terminal to ask on"), "\(said)")
        #expect(said.contains("pass --yes to approve in advance"))
        #expect(said.contains("channel 'mauvais': its webhook is not an http:// or https:// URL once rendered"), "\(said)")
        #expect(!said.contains("sans-schema"), "a webhook URL is a secret")
        #expect(said.contains("the journal directory \(journal) cannot be created: \(directory.path("not-a-directory")) exists"), "\(said)")
        #expect(said.hasSuffix("filet: nothing ran\n"), "\(said)")
        #expect(result.stdout.isEmpty)
        #expect(!directory.exists("registre.jsonl"), "nothing was sent")
        #expect(!directory.exists("marker"))
        #expect(JournalFile.paths(in: directory.journal).isEmpty && JournalFile.paths(in: journal).isEmpty, "no journal")

        // In French, the same problems.
        let french = try await FiletProcess.run(
            ["run", runbook, "--journal", journal, "--operator", "bob"], environment: ["LANG": "fr_FR.UTF-8"], unsetting: Self.unset)
        #expect(french.status == 2)
        #expect(french.stderr.contains("filet: 5 problèmes l’empêchent de démarrer"), "\(french.stderr)")
        #expect(french.stderr.contains("l’opérateur « bob » ne peut pas approuver l’étape « feu-vert »"), "\(french.stderr)")
        #expect(french.stderr.hasSuffix("filet: rien n’a été exécuté\n"), "\(french.stderr)")
    }

    @Test func aDrillNeedsTheDrillVariablesOnlyAndAsksNoConfirmation() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.runbook(in: directory)
        let result = try await FiletProcess.run(
            ["drill", runbook, "--journal", directory.journal, "--operator", "bob"], unsetting: Self.unset)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("filet: 2 problems prevent it from starting"), "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "the runbook reads ${env.PF_DRILL_HOOK}, which is not set in the environment: export it before the drill"))
        #expect(!result.stderr.contains("PF_HOOK}") && !result.stderr.contains("PF_REAL_ONLY"), "\(result.stderr)")
        #expect(result.stderr.contains("channel 'mauvais'"))
        #expect(!result.stderr.contains("approve") && !result.stderr.contains("--yes"), "confirmations are simulated in a drill")
        #expect(!directory.exists("registre.jsonl") && !directory.exists("journal"))
    }

    /// A real run does not refuse to start because the drill_webhook's variable is unset, and a drill does not because
    /// the real webhook's is.
    @Test func eachModeStartsWithItsOwnVariables() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let real = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { real.stop() }
        let exercise = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { exercise.stop() }
        let runbook = try directory.write(
            "modes.yaml",
            """
            runbook: modes
            title: Modes
            vars: { hook: "${env.PF_HOOK}" }
            channels:
              crise: { webhook: "${vars.hook}", drill_webhook: "${env.PF_DRILL_HOOK}" }
            steps:
              - id: alerte
                notify: { channel: crise, text: alerte }
            """)
        let run = try await FiletProcess.run(
            ["run", runbook, "--journal", directory.journal], environment: ["PF_HOOK": real.url("/hook")], unsetting: ["PF_DRILL_HOOK"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let drill = try await FiletProcess.run(
            ["drill", runbook, "--journal", directory.journal], environment: ["PF_DRILL_HOOK": exercise.url("/drill")],
            unsetting: ["PF_HOOK"])
        #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
        #expect(real.requests.count == 1 && exercise.requests.count == 1)

        let plan = try await FiletProcess.run(["plan", runbook], unsetting: Self.unset)
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("  filet run: PF_HOOK (not set)\n"), "\(plan.stdout)")
        #expect(plan.stdout.contains("  filet drill: PF_DRILL_HOOK (not set)\n"), "\(plan.stdout)")
        let json = try await FiletProcess.run(
            ["plan", runbook, "--format", "json"], environment: ["PF_HOOK": "https://chat.example/x"], unsetting: ["PF_DRILL_HOOK"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let environment = try #require(object["environment"] as? [String: [String: [String]]])
        #expect(environment["run"] == ["needs": ["PF_HOOK"], "unset": []])
        #expect(environment["drill"] == ["needs": ["PF_DRILL_HOOK"], "unset": ["PF_DRILL_HOOK"]])
        // A --var needs no environment variable.
        let overridden = try await FiletProcess.run(["plan", runbook, "--var", "hook=https://autre.example/h"], unsetting: Self.unset)
        #expect(overridden.stdout.contains("  filet run: none\n"), "\(overridden.stdout)")
    }

    @Test func aRunWithEverythingItNeedsStarts() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "approbation.yaml",
            """
            runbook: approbation
            title: Approbation
            steps:
              - id: feu-vert
                confirm: { prompt: "Go ?", approvers: [dgs, dsi] }
              - id: action
                run: touch \(directory.path("marker"))
            """)
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal, "--yes", "--operator", "dsi"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(directory.exists("marker"))

        // The operating-system account, beside --operator, in run.started and the confirmation.
        let journal = try JournalFile.only(in: directory.journal)
        let user = try #require(getpwuid(getuid())).pointee.pw_name.map { String(cString: $0) }
        for record in [journal.records("run.started").first, journal.records("confirm.granted", step: "feu-vert").first] {
            let record = try #require(record)
            #expect(record["operator"] as? String ?? record["by"] as? String == "dsi")
            #expect(record["os_uid"] as? Int == Int(getuid()))
            #expect(record["os_user"] as? String == user)
        }
        #expect(try await FiletProcess.run(["audit", "verify", journal.path]).status == 0)
        // Shown beside the label by audit show and the reports.
        let account = (user.map { "\($0), " } ?? "") + "uid \(getuid())"
        let show = try await FiletProcess.run(["audit", "show", journal.path])
        #expect(show.stdout.contains("operator dsi (OS user \(account)) on host"), "\(show.stdout)")
        #expect(show.stdout.contains("by dsi (OS user \(account))"), "\(show.stdout)")
        let report = try await FiletProcess.run(["audit", "report", journal.path, "--format", "md"])
        #expect(report.stdout.contains("dsi (OS user \(account))"), "\(report.stdout)")
    }

    // MARK: --var

    /// `registre` writes to `${vars.out}`; the first step fails until GO exists (so that the run can be resumed).
    static func varRunbook(in directory: TestDirectory) throws -> String {
        try directory.write(
            "var.yaml",
            """
            runbook: var-canal
            title: Var dans un canal
            vars: { out: \(directory.path("default.jsonl")) }
            channels:
              registre: { file: "${vars.out}" }
            steps:
              - id: pret
                run: test -f \(directory.path("GO"))
              - id: noter
                notify: { channel: registre, text: noté }
            """)
    }

    @Test(arguments: ["run", "drill"])
    func aVarReachesTheChannelsAsThePlanShowsIt(command: String) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.varRunbook(in: directory)
        try directory.write("GO", "")
        let elsewhere = directory.path("elsewhere.jsonl")
        let plan = try await FiletProcess.run(["plan", runbook, "--var", "out=\(elsewhere)"])
        #expect(plan.stdout.contains("registre: file \(elsewhere)"), "\(plan.stdout)")
        let planJSON = try await FiletProcess.run(["plan", runbook, "--format", "json", "--var", "out=\(elsewhere)"])
        #expect(planJSON.stdout.contains("\"file\": \"\(elsewhere)\""), "\(planJSON.stdout)")

        let result = try await FiletProcess.run([command, runbook, "--journal", directory.journal, "--var", "out=\(elsewhere)"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(directory.contents("elsewhere.jsonl")?.contains("noté") == true)
        #expect(!directory.exists("default.jsonl"), "the runbook's default path is not used")
    }

    @Test func aResumedRunKeepsTheVarOfTheRun() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try Self.varRunbook(in: directory)
        let elsewhere = directory.path("elsewhere.jsonl")
        let failed = try await FiletProcess.run(["run", runbook, "--journal", directory.journal, "--var", "out=\(elsewhere)"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        try directory.write("GO", "")
        let path = try JournalFile.only(in: directory.journal).path
        let resumed = try await FiletProcess.run(["resume", path])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(directory.contents("elsewhere.jsonl")?.contains("noté") == true)
        #expect(!directory.exists("default.jsonl"))
    }

    /// A notification kept in the outbox is delivered later where the run would have sent it: to the `--var` webhook.
    @Test func theOutboxDeliversToTheVarOfTheRun() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let receiverUp = Mutex(false)
        let overridden = try TestHTTPServer { _ in receiverUp.withLock { $0 } ? .respond(.status(200)) : .respond(.status(503)) }
        defer { overridden.stop() }
        let runbookDefault = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { runbookDefault.stop() }
        let runbook = try directory.write(
            "outbox.yaml",
            """
            runbook: outbox-var
            title: Outbox et var
            vars: { hook: "\(runbookDefault.url("/default"))", salle: defaut }
            channels:
              crise: { webhook: "${vars.hook}", retries: 0, headers: { X-Salle: "${vars.salle}" } }
            steps:
              - id: prevenir
                notify: { channel: crise, text: bonjour }
            """)
        let run = try await FiletProcess.run(
            ["run", runbook, "--journal", directory.journal, "--var", "hook=\(overridden.url("/var"))", "--var", "salle=crise-7"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(overridden.requests.count == 1 && runbookDefault.requests.isEmpty)
        receiverUp.withLock { $0 = true }
        // The webhook is a secret, masked in the run's journal: the operator gives it again; without it, nothing is sent.
        let withoutIt = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal])
        #expect(withoutIt.status == 1, "\(withoutIt.stdout)\(withoutIt.stderr)")
        #expect(
            withoutIt.stdout.contains("the run set ${vars.hook} with --var, a secret that its journal does not keep"), "\(withoutIt.stdout)"
        )
        #expect(overridden.requests.count == 1 && runbookDefault.requests.isEmpty)
        let deliver = try await FiletProcess.run([
            "outbox", "deliver", "--journal", directory.journal, "--var", "hook=\(overridden.url("/var"))",
        ])
        #expect(deliver.status == 0, "\(deliver.stdout)\(deliver.stderr)")
        #expect(overridden.requests.count == 2, "delivered to the --var webhook")
        #expect(overridden.requests.last?.header("X-Salle") == "crise-7", "the run's other --var, from its journal")
        #expect(runbookDefault.requests.isEmpty, "never to the runbook's default")
    }

    /// A resumed run sends where the run would have: a secret --var (masked in the journal) is asked for again.
    @Test func aResumedRunAsksAgainForASecretVar() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let overridden = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { overridden.stop() }
        let runbookDefault = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { runbookDefault.stop() }
        let runbook = try directory.write(
            "reprise-var.yaml",
            """
            runbook: reprise-var
            title: Reprise et var
            vars: { hook: "\(runbookDefault.url("/default"))" }
            channels:
              crise: { webhook: "${vars.hook}" }
            steps:
              - id: pret
                run: test -f \(directory.path("GO"))
              - id: prevenir
                notify: { channel: crise, text: bonjour }
            """)
        let hook = overridden.url("/var")
        let failed = try await FiletProcess.run(["run", runbook, "--journal", directory.journal, "--var", "hook=\(hook)"])
        #expect(failed.status == 1)
        try directory.write("GO", "")
        let path = try JournalFile.only(in: directory.journal).path
        let refused = try await FiletProcess.run(["resume", path])
        #expect(refused.status == 2)
        #expect(
            refused.stderr.contains("the run set ${vars.hook} with --var, a secret that its journal does not keep"), "\(refused.stderr)")
        #expect(refused.stderr.contains("filet resume \(path) --var hook=VALUE"))
        let changed = try await FiletProcess.run(["resume", path, "--var", "hook=\(hook)", "--var", "nope=1"])
        #expect(changed.status == 2)
        #expect(changed.stderr.contains("--var nope: the runbook has no variable 'nope'"), "\(changed.stderr)")
        let resumed = try await FiletProcess.run(["resume", path, "--var", "hook=\(hook)"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(overridden.requests.count == 1 && runbookDefault.requests.isEmpty)
        for output in [refused.stderr, resumed.stdout, resumed.stderr] { #expect(!output.contains("/var"), "a webhook URL is a secret") }
    }
}
