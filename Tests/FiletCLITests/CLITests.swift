import Foundation
import Testing

@Suite struct CLITests {
    @Test func validatesEveryShippedSample() async throws {
        let samples = try FileManager.default.contentsOfDirectory(atPath: FiletProcess.packageRoot.appendingPathComponent("Runbooks").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "Runbooks/\($0)" }
        #expect(samples.count >= 4)
        let result = try await FiletProcess.run(["validate"] + samples)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for sample in samples {
            #expect(result.stdout.contains("\(sample): ok"))
        }
        for sample in samples {
            let plan = try await FiletProcess.run(["plan", sample])
            #expect(plan.status == 0, "\(sample): \(plan.stderr)")
            #expect(plan.stdout.contains("Level 1"))
        }
    }

    @Test func validateExitCodesAndLocatedErrors() async throws {
        let path = try temporaryFile("runbook: x\ntitle: y\nsteps:\n  - id: a\n    wiat: 1s\n")
        let result = try await FiletProcess.run(["validate", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(path):5:5: error: unknown key 'wiat' in a step"))
        #expect(result.stdout.contains("did you mean 'wait'?"))
        #expect(result.stdout.contains(" 5 |     wiat: 1s\n   |     ^\n"))

        let missing = try await FiletProcess.run(["validate", "/nonexistent/runbook.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))

        let badFlag = try await FiletProcess.run(["validate", "--bogus", path])
        #expect(badFlag.status == 2)
        let noFile = try await FiletProcess.run(["validate"])
        #expect(noFile.status == 2)
    }

    @Test func validateJSONListsDiagnostics() async throws {
        let path = try temporaryFile("runbook: x\ntitle: y\nsteps:\n  - id: a\n    wait: 1s\n    wait: 2s\n")
        let result = try await FiletProcess.run(["validate", "--format", "json", path])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == false)
        let files = try #require(json["files"] as? [[String: Any]])
        let diagnostic = try #require((files.first?["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["code"] as? String == "duplicate-key")
        #expect(diagnostic["line"] as? Int == 6)
        #expect(diagnostic["column"] as? Int == 5)
        #expect((diagnostic["notes"] as? [[String: Any]])?.first?["line"] as? Int == 5)
    }

    @Test func parsePrintsTheDocumentAsOrderedJSON() async throws {
        let path = try temporaryFile("z: 1\na: [x, 'y''s']\nm:\n  k: |\n    l1\n    l2\nn:\n")
        let result = try await FiletProcess.run(["parse", "--compact", path])
        #expect(result.status == 0)
        #expect(result.stdout == #"{"z":"1","a":["x","y's"],"m":{"k":"l1\nl2\n"},"n":""}"# + "\n")
        let bad = try await FiletProcess.run(["parse", try temporaryFile("a: &x 1\n")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(":1:4: error: anchors"))
    }

    @Test func planShowsLevelsResolvesVarsAndMasksSecrets() async throws {
        let path = try temporaryFile(
            """
            runbook: essai
            title: Essai
            secrets: [TOKEN]
            vars: { cible: "https://vpn.example/${env.TOKEN}" }
            channels:
              chat: { webhook: "${env.HOOK}", format: mattermost }
            steps:
              - { id: a, check: { http: "${vars.cible}" } }
              - { id: b, needs: [], notify: { channel: chat, text: "run ${run.id}" } }
              - { id: c, needs: [a, b], run: "echo ${vars.cible}" }
            """)
        let environment = ["TOKEN": "tok-98765", "HOOK": "https://chat.example/hooks/secret-path"]
        let text = try await FiletProcess.run(["plan", path], environment: environment)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Level 1 (2 steps in parallel)"))
        #expect(text.stdout.contains("check http GET https://vpn.example/***"))
        #expect(text.stdout.contains("${run.id}"))
        #expect(text.stdout.contains("mattermost webhook https://chat.example/***"))
        let json = try await FiletProcess.run(
            ["plan", path, "--format", "json", "--var", "cible=https://autre.example"], environment: environment)
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"url\": \"https://autre.example\""))
        for output in [text.stdout, text.stderr, json.stdout, json.stderr] {
            #expect(!output.contains("tok-98765"))
            #expect(!output.contains("secret-path"))
        }
        let unknown = try await FiletProcess.run(["plan", path, "--var", "cibel=x"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean 'cible'?"))
    }
}
