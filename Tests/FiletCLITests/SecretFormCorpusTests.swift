import FiletEngine
import FiletNotify
import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

/// No secret leaves filet (issue 10, item 4): the runbook's commands print each secret in every form a tool
/// may print it in, cut where filet cuts output, a notification names it and a receiver echoes the token of its
/// webhook URL; none of these forms is then in any sink of the real binary: journals, stdout and stderr,
/// `audit show`, `audit report` (md, html, json), outbox files, `outbox list` and what the receiver got.
@Suite struct SecretFormCorpusTests {
    static let secrets = [
        "FILET_TEST_PLAIN": "Corpus-Secret-Alpha-7Q2x",
        "FILET_TEST_WIDE": "S3cr3t wïth/spâce+plus=9",
    ]
    static let hookToken = "T0kenPath5egment"
    static let hookKey = "Qu3ryK3yValue"

    /// Each form a step prints, by step id: a Python expression of `s`, the secret's UTF-8 bytes. A cut (the 32 KiB
    /// head, the 32 KiB tail, the 1,024-byte last line) falls 13 bytes inside the secret: 12 characters of each. No line feed ends the output: the tail is then
    /// cut at a byte, not at a line start.
    static let forms = [
        "raw": "s",
        "combining": "s + \"\\u0301\".encode()",
        "percent": "u.quote(s, safe=\"\").encode()",
        "plus": "u.quote_plus(s).encode()",
        "hex-lower": "s.hex().encode()",
        "hex-upper": "s.hex().upper().encode()",
        "base64": "b64.b64encode(s)",
        "base64-url": "b64.urlsafe_b64encode(s)",
        "base64-wrapped": "b64.encodebytes(b\"x\" * 50 + s)",
        "head-cut": "b\"a\" * 32755 + s + b\"b\" * 70000",
        "tail-cut": "b\"a\" * 70000 + s + b\"b\" * 32755",
        "line-cut": "b\"a\" * 1011 + s",
    ]

    static func runbook(hookURL: String, okURL: String) -> String {
        var steps = ""
        for name in secrets.keys.sorted() {
            for (form, expression) in forms.sorted(by: { $0.key < $1.key }) {
                steps += """
                      - id: \(form)-\(name.lowercased())
                        run: python3 -c 'import os, sys, base64 as b64, urllib.parse as u; s = os.environb[b"\(name)"]; sys.stdout.buffer.write(\(expression))'

                    """
            }
            steps += """
                  - id: line-err-\(name.lowercased())
                    run: python3 -c 'import os, sys; sys.stderr.buffer.write(b"a" * 1011 + os.environb[b"\(name)"] + b"\\n"); sys.exit(3)'
                  - id: reuse-\(name.lowercased())
                    run: echo "reused ${steps.line-cut-\(name.lowercased()).output}"
                  - id: tell-\(name.lowercased())
                    notify: { channel: ok, text: "secret ${env.\(name)} told" }

                """
        }
        return """
            runbook: corpus
            title: Corpus
            secrets: [\(secrets.keys.sorted().joined(separator: ", "))]
            channels:
              ok:
                webhook: \(okURL)
              echo:
                webhook: ${env.FILET_TEST_HOOK}
                retries: 0
            defaults: { on_failure: continue }
            steps:
            \(steps)  - id: echoed
                notify: { channel: echo, text: "hook ${env.FILET_TEST_PLAIN}", undelivered: later }

            """
    }

    /// What must be seen nowhere: each secret as written and encoded, and the hook's tokens.
    static var forbidden: [String] {
        var forms = [hookToken, hookKey]
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        for secret in secrets.values {
            let bytes = Data(secret.utf8)
            let base64 = bytes.base64EncodedString()
            let percent = secret.addingPercentEncoding(withAllowedCharacters: unreserved) ?? secret
            forms += [
                secret, percent, percent.replacing("%20", with: "+"),
                bytes.map { String(format: "%02x", $0) }.joined(), bytes.map { String(format: "%02X", $0) }.joined(),
                base64, base64.replacing("+", with: "-").replacing("/", with: "_"),
                // The wrapped form's bytes that depend on the secret alone: after the 50 x's, 68 characters in.
                String(Data(("x" + String(repeating: "x", count: 49) + secret).utf8).base64EncodedString().dropFirst(68).dropLast(4)),
                // Its first and last 12 characters, which a cut inside it would leave.
                String(secret.prefix(12)), String(secret.suffix(12)),
            ]
        }
        return forms
    }

    @Test(.enabled(if: isInPath("python3"), "the runbook's commands encode with python3"))
    func noFormOfASecretReachesAnySink() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let server = try TestHTTPServer { request in
            guard request.path.hasPrefix("/hooks/") else { return .respond(.text("ok")) }
            return .respond(.text("unknown hook \(Self.hookToken), key \(Self.hookKey)", status: 400))
        }
        defer { server.stop() }
        let hook = server.url("/hooks/\(Self.hookToken)?key=\(Self.hookKey)")
        let runbook = try directory.write("corpus.yaml", Self.runbook(hookURL: hook, okURL: server.url("/ok")))
        let environment = Self.secrets.merging(["FILET_TEST_HOOK": hook]) { first, _ in first }

        let run = try await FiletProcess.run(["run", runbook, "--journal", directory.journal], environment: environment)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let journal = try JournalFile.only(in: directory.journal)
        var sinks: [(String, Data)] = [("run stdout", run.stdoutData), ("run stderr", run.stderrData), ("journal", journal.data)]
        let show = try await FiletProcess.run(["audit", "show", journal.path])
        sinks += [("audit show", show.stdoutData), ("audit show stderr", show.stderrData)]
        for format in ["md", "html", "json"] {
            let report = try await FiletProcess.run(["audit", "report", journal.path, "--format", format], environment: environment)
            #expect(report.status == 0, "\(report.stderr)")
            sinks.append(("audit report --format \(format)", report.stdoutData))
        }
        let outboxDirectory = directory.journal + "/outbox"
        let entries = try FileManager.default.contentsOfDirectory(atPath: outboxDirectory)
        #expect(entries.count == 1)
        for entry in entries {
            sinks.append(("outbox file \(entry)", try Data(contentsOf: URL(fileURLWithPath: outboxDirectory + "/" + entry))))
        }
        for format in ["text", "json"] {
            let list = try await FiletProcess.run(["outbox", "list", "--journal", directory.journal, "--format", format])
            sinks += [("outbox list --format \(format)", list.stdoutData), ("outbox list stderr", list.stderrData)]
        }
        let deliver = try await FiletProcess.run(["outbox", "deliver", "--journal", directory.journal], environment: environment)
        sinks += [("outbox deliver stdout", deliver.stdoutData), ("outbox deliver stderr", deliver.stderrData)]
        for path in JournalFile.paths(in: directory.journal) {
            sinks.append(("journal \(path)", try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        // What the receiver got, but the URL each request is meant for.
        let requests = server.requests
        #expect(requests.count >= 4)
        for request in requests {
            let headers = request.headers.filter { $0.name.lowercased() != "authorization" }.map { "\($0.name): \($0.value)" }
            sinks.append(("request \(request.index) body and headers", request.body + Data(headers.joined(separator: "\n").utf8)))
        }

        for (name, data) in sinks {
            // Line breaks (and their JSON escapes) removed too: a wrapped form is one form.
            let joined = Data(String(decoding: data, as: UTF8.self).replacing("\\n", with: "").utf8.filter { $0 != 0x0A && $0 != 0x0D })
            for form in Self.forbidden {
                #expect(!data.contains(form) && !joined.contains(form), "\(name) shows '\(form)'")
            }
        }
        // The commands did print the secrets: the journal holds their masked forms.
        for step in ["raw-filet_test_plain", "combining-filet_test_wide", "base64-wrapped-filet_test_wide", "plus-filet_test_wide"] {
            let stdout = (journal.records("step.attempt", step: step).first?["observed"] as? [String: Any])?["stdout"] as? [String: Any]
            #expect((stdout?["text"] as? String).map { Data($0.utf8).contains("***") } == true, "\(step): \(String(describing: stdout))")
        }
        // The receiver echoed its tokens (masked in the outbox entry) and got the notification texts masked.
        let entry = try String(contentsOfFile: outboxDirectory + "/" + (entries.first ?? ""), encoding: .utf8)
        #expect(entry.contains("unknown hook ***, key ***"), "\(entry)")
        #expect(requests.filter { $0.path == "/ok" }.map(\.bodyText).allSatisfy { $0.contains("secret *** told") })
    }
    /// An entry stored by an earlier filet holds its text as rendered, secrets included: it still delivers, masked.
    @Test func anOldEntryWithASecretInItsTextIsDeliveredMasked() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let secret = Self.secrets["FILET_TEST_PLAIN"] ?? ""
        let runbook = try directory.write(
            "runbook.yaml",
            """
            runbook: ancien
            title: Ancien
            secrets: [FILET_TEST_PLAIN]
            channels:
              journal:
                file: \(directory.path("notifications.jsonl"))
            steps:
              - id: canal
                notify: { channel: journal, text: "jeton ${env.FILET_TEST_PLAIN}" }

            """)
        let run = "20261129T093757Z-b665"
        let message = NotificationMessage(
            id: NotificationMessage.id(runID: run, stepID: "canal"), runbookID: "ancien", runbookTitle: "Ancien", runID: run,
            mode: .run, stepID: "canal", channel: "journal", severity: .info, text: "jeton \(secret)",
            timestamp: "2026-11-29T09:37:57.670Z", drill: false)
        try Outbox(journalDirectory: directory.journal).store(
            OutboxEntry(
                message: message, channel: "journal", runbookPath: runbook, runbookSHA256: try SourceFile.read(path: runbook).sha256,
                createdMilliseconds: OutboxEntry.nowMilliseconds(), attempts: 1, lastError: nil, journalRunID: run))
        let result = try await FiletProcess.run(
            ["outbox", "deliver", "--journal", directory.journal], environment: ["FILET_TEST_PLAIN": secret])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let sent = try #require(directory.contents("notifications.jsonl"))
        #expect(sent.contains("jeton ***") && !sent.contains(secret), "\(sent)")
    }
}
