import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

/// `--var` reaches every place a run uses a variable: a channel's webhook, drill webhook, headers and signing secret,
/// the masker's secrets, and a file channel's path.
@Suite struct RunValuesTests {
    @Test func aChannelIsResolvedWithTheRunsOverrides() async throws {
        var run = try EngineRun(
            """
            runbook: var-partout
            title: Var partout
            vars: { hook: "https://default.example/h", salle: defaut, cle: "whsec_ZGVmYXV0", journal: $DIR/default.jsonl }
            channels:
              crise:
                webhook: "${vars.hook}"
                drill_webhook: "${vars.hook}/drill"
                signing_secret: "${vars.cle}"
                headers: { X-Salle: "${vars.salle}" }
              registre: { file: "${vars.journal}" }
            steps:
              - id: noter
                notify: { channel: registre, text: "noté" }
              - id: montrer
                run: echo "${vars.hook} ${vars.cle}"
            """)
        run.configuration.variables = [
            "hook": "https://override.example/secret-path", "salle": "crise-7", "cle": "whsec_b3ZlcnJpZGU=",
            "journal": run.file("elsewhere.jsonl"),
        ]
        let values = run.configuration.values(for: run.plan.runbook)
        let crise = try #require(run.plan.runbook.channel(named: "crise"))
        for mode in RunMode.allCases {
            guard case .webhook(let endpoint) = crise.destination(values: values, mode: mode) else {
                Issue.record("not a webhook")
                return
            }
            #expect(endpoint.url == "https://override.example/secret-path" + (mode == .drill ? "/drill" : ""))
            #expect(endpoint.headers.map(\.value) == ["crise-7"])
            #expect(endpoint.signingSecrets == ["whsec_b3ZlcnJpZGU="])
        }

        let (outcome, contents) = try await run.run()
        #expect(outcome.status == .succeeded)
        #expect(run.read("elsewhere.jsonl").contains("noté"))
        #expect(!FileManager.default.fileExists(atPath: run.file("default.jsonl")))
        // The overridden webhook and signing secret are the secrets the journal hides.
        let text = contents.records.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: "\n")
        #expect(!text.contains("secret-path") && !text.contains("b3ZlcnJpZGU"), "\(text)")
    }
}
