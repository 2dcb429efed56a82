import FiletEngine
import FiletNotify
import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

/// What the engine resolves for a channel during a run, against what the outbox keeps of it.
@Suite struct OutboxSecretsTests {
    @Test func neverWritesAWebhookURLNorASecret() throws {
        let directory = try OutboxTestDirectory()
        defer { directory.remove() }
        let runbookPath = try directory.write(
            "runbook.yaml",
            """
            runbook: bascule
            title: Bascule
            channels:
              crise:
                webhook: ${env.SENTINEL_HOOK}/hooks/${vars.room}
                signing_secret: ${env.SENTINEL_SECRET}
                headers:
                  Authorization: Bearer ${env.SENTINEL_TOKEN}
            vars:
              room: cellule-7f3a
            steps:
              - id: canal
                notify: { channel: crise, text: "Cellule ouverte" }

            """)
        let source = try SourceFile.read(path: runbookPath)
        let plan = try RunbookLoader.load(source)
        let environment = [
            "SENTINEL_HOOK": "https://sentinel-host-91d2.example", "SENTINEL_SECRET": "whsec_c2VudGluZWwtc2VjcmV0LTQ0",
            "SENTINEL_TOKEN": "sentinel-token-5e6f",
        ]
        let channel = try #require(plan.runbook.channel(named: "crise"))
        // What the engine resolves and sends during the run…
        guard case .webhook(let endpoint) = channel.destination(in: plan.runbook, environment: environment, runID: "r", mode: .run) else {
            Issue.record("not a webhook")
            return
        }
        #expect(endpoint.url == "https://sentinel-host-91d2.example/hooks/cellule-7f3a")
        #expect(endpoint.signingSecrets == ["whsec_c2VudGluZWwtc2VjcmV0LTQ0"])
        // …and what it stores when it cannot deliver.
        let entry = OutboxEntry(
            message: OutboxSample.message(), channel: "crise", runbookPath: runbookPath, runbookSHA256: source.sha256,
            createdMilliseconds: OutboxEntry.nowMilliseconds(), attempts: 4, lastError: "HTTP 503 from https://sentinel-host-91d2.example",
            journalRunID: "20261129T093757Z-b665")
        // The caller masks the last error; show that the outbox holds nothing else of the endpoint.
        var masked = entry
        masked.lastError = "HTTP 503 from https://***"
        try directory.outbox.store(masked)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.outbox.directory) {
            let bytes = try String(contentsOfFile: directory.outbox.directory + "/" + name, encoding: .utf8)
            for secret in ["sentinel-host-91d2", "cellule-7f3a", "c2VudGluZWwtc2VjcmV0LTQ0", "sentinel-token-5e6f", "hooks"] {
                #expect(!bytes.contains(secret), "\(name) holds \(secret)")
            }
        }
    }
}
