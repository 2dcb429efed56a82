import Foundation
import Testing

/// Interpolation that cannot inject (issue 10): what `--var`, the environment or an earlier step's output puts in a
/// `run:` or an `undo:` reaches the shell in an environment variable, never as shell text. Hostile values in every
/// quoting context, through the real binary: no payload ever runs (its marker file never exists), and the command
/// receives the value's exact bytes as one word.
@Suite struct InterpolationInjectionTests {
    /// Values that would run `touch marker`, or break the command, if the shell read them as syntax.
    static func hostileValues(marker: String) -> [String] {
        let metacharacters = [";", "&", "|", ">", "<", "$(", ")", "`", "'", "\"", "\\", "*", "?", "[", "]", "~", "#", "{", "}", "!", "="]
        let payloads = [
            "; touch \(marker)", "&& touch \(marker)", "|| touch \(marker)", "| touch \(marker)", "& touch \(marker)",
            "$(touch \(marker))", "`touch \(marker)`", "> \(marker)", ">> \(marker)", "x\ntouch \(marker)", "x\rtouch \(marker)",
            "'; touch \(marker); '", "\"; touch \(marker); \"", "'\"$(touch \(marker))\"'", "\\\"; touch \(marker); \\\"",
            "\\'; touch \(marker); echo \\'", "${x:-$(touch \(marker))}", "x\nEOF\ntouch \(marker)\nEOF",
            "$(touch \(marker))\n`touch \(marker)`\n", "'\n touch \(marker)\n'",
        ]
        let words = [
            "", " ", "a b", "  leading and trailing  ", "\ttab", "new\nline", "trailing newline\n", "\n", "carriage\rreturn",
            "crlf\r\n", "-n", "-e", "--", "-", "%s%d", "$HOME", "${HOME}", "$FILET_V1", "$((1+1))", "*", "/*", "[a-z]*", "~root",
            "#not a comment", "été 🚨 東京 \u{202E}ltr", "EOF",
        ]
        let pattern = Array("; x $(y) `z` 'q' \"r\" | & > < * \\ #\n".unicodeScalars)
        let long = String(String.UnicodeScalarView((0..<100_000).map { pattern[$0 % pattern.count] }))
        return metacharacters + payloads + words + [long]
    }

    /// A quoting context: how the command uses `REF` (the reference) and writes to `OUT`, and what it must write.
    struct QuotingContext: Sendable, CustomTestStringConvertible {
        var name: String
        var command: String
        var expected: @Sendable (String) -> String
        var testDescription: String { name }
    }

    static let contexts = [
        QuotingContext(name: "bare", command: "printf '[%s]' REF > OUT") { "[\($0)]" },
        QuotingContext(name: "double-quoted", command: "printf '[%s]' \"REF\" > OUT") { "[\($0)]" },
        QuotingContext(name: "single-quoted", command: "printf '[%s]' 'REF' > OUT") { "[\($0)]" },
        QuotingContext(name: "adjacent", command: "printf '[%s]' preREFpost > OUT") { "[pre\($0)post]" },
        QuotingContext(name: "before-a-name", command: "printf '[%s]' \"REF_x\" > OUT") { "[\($0)_x]" },
        QuotingContext(name: "one-word-three-ways", command: "printf '[%s]' REF\"REF\"'REF' > OUT") { "[\($0)\($0)\($0)]" },
        QuotingContext(name: "substitution", command: "printf '[%s]' \"$(printf '%s' REF)\" > OUT") {
            // $(…) removes the trailing newlines of what it captures (by bytes: "\r\n" is one Character).
            "[\(String(String.UnicodeScalarView($0.unicodeScalars.reversed().drop { $0 == "\n" }.reversed())))]"
        },
        QuotingContext(name: "here-document", command: "cat <<EOF > OUT\nREF\nEOF") { "\($0)\n" },
        QuotingContext(name: "comment", command: "printf '[%s]' REF > OUT # 'REF' \"REF\" REF") { "[\($0)]" },
    ]

    /// `run: |` lines, indented for a step of the runbook.
    static func block(_ command: String) -> String {
        "    run: |\n" + command.split(separator: "\n", omittingEmptySubsequences: false).map { "      \($0)\n" }.joined()
    }

    @Test(arguments: contexts)
    func everyHostileValueArrivesIntactAndNothingRuns(_ context: QuotingContext) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = directory.path("pwned")
        let values = Self.hostileValues(marker: marker)
        var runbook = "runbook: injection\ntitle: Injection\ndefaults: { on_failure: continue }\nvars:\n"
        runbook += values.indices.map { "  v\($0): x\n" }.joined()
        runbook += "steps:\n"
        for index in values.indices {
            let command = context.command.replacing("REF", with: "${vars.v\(index)}").replacing("OUT", with: directory.path("out-\(index)"))
            runbook += "  - id: v\(index)\n    needs: []\n" + Self.block(command)
        }
        let path = try directory.write("injection.yaml", runbook)
        let overrides = values.enumerated().flatMap { ["--var", "v\($0.offset)=\($0.element)"] }
        let result = try await FiletProcess.run(["run", path, "--journal", directory.journal] + overrides, limit: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!directory.exists("pwned"), "a payload ran in context \(context.name)")
        for (index, value) in values.enumerated() {
            let written = FileManager.default.contents(atPath: directory.path("out-\(index)"))
            #expect(written == Data(context.expected(value).utf8), "\(context.name), value \(index): \(value.debugDescription.prefix(200))")
        }
    }

    @Test func aStepsOutputCarriesNoPayloadIntoTheNextStep() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = directory.path("pwned")
        let payloads = ["; touch \(marker)", "$(touch \(marker))", "`touch \(marker)`", "'; touch \(marker); '", "\"; touch \(marker); \""]
        var runbook = "runbook: sortie\ntitle: Sortie\ndefaults: { on_failure: continue }\nvars:\n"
        runbook += payloads.indices.map { "  p\($0): x\n" }.joined() + "steps:\n"
        for index in payloads.indices {
            runbook += "  - id: a\(index)\n    needs: []\n" + Self.block("printf 'first line\\n%s\\n' \"${vars.p\(index)}\"")
            let reads = "printf '[%s]' ${steps.a\(index).output} \"${steps.a\(index).output}\" '${steps.a\(index).output}' > OUT"
            runbook +=
                "  - id: b\(index)\n    needs: [a\(index)]\n" + Self.block(reads.replacing("OUT", with: directory.path("out-\(index)")))
        }
        let path = try directory.write("sortie.yaml", runbook)
        let overrides = payloads.enumerated().flatMap { ["--var", "p\($0.offset)=\($0.element)"] }
        let result = try await FiletProcess.run(["run", path, "--journal", directory.journal] + overrides)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!directory.exists("pwned"))
        for (index, payload) in payloads.enumerated() {
            #expect(directory.contents("out-\(index)") == "[\(payload)][\(payload)][\(payload)]", "\(payload)")
        }
    }

    @Test func aValueWithANulByteFailsTheStepBeforeItsCommandStarts() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "nul.yaml",
            """
            runbook: nul
            title: NUL
            steps:
              - id: nul
                run: printf 'a\\000b\\n'
              - id: reads
                run: touch \(directory.path("started")); printf '%s' ${steps.nul.output}
            """)
        let result = try await FiletProcess.run(["run", path, "--journal", directory.journal])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(!directory.exists("started"), "the command must not start: the value would be cut at its NUL")
        let journal = try JournalFile.only(in: directory.journal)
        let finished = journal.records("step.finished", step: "reads").first
        #expect(finished?["status"] as? String == "failed")
        #expect(
            finished?["reason"] as? String
                == "the value of ${steps.nul.output} contains a NUL byte, which a command cannot receive in its environment (FILET_V1): "
                + "the command was not started")
        #expect(journal.records("step.process", step: "reads").isEmpty)
    }

    @Test func anUndoReceivesItsValuesIntactAndTheJournalRecordsThemMasked() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let marker = directory.path("pwned")
        let payload = "'; touch \(marker); \"$(touch \(marker))\" `touch \(marker)`"
        let secret = "Undo-S3cret-Qx7"
        let out = directory.path("undone")
        let path = try directory.write(
            "undo.yaml",
            """
            runbook: defaire
            title: Défaire
            secrets: [INJ_SECRET]
            vars: { p: x, s: "${env.INJ_SECRET}" }
            steps:
              - id: prepare
                run: 'true'
                undo: printf '[%s]' ${vars.p} "${vars.p}" '${vars.p}' "${vars.s}" > \(out)
              - id: break
                run: exit 1
            """)
        let result = try await FiletProcess.run(
            ["run", path, "--rollback", "--journal", directory.journal, "--var", "p=\(payload)"], environment: ["INJ_SECRET": secret])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(!directory.exists("pwned"))
        #expect(directory.contents("undone") == "[\(payload)][\(payload)][\(payload)][\(secret)]")
        let journal = try JournalFile.only(in: directory.journal)
        let started = try #require(journal.records("undo.started", step: "prepare").first)
        #expect(started["command"] as? String == "printf '[%s]' \(payload) \"\(payload)\" '\(payload)' \"***\" > \(out)")
        #expect(started["script"] as? String == #"printf '[%s]' "$FILET_V1" "$FILET_V1" ''"$FILET_V1"'' "$FILET_V2" > "# + out)
        #expect(started["values"] as? [String: String] == ["FILET_V1": payload, "FILET_V2": "***"])
        #expect(!journal.data.contains(Data(secret.utf8)))
        #expect(journal.records("undo.finished", step: "prepare").first?["outcome"] as? String == "succeeded")
    }

    @Test func planShowsTheCommandAsTheShellReceivesIt() async throws {
        let path = try temporaryFile(
            """
            runbook: plan
            title: Plan
            vars: { cible: x }
            steps:
              - id: a
                run: rm -rf -- ${vars.cible}/cache
            """)
        let plan = try await FiletProcess.run(["plan", path, "--var", "cible=/ ; touch /tmp/x"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(
            plan.stdout.contains("      run rm -rf -- \"$FILET_V1\"/cache\n        with FILET_V1 = ${vars.cible} = \"/ ; touch /tmp/x\"\n"))
        let refused = try await FiletProcess.run([
            "validate", try temporaryFile("runbook: r\ntitle: R\nsteps:\n  - { id: a, run: 'echo `${run.id}`' }\n"),
        ])
        #expect(refused.status == 1)
        #expect(
            refused.stdout.contains(":4:26: error: the command of step 'a': this interpolation is inside `…`, where filet cannot quote it"))
    }
}
