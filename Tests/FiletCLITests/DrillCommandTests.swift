import Foundation
import Testing

@Suite struct DrillCommandTests {
    static let runbook = """
        runbook: exercice
        title: Exercice
        steps:
          - { id: joignable, needs: [], check: { dns: localhost } }
          - { id: injoignable, needs: [], check: { tcp: '127.0.0.1:1' }, on_failure: continue }
          - { id: bascule, run: 'touch MARKER' }
        """

    @Test func readinessDecidesTheExitCodeAndCommandsAreSimulated() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("exercice.yaml", Self.runbook.replacing("MARKER", with: directory.path("ran")))
        let strict = try await FiletProcess.run(["drill", runbook, "--journal", directory.journal])
        #expect(strict.status == 1, "one check of three steps failed: 66% is below the default 100%\n\(strict.stdout)")
        #expect(strict.stdout.contains("Readiness of drill"))
        #expect(strict.stdout.contains("66% (2 of 3 steps would have succeeded)"))
        #expect(strict.stdout.contains("✘ injoignable (check.tcp)"))
        #expect(!directory.exists("ran"), "a simulated run step must not execute")

        let lenient = try await FiletProcess.run(["drill", runbook, "--min-readiness", "60", "--journal", directory.journal])
        #expect(lenient.status == 0, "\(lenient.stdout)")

        let json = try await FiletProcess.run([
            "drill", runbook, "--min-readiness", "60", "--format", "json", "--journal", directory.journal,
        ])
        let last = try #require(json.stdout.split(separator: "\n").last)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(summary["event"] as? String == "drill.readiness")
        #expect(summary["readiness_percent"] as? Int == 66)
        #expect(summary["ready"] as? Bool == true)
        #expect(!directory.exists("ran"))
    }

    @Test func badMinimumIsAUsageError() async throws {
        let result = try await FiletProcess.run(["drill", "Runbooks/auto-test.yaml", "--min-readiness", "101"])
        #expect(result.status == 2)
    }
}
