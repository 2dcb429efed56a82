import Foundation
import Testing

/// The readiness `filet drill` prints at its end and the one `filet audit report` rebuilds from the same journal
/// are one computation: a real drill, then both, figure by figure.
@Suite struct DrillReadinessTests {
    /// A delivered notification (to a file), one skipped by its `when` on the same channel, one delivered by the
    /// fallback of a webhook that refuses the connection, a simulated one, a check that fails.
    static func runbook(_ directory: TestDirectory) -> String {
        """
        runbook: preparation
        title: Préparation
        channels:
          registre: { file: "\(directory.path("registre.jsonl"))" }
          chat: { webhook: "http://127.0.0.1:1/hook", retries: 0, fallback: registre }
        steps:
          - { id: joignable, needs: [], check: { dns: localhost } }
          - { id: injoignable, needs: [], check: { tcp: '127.0.0.1:1' }, on_failure: continue }
          - { id: prevenir, needs: [], notify: { channel: registre, text: "Exercice en cours" } }
          - { id: hors-exercice, needs: [], notify: { channel: registre, text: "Jamais envoyé" }, when: "mode == 'run'" }
          - { id: secours, needs: [], notify: { channel: chat, text: "Par le secours" } }
          - { id: simule, needs: [], notify: { channel: chat, text: "Simulé" }, drill: simulate }
          - { id: bascule, needs: [], run: 'touch \(directory.path("ran"))' }
        """
    }

    /// The `readiness` of `filet audit report --format json` of the one journal in `folder`, and its `run`.
    static func report(_ folder: String) async throws -> (readiness: [String: Any], run: [String: Any], notifications: [[String: Any]]) {
        let journal = try JournalFile.only(in: folder)
        let result = try await FiletProcess.run(["audit", "report", journal.path, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        return (
            try #require(object["readiness"] as? [String: Any]), try #require(object["run"] as? [String: Any]),
            try #require(object["notifications"] as? [[String: Any]])
        )
    }

    /// What the report says, pinned: the skipped notification reached nothing, the fallback's channel was reached
    /// and the webhook's was not, the simulated one tried nothing.
    static func expectTheDrillsFigures(_ readiness: [String: Any], notifications: [[String: Any]]) throws {
        #expect(readiness["percent"] as? Int == 83 && readiness["steps_considered"] as? Int == 6)
        #expect(readiness["steps_would_succeed"] as? Int == 5)
        let channels = try #require(readiness["channels"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: channels.map { ($0["channel"] as? String ?? "?", $0) })
        #expect(Set(byName.keys) == ["registre", "chat"])
        #expect(byName["registre"]?["reached"] as? Bool == true)
        #expect(Set(byName["registre"]?["steps"] as? [String] ?? []) == ["prevenir", "secours"], "not hors-exercice: it sent nothing")
        #expect(byName["chat"]?["reached"] as? Bool == false)
        #expect(Set(byName["chat"]?["steps"] as? [String] ?? []) == ["secours", "simule"])
        #expect(!notifications.contains { $0["step"] as? String == "hors-exercice" })
        let checks = try #require(readiness["checks"] as? [[String: Any]])
        #expect(
            Set(checks.map { "\($0["step"] as? String ?? "?") \($0["status"] as? String ?? "?")" }) == [
                "joignable succeeded", "injoignable failed",
            ])
        #expect(Set((readiness["simulated"] as? [[String: Any]] ?? []).map { $0["step"] as? String ?? "?" }) == ["simule", "bascule"])
    }

    @Test func theTerminalSummaryIsTheReportsReadiness() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("preparation.yaml", Self.runbook(directory))
        let drill = try await FiletProcess.run(["drill", runbook, "--journal", directory.path("text")])
        #expect(drill.status == 1, "83% is below the default 100%\n\(drill.stdout)\(drill.stderr)")
        #expect(!directory.exists("ran"), "a simulated command must not run")
        let registre = directory.contents("registre.jsonl") ?? ""
        #expect(registre.contains("Exercice en cours") && registre.contains("Par le secours") && !registre.contains("Jamais envoyé"))

        let (readiness, run, notifications) = try await Self.report(directory.path("text"))
        try Self.expectTheDrillsFigures(readiness, notifications: notifications)
        // The summary, line by line, as the report's figures say it.
        let summary = try #require(drill.stdout.range(of: "\nReadiness of drill ")).lowerBound
        let lines = drill.stdout[summary...].split(separator: "\n").map(String.init)
        let duration = try #require(run["duration_ms"] as? Int)
        let tenths = (duration + 50) / 100
        #expect(
            lines.first
                == "Readiness of drill \(run["id"] as? String ?? "?"): \(readiness["percent"] as? Int ?? -1)% "
                + "(\(readiness["steps_would_succeed"] as? Int ?? -1) of \(readiness["steps_considered"] as? Int ?? -1) steps would have succeeded) "
                + "in \(tenths / 10).\(tenths % 10)s")
        let checks = (readiness["checks"] as? [[String: Any]] ?? []).map { check in
            let status = check["status"] as? String ?? "?"
            let symbol = status == "succeeded" ? "✔" : status == "failed" ? "✘" : "?"
            return "  \(symbol) \(check["step"] as? String ?? "?") (\(check["kind"] as? String ?? "?"))"
                + ((check["latency_ms"] as? Int).map { " \($0) ms" } ?? "")
                + (status == "succeeded" ? "" : ": \(check["reason"] as? String ?? status)")
        }
        let channels = (readiness["channels"] as? [[String: Any]] ?? []).map { channel in
            let state = (channel["reached"] as? Bool).map { $0 ? "reached" : "NOT reached" } ?? "not tried"
            return "  \(channel["channel"] as? String ?? "?"): \(state) (\((channel["steps"] as? [String] ?? []).joined(separator: ", ")))"
        }
        let verdict = "BELOW the minimum: \(readiness["percent"] as? Int ?? -1)% < 100% (--min-readiness): the drill fails (exit 1)."
        #expect(Array(lines.dropFirst()) == ["Checks:"] + checks + ["Channels:"] + channels + [verdict])
    }

    @Test func theJSONEventIsTheReportsReadiness() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("preparation.yaml", Self.runbook(directory))
        let drill = try await FiletProcess.run([
            "drill", runbook, "--format", "json", "--min-readiness", "80", "--journal", directory.path("json"),
        ])
        #expect(drill.status == 0, "83% is at least 80%\n\(drill.stdout)\(drill.stderr)")
        let last = try #require(drill.stdout.split(separator: "\n").last)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(event["event"] as? String == "drill.readiness")

        let (readiness, run, notifications) = try await Self.report(directory.path("json"))
        try Self.expectTheDrillsFigures(readiness, notifications: notifications)
        #expect(event["run"] as? String == run["id"] as? String)
        #expect(event["duration_ms"] as? Int == run["duration_ms"] as? Int)
        #expect(event["readiness_percent"] as? Int == readiness["percent"] as? Int)
        #expect(event["steps_considered"] as? Int == readiness["steps_considered"] as? Int)
        #expect(event["steps_would_succeed"] as? Int == readiness["steps_would_succeed"] as? Int)
        for member in ["checks", "channels", "simulated"] {
            let terminal = try #require(event[member] as? [Any], "\(member)")
            let report = try #require(readiness[member] as? [Any], "\(member)")
            #expect(NSArray(array: terminal).isEqual(to: report), "\(member): \(terminal) in the terminal, \(report) in the report")
        }
        #expect(event["minimum_percent"] as? Int == 80 && event["ready"] as? Bool == true)
    }
}
