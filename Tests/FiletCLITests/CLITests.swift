import Foundation
import Testing

/// Runs the built `filet` binary as a subprocess, as an operator or a scheduler would.
struct FiletProcess {
    var status: Int32
    var stdout: String
    var stderr: String

    static var binary: URL {
        // The test bundle sits next to the products of the same build.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("filet").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("filet")
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> FiletProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return FiletProcess(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

func temporaryFile(_ text: String, name: String = "runbook.yaml") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filet-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

@Suite struct CLITests {
    @Test func validatesEveryShippedSample() throws {
        let samples = try FileManager.default.contentsOfDirectory(atPath: FiletProcess.packageRoot.appendingPathComponent("Runbooks").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "Runbooks/\($0)" }
        #expect(samples.count >= 4)
        let result = try FiletProcess.run(["validate"] + samples)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for sample in samples {
            #expect(result.stdout.contains("\(sample): ok"))
        }
        for sample in samples {
            let plan = try FiletProcess.run(["plan", sample])
            #expect(plan.status == 0, "\(sample): \(plan.stderr)")
            #expect(plan.stdout.contains("Level 1"))
        }
    }

    @Test func validateExitCodesAndLocatedErrors() throws {
        let path = try temporaryFile("runbook: x\ntitle: y\nsteps:\n  - id: a\n    wiat: 1s\n")
        let result = try FiletProcess.run(["validate", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(path):5:5: error: unknown key 'wiat' in a step"))
        #expect(result.stdout.contains("did you mean 'wait'?"))
        #expect(result.stdout.contains(" 5 |     wiat: 1s\n   |     ^\n"))

        let missing = try FiletProcess.run(["validate", "/nonexistent/runbook.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))

        let badFlag = try FiletProcess.run(["validate", "--bogus", path])
        #expect(badFlag.status == 2)
        let noFile = try FiletProcess.run(["validate"])
        #expect(noFile.status == 2)
    }

    @Test func validateJSONListsDiagnostics() throws {
        let path = try temporaryFile("runbook: x\ntitle: y\nsteps:\n  - id: a\n    wait: 1s\n    wait: 2s\n")
        let result = try FiletProcess.run(["validate", "--format", "json", path])
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

    @Test func parsePrintsTheDocumentAsOrderedJSON() throws {
        let path = try temporaryFile("z: 1\na: [x, 'y''s']\nm:\n  k: |\n    l1\n    l2\nn:\n")
        let result = try FiletProcess.run(["parse", "--compact", path])
        #expect(result.status == 0)
        #expect(result.stdout == #"{"z":"1","a":["x","y's"],"m":{"k":"l1\nl2\n"},"n":""}"# + "\n")
        let bad = try FiletProcess.run(["parse", try temporaryFile("a: &x 1\n")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(":1:4: error: anchors"))
    }

    @Test func planShowsLevelsResolvesVarsAndMasksSecrets() throws {
        let path = try temporaryFile("""
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
        let text = try FiletProcess.run(["plan", path], environment: environment)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Level 1 (2 steps in parallel)"))
        #expect(text.stdout.contains("check http GET https://vpn.example/***"))
        #expect(text.stdout.contains("${run.id}"))
        #expect(text.stdout.contains("mattermost webhook https://chat.example/***"))
        let json = try FiletProcess.run(["plan", path, "--format", "json", "--var", "cible=https://autre.example"], environment: environment)
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"url\": \"https://autre.example\""))
        for output in [text.stdout, text.stderr, json.stdout, json.stderr] {
            #expect(!output.contains("tok-98765"))
            #expect(!output.contains("secret-path"))
        }
        let unknown = try FiletProcess.run(["plan", path, "--var", "cibel=x"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean 'cible'?"))
    }
}
