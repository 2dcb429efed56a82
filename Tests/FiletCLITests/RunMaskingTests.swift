import Foundation
import Testing

/// Secrets never leave filet, the way Ansible tests `no_log`: a sentinel value is printed by the
/// runbook's commands in every form a tool may print it, and must then appear nowhere — not on
/// filet's stdout or stderr (text and JSON), not in the journal's bytes, not in `filet plan`.
@Suite struct RunMaskingTests {
    static let sentinel = "S3ntinel-Zq8w/x+y="
    /// A multi-line secret: each of its lines is a secret on its own.
    static let multiLine = "Ml1ne-first-Kp4r/\nMl1ne-second-Ty7u+"

    /// Every form of the secrets that must never be seen (computed outside filet, by hand or with base64(1) and Python).
    static let forbidden = [
        sentinel,
        "UzNudGluZWwtWnE4dy94K3k9",  // base64 of the sentinel
        "M250aW5lbC1acTh3L3gr",  // base64 of "t=" + sentinel, characters 4..<24: the sentinel's bytes 1...15 only
        "bnRpbmVsLVpxOHcveCt5",  // base64 of "tok=" + sentinel, characters 8..<28: the sentinel's bytes 2...16 only
        "S3ntinel-Zq8w/x%2By%3D",  // urllib.parse.quote (keeps '/')
        "S3ntinel-Zq8w%2Fx%2By%3D",  // urllib.parse.quote(safe="")
        "Ml1ne-first-Kp4r/", "Ml1ne-second-Ty7u+",
        "Bearer-\(sentinel)",
    ]

    static func runbook(port: UInt16) -> String {
        #"""
        runbook: masquage
        title: Masquage
        secrets: [FILET_TEST_SECRET, FILET_TEST_SECRET_ML]
        vars:
          jeton: ${env.FILET_TEST_SECRET}
          multi: ${env.FILET_TEST_SECRET_ML}
          derive: "Bearer ${env.FILET_TEST_SECRET}"
        defaults: { on_failure: continue }
        steps:
          - id: clair
            run: printf '%s\n' "$FILET_TEST_SECRET"
          - id: interpole
            run: echo "jeton=${vars.jeton}"
          - id: base64
            run: |
              printf %s "$FILET_TEST_SECRET" | base64
              printf 't=%s' "$FILET_TEST_SECRET" | base64
              printf 'tok=%s' "$FILET_TEST_SECRET" | base64
          - id: url
            run: |
              python3 -c 'import os, urllib.parse as u; s = os.environ["FILET_TEST_SECRET"]; print(u.quote(s)); print(u.quote(s, safe=""))'
          - id: json
            run: |
              python3 -c 'import os, json; print(json.dumps({"token": os.environ["FILET_TEST_SECRET"], "multi": os.environ["FILET_TEST_SECRET_ML"]}))'
          - id: multiligne
            run: |
              printf 'avant\n%s\napres\n' "$FILET_TEST_SECRET_ML"
              printf '%s\n' "$FILET_TEST_SECRET_ML" | tac
          - id: erreur
            run: printf 'warn %s\n' "$FILET_TEST_SECRET" >&2
          - id: echec
            run: |
              echo "stdout too: $FILET_TEST_SECRET"
              printf 'refused: %s\n' "$FILET_TEST_SECRET" >&2
              exit 4
          - id: reprise
            run: echo "reprise ${steps.clair.output}"
          - id: var-derivee
            run: echo "${vars.derive}"
          - id: http
            check: { http: "http://127.0.0.1:\#(port)/status?token=${vars.jeton}&multi=${vars.multi}" }
        """#
    }

    static let environment = ["FILET_TEST_SECRET": sentinel, "FILET_TEST_SECRET_ML": multiLine]

    @Test(.enabled(if: isInPath("python3"), "the runbook URL-encodes and JSON-encodes with python3"))
    func secretsAppearNowhereInAnyForm() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("masquage.yaml", Self.runbook(port: closedLoopbackPort()))
        let override = ["--var", "derive=Bearer-\(Self.sentinel)-override"]
        let textJournal = directory.path("journal-text")
        let jsonJournal = directory.path("journal-json")

        let text = try await FiletProcess.run(["run", runbook, "--journal", textJournal] + override, environment: Self.environment)
        let json = try await FiletProcess.run(
            ["run", runbook, "--format", "json", "--journal", jsonJournal] + override,
            environment: Self.environment)
        let plan = try await FiletProcess.run(["plan", runbook] + override, environment: Self.environment)
        let planJSON = try await FiletProcess.run(["plan", runbook, "--format", "json"] + override, environment: Self.environment)
        let planDefault = try await FiletProcess.run(["plan", runbook], environment: Self.environment)
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        #expect(json.status == 1)
        #expect([plan.status, planJSON.status, planDefault.status] == [0, 0, 0], "\(plan.stderr)")

        let journals = [try JournalFile.only(in: textJournal), try JournalFile.only(in: jsonJournal)]
        var outputs: [(String, Data)] = [
            ("run stdout", text.stdoutData), ("run stderr", text.stderrData),
            ("run --format json stdout", json.stdoutData), ("run --format json stderr", json.stderrData),
            ("plan stdout", plan.stdoutData), ("plan stderr", plan.stderrData),
            ("plan --format json stdout", planJSON.stdoutData), ("plan --format json stderr", planJSON.stderrData),
            ("plan (default vars) stdout", planDefault.stdoutData),
        ]
        outputs += journals.map { ("journal \($0.path)", $0.data) }
        for (name, data) in outputs {
            for form in Self.forbidden {
                #expect(!data.contains(form), "\(name) shows '\(form)'")
            }
        }

        // The commands really received the secrets (forwarded because the runbook names them with
        // ${env.NAME}) and printed them: the journal holds their masked output.
        for journal in journals {
            func observed(_ step: String, _ stream: String) -> String {
                let attempt = journal.records("step.attempt", step: step).first
                return ((attempt?["observed"] as? [String: Any])?[stream] as? [String: Any])?["text"] as? String ?? "<none>"
            }
            #expect(observed("clair", "stdout") == "***\n")
            #expect(observed("interpole", "stdout") == "jeton=***\n")
            #expect(observed("base64", "stdout").split(separator: "\n").allSatisfy { $0.contains("***") })
            #expect(observed("url", "stdout") == "***\n***\n")
            #expect(observed("json", "stdout") == #"{"token": "***", "multi": "***"}"# + "\n")
            // The whole secret, then its lines apart (in reverse order): each line is masked on its own.
            #expect(observed("multiligne", "stdout") == "avant\n***\napres\n***\n***\n")
            #expect(observed("erreur", "stderr") == "warn ***\n")
            #expect(observed("echec", "stdout") == "stdout too: ***\n")
            #expect(observed("reprise", "stdout") == "reprise ***\n")
            #expect(observed("var-derivee", "stdout") == "Bearer-***-override\n")
            let failed = journal.records("step.finished", step: "echec").first
            #expect(failed?["reason"] as? String == "exit 4, expected 0: refused: ***")
            #expect(journal.records("step.finished", step: "http").first?["status"] as? String == "failed")
            let vars = journal.records.first?["vars"] as? [String: Any]
            #expect(vars?["jeton"] as? String == "***" && vars?["derive"] as? String == "Bearer-***-override")
        }
        #expect(text.stdout.contains("exit 4, expected 0: refused: ***"))
        #expect(plan.stdout.contains("echo \"jeton=$FILET_V1\"\n        with FILET_V1 = ${vars.jeton} = \"***\"\n"))
    }

    /// Two JSON spellings that common encoders produce and that the masker does not know yet.
    @Test(.enabled(if: isInPath("python3"), "the runbook JSON-encodes with python3"))
    func secretsInOtherJSONEscapesAreMasked() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let accented = "Mot-de-passe-été-42"
        let runbook = try directory.write(
            "json.yaml",
            #"""
            runbook: json
            title: JSON
            secrets: [FILET_TEST_SECRET, FILET_TEST_SECRET_U]
            vars:
              a: ${env.FILET_TEST_SECRET}
              b: ${env.FILET_TEST_SECRET_U}
            defaults: { on_failure: continue }
            steps:
              - id: barre-echappee
                run: |
                  printf '{"token":"%s"}\n' "$(printf %s "$FILET_TEST_SECRET" | sed 's,/,\\/,g')" >&2
                  exit 1
              - id: ascii-seulement
                run: |
                  python3 -c 'import os, json; print(json.dumps({"token": os.environ["FILET_TEST_SECRET_U"]}))' >&2
                  exit 1
            """#)
        let result = try await FiletProcess.run(
            ["run", runbook, "--journal", directory.journal],
            environment: ["FILET_TEST_SECRET": Self.sentinel, "FILET_TEST_SECRET_U": accented])
        #expect(result.status == 1)
        let journal = try JournalFile.only(in: directory.journal)
        // `\/` for '/' (PHP json_encode, Foundation's JSONSerialization and JSONEncoder): the secret is cut in two at the '/'.
        #expect(!result.stdout.contains("S3ntinel-Zq8w"), "\(result.stdout)")
        #expect(!journal.data.contains("S3ntinel-Zq8w"))
        // `\u00e9` for 'é' (Python's json.dumps by default, ensure_ascii=True).
        #expect(!result.stdout.contains("Mot-de-passe-"), "\(result.stdout)")
        #expect(!journal.data.contains("Mot-de-passe-"))
    }
}

/// Whether an executable of that name is in the PATH that filet, hence the runbook's commands, will use.
func isInPath(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { directory in
        FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)")
    }
}

/// A loopback TCP port that nothing listens on (bound, then closed, by this process).
func closedLoopbackPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return bound ? UInt16(bigEndian: address.sin_port) : 9
}
