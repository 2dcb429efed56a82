import FiletRunbook
import FiletSupport
import FiletSyntax
import Testing

/// Loads a runbook from text; returns the plan or the diagnostics.
func load(_ text: String, path: String = "test.yaml") -> Result<Plan, DiagnosticList> {
    Result { () throws(DiagnosticList) -> Plan in try RunbookLoader.load(SourceFile(path: path, text: text)) }
}

func codes(_ text: String) -> [String] {
    guard case .failure(let list) = load(text) else { return [] }
    return list.diagnostics.map(\.code.rawValue)
}

let header = """
    runbook: essai
    title: Essai
    channels:
      crise: { file: ./crise.jsonl }

    """

@Suite struct ValidationTests {
    @Test func rendersEveryDiagnosticCompilerStyle() throws {
        let text = """
            runbook: essai
            tittle: Essai
            steps:
              - id: a
                check: { http: "https://x.example", staus: 200 }
                idempotent: yes
                timeout: 30

            """
        guard case .failure(let list) = load(text, path: "Runbooks/essai.yaml") else {
            Issue.record("expected errors")
            return
        }
        let rendered = DiagnosticRenderer(file: SourceFile(path: "Runbooks/essai.yaml", text: text)).render(list.diagnostics)
        #expect(
            rendered == """
                Runbooks/essai.yaml:1:1: error: the runbook has no 'title'
                 1 | runbook: essai
                   | ^
                   = hint: add 'title: ...'
                Runbooks/essai.yaml:2:1: error: unknown key 'tittle' in the runbook
                 2 | tittle: Essai
                   | ^
                   = hint: did you mean 'title'?
                Runbooks/essai.yaml:5:41: error: unknown key 'staus' in the http check of step 'a'
                 5 |     check: { http: "https://x.example", staus: 200 }
                   |                                         ^
                   = hint: did you mean 'status'?
                Runbooks/essai.yaml:6:17: error: the idempotent of step 'a' must be true or false, not 'yes'
                 6 |     idempotent: yes
                   |                 ^
                   = hint: write 'true': filet reads only lowercase true and false as booleans
                Runbooks/essai.yaml:7:14: error: the timeout of step 'a' is not a duration: '30'
                 7 |     timeout: 30
                   |              ^
                   = hint: add a unit, such as 30s; accepted forms: 500ms, 30s, 5m, 1h, 1h30m (units h, m, s, ms, largest first, each at most once)

                """)
    }

    @Test func retriesOnAConfirmOrAWaitIsAnError() throws {
        let text = """
            runbook: essai
            title: Essai
            steps:
              - id: feu-vert
                confirm: On y va ?
                retries: 2
              - id: pause
                wait: 5s
                retries: 1
              - { id: deja, confirm: Sûr ?, retries: 0 }

            """
        guard case .failure(let list) = load(text, path: "Runbooks/essai.yaml") else {
            Issue.record("expected errors")
            return
        }
        let rendered = DiagnosticRenderer(file: SourceFile(path: "Runbooks/essai.yaml", text: text)).render(list.diagnostics)
        #expect(
            rendered == """
                Runbooks/essai.yaml:6:5: error: 'retries' does not apply to step 'feu-vert': a confirm step is never retried (a confirmation is a person's answer)
                 6 |     retries: 2
                   |     ^
                   = hint: remove it: a refused confirmation is a decision, asked once
                Runbooks/essai.yaml:9:5: error: 'retries' does not apply to step 'pause': a wait step is never retried (a wait does not fail)
                 9 |     retries: 1
                   |     ^
                   = hint: remove it: to wait longer, lengthen the wait

                """)
        #expect(list.diagnostics.map(\.code) == ["retries-not-applicable", "retries-not-applicable"], "retries: 0 says what is true")
    }

    @Test func defaultRetriesDoNotApplyToConfirmAndWait() throws {
        let runbook = """
            runbook: essai
            title: Essai
            defaults: { retries: 2, backoff: 3s }
            steps:
              - { id: feu-vert, confirm: On y va ? }
              - { id: pause, wait: 5s }
              - { id: essai, run: 'true' }
            """
        let plan = try load(runbook).get()
        #expect(plan.steps.map(\.step.retries) == [0, 0, 2])
        #expect(plan.steps.map(\.step.retryPolicy.maximumAttempts) == [1, 1, 3])
        let view = try PlanView(plan: plan, path: "x.yaml", overrides: [:], environment: [:])
        let text = view.text()
        #expect(
            text.contains(
                "      starts at once · no timeout · never retried (defaults.retries does not apply to confirm steps) · on failure abort · not idempotent · drill: simulate\n"
            ))
        #expect(
            text.contains(
                "      after feu-vert · no timeout · never retried (defaults.retries does not apply to wait steps) · on failure abort · idempotent · drill: run\n"
            ))
        #expect(
            text.contains("      after pause · timeout 5m · 2 retries (backoff 3s) · on failure abort · not idempotent · drill: simulate\n")
        )
        let json = view.json().rendered(pretty: false)
        #expect(
            json.contains(
                #""id":"feu-vert","title":null,"needs":[],"action":{"type":"confirm","prompt":"On y va ?","approvers":[]},"#
                    + #""when":null,"timeout":null,"retries":0,"retried":false,"backoff":"3s","#))
        #expect(json.contains(#""timeout":null,"retries":0,"retried":false,"backoff":"3s","on_failure":"abort","idempotent":true"#))
        #expect(json.contains(#""timeout":"5m","retries":2,"backoff":"3s","#), "other steps are unchanged")

        // Without a default, nothing is said: the plan of a runbook that sets no retries is as before.
        let quiet = try PlanView(
            plan: try load(runbook.replacing("defaults: { retries: 2, backoff: 3s }\n", with: "")).get(), path: "x.yaml", overrides: [:],
            environment: [:])
        #expect(!quiet.text().contains("retried") && !quiet.text().contains("retries"))
        #expect(quiet.text().contains("      starts at once · no timeout · on failure abort · not idempotent · drill: simulate\n"))
    }

    @Test func duplicateKeyNamesBothPlaces() throws {
        let text = "runbook: a\ntitle: b\nrunbook: c\n"
        guard case .failure(let list) = load(text) else {
            Issue.record("expected errors")
            return
        }
        let diagnostic = try #require(list.diagnostics.first)
        #expect(diagnostic.code == "duplicate-key")
        #expect(diagnostic.location.description == "3:1")
        #expect(diagnostic.notes.map(\.location.description) == ["1:1"])
    }

    @Test func defaultOrderIsTopToBottomAndNeedsReplaceIt() throws {
        let plan = try load(
            header + """
                steps:
                  - { id: a, wait: 0s }
                  - { id: b, wait: 0s }
                  - { id: c, wait: 0s, needs: [] }
                  - { id: d, wait: 0s, needs: [b, c] }
                finally:
                  - { id: f1, notify: { channel: crise, text: "fin ${run.status}" } }
                  - { id: f2, wait: 0s }
                """
        ).get()
        #expect(plan.levels.map { $0.map(\.step.id) } == [["a", "c"], ["b"], ["d"]])
        #expect(plan.steps.map(\.needs) == [[], ["a"], [], ["b", "c"]])
        #expect(plan.finallyLevels.map { $0.map(\.step.id) } == [["f1"], ["f2"]])
    }

    @Test func reportsCyclePath() throws {
        let list = try #require(
            load(
                header + """
                    steps:
                      - { id: a, wait: 0s, needs: [c] }
                      - { id: b, wait: 0s, needs: [a] }
                      - { id: c, wait: 0s, needs: [b] }
                    """
            ).failure)
        #expect(list.diagnostics.map(\.code) == ["cycle"])
        let path = list.diagnostics[0].message.split(separator: ": ").last!.split(separator: " → ").map(String.init)
        #expect(path.count == 4 && path.first == path.last)
        #expect(Set(path) == ["a", "b", "c"])
    }

    @Test func unknownNeedsAndChannelsSuggestNames() throws {
        let list = try #require(
            load(
                header + """
                    steps:
                      - { id: ouvrir, wait: 0s }
                      - { id: b, wait: 0s, needs: [ouvir] }
                      - { id: c, notify: { channel: crse, text: x } }
                    """
            ).failure)
        #expect(Set(list.diagnostics.map(\.code.rawValue)) == ["unknown-channel", "unknown-step"])
        #expect(list.diagnostics.compactMap(\.hint).sorted() == ["did you mean 'crise'?", "did you mean 'ouvrir'?"])
    }

    @Test func stepReferencesMustBeAncestors() throws {
        let base = header + "vars: { v: x }\nsteps:\n  - { id: a, run: \"true\" }\n  - { id: b, run: \"true\", needs: [] }\n"
        #expect(codes(base + "  - { id: c, run: \"echo ${steps.a.output}\", needs: [b] }\n") == ["step-reference-order"])
        #expect(codes(base + "  - { id: c, run: \"echo ${steps.a.output}\", needs: [a] }\n") == [])
        #expect(codes(base + "  - { id: c, run: \"echo ${steps.zz.output}\", needs: [a] }\n") == ["unknown-step"])
        #expect(codes(base + "  - { id: c, wait: 0s, when: \"steps.b.status == 'failed'\", needs: [a] }\n") == ["step-reference-order"])
        #expect(codes(base + "finally:\n  - { id: z, run: \"echo ${steps.a.output} ${run.status}\" }\n") == [])
        #expect(codes(base + "  - { id: c, run: \"echo ${run.status}\" }\n") == ["run-status-outside-finally"])
    }

    @Test(
        arguments: [
            ("wait: 1h30m", nil),
            ("wait: 500ms", nil),
            ("wait: 90", "expected-duration"),
            ("wait: 1m1h", "expected-duration"),
            ("wait: 5 m", "expected-duration"),
            ("wait: 2s, timeout: 1s", "wait-exceeds-timeout"),
            ("run: x, retries: -1", "out-of-range"),
            ("run: x, retries: 03", "leading-zero"),
            ("run: 'echo ${steps.s.output}'", "step-reference-order"),
            ("run: x, idempotent: True", "expected-boolean"),
            ("run: x, idempotent: 'true'", "quoted-scalar"),
            ("run: x, on_failure: abrot", "unknown-choice"),
            ("run: x, drill: simulate", nil),
            ("run: x, env: { A: b }, expect_exit: 3", nil),
            ("wait: 1s, env: { A: b }", "option-without-run"),
            ("run: { command: x, shell: /bin/bash }", nil),
            ("run: { command: x }, shell: /bin/bash", "option-twice-placed"),
            ("check: { tcp: 'h:99999' }", "bad-target"),
            ("check: { tcp: '[::1]:443' }", nil),
            ("check: { http: ftp://x }", "bad-url"),
            ("check: { http: 'https://x', tcp: 'h:1' }", "two-check-kinds"),
            ("check: { dns: ville.example }", nil),
            ("confirm: { prompt: Sûr ?, approvers: [maire] }", nil),
            ("confirm: Sûr ?, wait: 1s", "two-actions"),
            ("title: rien", "no-action"),
            ("run: 'echo ${vars.x'", "bad-interpolation"),
            ("run: 'echo $${vars.x}'", nil),
            ("run: 'echo ${foo.bar}'", "bad-interpolation"),
            ("wait: 0s, when: \"mode == 'exercice'\"", "unknown-value"),
            ("wait: 0s, when: \"mode = 'run'\"", "bad-condition"),
            ("wait: 0s, when: \"(mode == 'run'\"", "bad-condition"),
            ("wait: 0s, when: \"not (mode == 'drill') or env.X != ''\"", nil),
        ] as [(String, String?)])
    func stepFields(_ body: String, expected: String?) {
        let found = codes(header + "steps:\n  - { id: s, \(body) }\n")
        #expect(found == (expected.map { [$0] } ?? []), "\(body)")
    }

    /// A condition an attacker (or a generator) made deep or long is refused where it starts to be too much, never a
    /// stack overflow: 12,000 parentheses, 50,000 `not`, 5,000 comparisons.
    @Test(
        arguments: [
            (String(repeating: "(", count: 12_000) + "mode == 'run'" + String(repeating: ")", count: 12_000), 33),
            (String(repeating: "not ", count: 50_000) + "mode == 'run'", 33),
            (Array(repeating: "mode == 'run'", count: 5_000).joined(separator: " and "), 257),
            (String(repeating: "(", count: 32) + "mode == 'run'" + String(repeating: ")", count: 32), nil),
            (Array(repeating: "mode == 'run'", count: 256).joined(separator: " or "), nil),
        ] as [(String, Int?)])
    func conditionsAreBounded(_ condition: String, failsAt nth: Int?) throws {
        let text = header + "steps:\n  - id: s\n    wait: 0s\n    when: \"\(condition)\"\n"
        guard let nth else {
            #expect(codes(text) == [])
            return
        }
        let list = try #require(load(text).failure)
        #expect(list.diagnostics.map(\.code) == ["bad-condition"])
        // Located at the opening that goes one level too deep, or at the comparison one too many.
        let line = "    when: \"\(condition)\""
        let column = try #require(list.diagnostics.first?.location.column)
        let rest = String(line.unicodeScalars.dropFirst(column - 1).prefix(5).map(Character.init))
        #expect(["(", "not", "mode"].contains { rest.hasPrefix($0) }, "column \(column): \(rest)")
        #expect(nth > 0)
    }

    @Test func channelChecks() {
        let steps = "steps:\n  - { id: s, wait: 0s }\n"
        let circle =
            "runbook: a\ntitle: b\nchannels:\n  x: { file: x, fallback: y }\n  y: { file: y, fallback: z }\n  z: { file: z, fallback: x }\n"
        #expect(codes(circle + steps) == ["fallback-cycle"])
        #expect(codes("runbook: a\ntitle: b\nchannels:\n  x: { file: x, fallback: x }\n" + steps) == ["fallback-cycle"])
        #expect(
            codes("runbook: a\ntitle: b\nchannels:\n  x: { file: x, drill_webhook: 'https://h' }\n" + steps) == ["drill-webhook-on-file"])
        #expect(codes("runbook: a\ntitle: b\nchannels:\n  x: { webhook: 'https://h', fallback: y }\n  y: { file: y }\n" + steps) == [])
    }

    @Test func needsOnAStepWithABadIDIsNotReportedTwice() {
        #expect(codes(header + "steps:\n  - { id: B, wait: 0s }\n  - { id: c, wait: 0s, needs: [B] }\n") == ["bad-id"])
    }

    @Test func interpolationErrorPointsInsideTheScalar() throws {
        let list = try #require(load(header + "steps:\n  - id: s\n    run: echo ${vars.nope} done\n").failure)
        #expect(list.diagnostics.map(\.location.description) == ["7:15"])
    }

    @Test func templatesRenderAndEscape() throws {
        let template = try Template(parsing: "a $${b} ${vars.c} ${env.D}")
        #expect(template.references == [.variable("c"), .environment("D")])
        #expect(template.render { $0 == .variable("c") ? "C" : nil } == "a $${b} C ${env.D}")
    }

    @Test func maskerHidesSecretsAndWebhookPaths() {
        let masker = Masker(secrets: ["s3cr3t", "s3cr3t-long"])
        #expect(masker("token=s3cr3t-long and s3cr3t") == "token=*** and ***")
        #expect(Masker.redactedURL("https://user:pw@chat.ville.example/hooks/abc?x=1") == "https://chat.ville.example/***")
        #expect(Masker.redactedURL("https://chat.ville.example") == "https://chat.ville.example")
    }

    @Test func planMasksSecretsAndWebhooks() throws {
        let plan = try load(
            """
            runbook: essai
            title: Essai
            secrets: [TOKEN]
            vars: { url: "https://api.example/${env.TOKEN}/status" }
            channels:
              chat: { webhook: "${env.HOOK}", format: slack, signing_secret: "${env.SIGN}" }
            steps:
              - { id: a, check: { http: "${vars.url}" } }
              - { id: b, notify: { channel: chat, text: "hook ${env.HOOK} sign ${env.SIGN}" } }
            """
        ).get()
        let environment = ["TOKEN": "tok-123456", "HOOK": "https://hooks.slack.example/T0/B0/XyZ", "SIGN": "whsec_abcdef"]
        let view = try PlanView(plan: plan, path: "x.yaml", overrides: [:], environment: environment)
        let outputs = [view.text(), view.json().rendered()]
        for output in outputs {
            for secret in environment.values {
                #expect(!output.contains(secret), "\(secret) leaked")
            }
            #expect(output.contains("https://hooks.slack.example/***"))
            #expect(output.contains("https://api.example/***/status"))
        }
    }

    @Test func varOverridesMustBeDeclared() throws {
        let plan = try load(header + "vars: { cible: a }\nsteps:\n  - { id: s, run: \"echo ${vars.cible}\" }\n").get()
        let view = try PlanView(plan: plan, path: "x", overrides: ["cible": "b"], environment: [:])
        #expect(view.text().contains("run echo \"$FILET_V1\"\n        with FILET_V1 = ${vars.cible} = \"b\"\n"))
        #expect(throws: PlanView.VariableError.self) {
            try PlanView(plan: plan, path: "x", overrides: ["cibel": "b"], environment: [:])
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
