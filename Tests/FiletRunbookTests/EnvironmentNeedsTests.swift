import FiletRunbook
import Testing

/// Which `${env.NAME}` a run needs in each mode, and the one resolution of variables (`RunValues`).
@Suite struct EnvironmentNeedsTests {
    static let runbook = """
        runbook: besoins
        title: Besoins
        vars:
          hook: "${env.REAL_HOOK}"
          drill: "${env.DRILL_HOOK}"
          inutile: "${env.NEVER_READ}"
          cible: "${env.TARGET}"
        channels:
          crise: { webhook: "${vars.hook}", drill_webhook: "${vars.drill}", headers: { X-Token: "${env.TOKEN}" } }
          secours: { file: "${env.SPARE}" }
          orphelin: { webhook: "${env.UNUSED_CHANNEL}" }
        steps:
          - id: alerte
            notify: { channel: crise, text: alerte }
          - id: commande
            run: echo ${env.REAL_ONLY}
          - id: sonde
            when: vars.cible == 'x'
            check: { tcp: "localhost:1" }
          - id: repli
            notify: { channel: secours, text: repli }
            drill: skip
        """

    @Test func eachModeNeedsWhatItUses() throws {
        let runbook = try load(Self.runbook).get().runbook
        #expect(runbook.environmentNeeded(in: .run) == ["REAL_HOOK", "TOKEN", "SPARE", "REAL_ONLY", "TARGET"])
        #expect(runbook.environmentNeeded(in: .drill) == ["DRILL_HOOK", "TOKEN", "TARGET"])
        #expect(runbook.environmentNeeded(in: .run, overridden: ["hook", "cible"]) == ["TOKEN", "SPARE", "REAL_ONLY"])
        #expect(runbook.channelsUsed(in: .drill).map(\.name) == ["crise"])
        #expect(runbook.channelsUsed(in: .run).map(\.name) == ["crise", "secours"])
    }

    @Test func fallbacksAreUsedToo() throws {
        let runbook = try load(
            """
            runbook: repli
            title: Repli
            channels:
              a: { webhook: "${env.A}", fallback: b }
              b: { file: "${env.B}" }
            steps:
              - { id: s, notify: { channel: a, text: t } }
            """
        ).get().runbook
        #expect(runbook.environmentNeeded(in: .run) == ["A", "B"])
    }

    @Test func overridesWinAndUnsetVariablesAreUnknown() throws {
        let runbook = try load(Self.runbook).get().runbook
        let values = RunValues(runbook: runbook, overrides: ["hook": "https://autre.example"], environment: ["TARGET": "x"])
        #expect(values.vars["hook"] == "https://autre.example")
        #expect(values.vars["cible"] == "x")
        #expect(values.vars["drill"] == "", "a run reads an unset variable as empty")
        #expect(values.knownValue(of: .variable("drill")) == nil, "the plan leaves it written as ${vars.drill}")
        #expect(values.knownValue(of: .variable("hook")) == "https://autre.example")
        #expect(values.value(of: .environment("NOT_SET")) == "")
        #expect(values.knownValue(of: .environment("NOT_SET")) == nil)
    }
}
