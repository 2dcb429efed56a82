import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation
import Testing

/// How a `run:` or `undo:` command is rewritten for the shell: each reference becomes its variable, quoted for where
/// it stands, and a reference that no quoting can pass as one word is refused where it is written.
@Suite struct ShellScriptTests {
    static func script(_ text: String) throws -> ShellScript { try ShellScript(Template(parsing: text)) }

    @Test(
        arguments: [
            ("echo ${vars.x}", #"echo "$FILET_V1""#),
            (#"echo "${vars.x}""#, #"echo "$FILET_V1""#),
            (#"echo "${vars.x}_suffix" "${vars.x}-dash""#, #"echo "${FILET_V1}_suffix" "$FILET_V1-dash""#),
            ("echo '${vars.x}'", #"echo ''"$FILET_V1"''"#),
            ("echo 'a ${vars.x} b'", #"echo 'a '"$FILET_V1"' b'"#),
            ("echo pre${vars.x}post", #"echo pre"$FILET_V1"post"#),
            (#"echo ${vars.x}${vars.y}"${vars.x}"'${vars.y}'"#, #"echo "$FILET_V1""$FILET_V2""$FILET_V1"''"$FILET_V2"''"#),
            ("x=${vars.x} cmd", #"x="$FILET_V1" cmd"#),
            (#"echo "$(basename ${vars.x})""#, #"echo "$(basename "$FILET_V1")""#),
            (#"echo "a $(echo "b ${vars.x}") c""#, #"echo "a $(echo "b $FILET_V1") c""#),
            ("echo $(echo '${vars.x}') ${vars.y}", #"echo $(echo ''"$FILET_V1"'') "$FILET_V2""#),
            ("echo $( (echo a) ) '${vars.x}'", #"echo $( (echo a) ) ''"$FILET_V1"''"#),
            // Quotes that open nothing: inside double quotes, escaped, in a comment, in a here-document's body.
            (#"echo "it's" ${vars.x}"#, #"echo "it's" "$FILET_V1""#),
            (#"echo \' \" ${vars.x}"#, #"echo \' \" "$FILET_V1""#),
            (#"echo "a\"b" ${vars.x}"#, #"echo "a\"b" "$FILET_V1""#),
            ("# it's a comment ${vars.y}\necho ${vars.x}", "# it's a comment \"$FILET_V1\"\necho \"$FILET_V2\""),
            ("echo a#b '${vars.x}'", #"echo a#b ''"$FILET_V1"''"#),
            ("echo $# '${vars.x}'", #"echo $# ''"$FILET_V1"''"#),
            // Shell expansions written with $${, arithmetic, $'…' and backquotes, closed before the reference.
            ("echo $${HOME} ${vars.x}", #"echo ${HOME} "$FILET_V1""#),
            ("echo $${HOME:-'it'} '${vars.x}'", #"echo ${HOME:-'it'} ''"$FILET_V1"''"#),
            ("echo $((1 + (2))) ${vars.x}", #"echo $((1 + (2))) "$FILET_V1""#),
            (#"echo $'it\'s' ${vars.x}"#, #"echo $'it\'s' "$FILET_V1""#),
            ("echo `date` ${vars.x}", #"echo `date` "$FILET_V1""#),
            // Here-documents: the body is expanded as inside double quotes, unless the delimiter is quoted.
            ("cat <<EOF\n${vars.x}\n${vars.x}_a\nEOF\necho ${vars.x}", "cat <<EOF\n$FILET_V1\n${FILET_V1}_a\nEOF\necho \"$FILET_V1\""),
            ("cat <<-END >f\n\t'${vars.x}'\n\tEND\necho '${vars.x}'", "cat <<-END >f\n\t'$FILET_V1'\n\tEND\necho ''\"$FILET_V1\"''"),
            ("cat <<'EOF'\nit's\nEOF\necho ${vars.x}", "cat <<'EOF'\nit's\nEOF\necho \"$FILET_V1\""),
            ("cat <<A <<\"B\"\n${vars.x}\nA\nit's\nB\necho '${vars.x}'", "cat <<A <<\"B\"\n$FILET_V1\nA\nit's\nB\necho ''\"$FILET_V1\"''"),
            ("cat <<< ${vars.x}", #"cat <<< "$FILET_V1""#),
            ("echo $${x} $$HOME", "echo ${x} $$HOME"),
        ])
    func rewritesEachReferenceForWhereItStands(_ text: String, _ expected: String) throws {
        #expect(try Self.script(text).script == expected, "\(text)")
    }

    @Test func eachDistinctReferenceHasOneVariableInTheOrderTheyAppear() throws {
        let script = try Self.script("a ${steps.b.output} ${vars.x} '${steps.b.output}' ${env.HOME} ${run.id}")
        #expect(script.bindings.map(\.variable) == ["FILET_V1", "FILET_V2", "FILET_V3", "FILET_V4"])
        #expect(script.bindings.map(\.reference) == [.stepOutput("b"), .variable("x"), .environment("HOME"), .runID])
        #expect(try Self.script("echo $${HOME}").bindings.isEmpty)
    }

    @Test(
        arguments: [
            ("echo `echo ${vars.x}`", "inside `…`"),
            ("echo `a \\${vars.x}`", "inside `…`"),
            ("echo $(echo `${vars.x}`)", "inside `…`"),
            ("echo $((${vars.n} + 1))", "inside $((…))"),
            ("echo $${HOME:-${vars.x}}", "inside a shell expansion ${…}"),
            ("echo \"$${HOME:-$(echo ${vars.x})}\"", "inside a shell expansion ${…}"),
            ("echo $'${vars.x}'", "inside $'…'"),
            ("cat <<'EOF'\n${vars.x}\nEOF", "in a here-document whose delimiter is quoted"),
            ("cat <<E\\OF\na ${vars.x}\nEOF", "in a here-document whose delimiter is quoted"),
            ("cat <<${vars.x}\nEOF", "the delimiter of a here-document"),
            ("echo \\${vars.x}", "right after a '\\'"),
            ("echo \"a \\${vars.x}\"", "right after a '\\'"),
            ("cat <<EOF\n\\${vars.x}\nEOF", "right after a '\\'"),
        ])
    func refusesWhereNoQuotingPassesOneWord(_ text: String, _ why: String) throws {
        do throws(Template.Problem) {
            _ = try ShellScript(try Template(parsing: text))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.message.contains(why), "\(text): \(error.message)")
            let reference = text.range(of: "${vars")!.lowerBound
            #expect(error.offset == text.unicodeScalars.distance(from: text.startIndex, to: reference), "\(text)")
            #expect(error.hint != nil)
        }
    }

    @Test func onlyTheVariablePrefixAndDigitsAreReserved() {
        #expect(ShellScript.isReserved("FILET_V1"))
        #expect(ShellScript.isReserved("FILET_V20"))
        #expect(!ShellScript.isReserved("FILET_V"))
        #expect(!ShellScript.isReserved("FILET_VPN_TOKEN"))
        #expect(!ShellScript.isReserved("FILET_V1X"))
        #expect(!ShellScript.isReserved("MY_FILET_V1"))
    }

    @Test func validationReportsWhereTheReferenceIsAndReservedNames() throws {
        let list = try #require(
            load(
                header + """
                    vars: { x: a }
                    steps:
                      - id: s
                        run: echo `cat ${vars.x}`
                        undo: echo $((${vars.x}))
                      - id: t
                        run: { command: 'echo ${vars.x}', env: { FILET_V1: a, FILET_VPN: b } }

                    """
            ).failure)
        #expect(list.diagnostics.map(\.code.rawValue) == ["unsafe-interpolation", "unsafe-interpolation", "reserved-name"])
        #expect(list.diagnostics.map(\.location.description) == ["8:20", "9:19", "11:46"])
        #expect(list.diagnostics[0].message.hasPrefix("the command of step 's': this interpolation is inside `…`"))
        #expect(list.diagnostics[1].message.hasPrefix("the undo of step 's': this interpolation is inside $((…))"))
    }

    @Test func planShowsTheScriptTheShellReceivesAndWhatEachVariableCarries() throws {
        let plan = try load(
            """
            runbook: essai
            title: Essai
            secrets: [TOKEN]
            vars: { cible: "x; rm -rf /", jeton: "${env.TOKEN}" }
            steps:
              - id: a
                run: printf '%s' ${vars.cible} "${vars.jeton}" '${steps.a0.output}'
                undo: echo ${vars.cible}
                needs: [a0]
              - { id: a0, needs: [], run: 'true' }
            """
        ).get()
        let view = try PlanView(plan: plan, path: "x.yaml", overrides: [:], environment: ["TOKEN": "tok-123456"])
        let text = view.text()
        #expect(
            text.contains(
                """
                      run printf '%s' "$FILET_V1" "$FILET_V2" ''"$FILET_V3"''
                        with FILET_V1 = ${vars.cible} = "x; rm -rf /"
                        with FILET_V2 = ${vars.jeton} = "***"
                        with FILET_V3 = ${steps.a0.output}, known during the run

                """), "\(text)")
        #expect(text.contains("      undo: echo \"$FILET_V1\"\n        with FILET_V1 = ${vars.cible} = \"x; rm -rf /\"\n"), "\(text)")
        #expect(!text.contains("tok-123456"))
        let json = view.json().rendered(pretty: false)
        #expect(json.contains(#""command":"printf '%s' \"$FILET_V1\" \"$FILET_V2\" ''\"$FILET_V3\"''""#), "\(json)")
        #expect(
            json.contains(
                #""values":[{"variable":"FILET_V1","reference":"${vars.cible}","value":"x; rm -rf /"},"#
                    + #"{"variable":"FILET_V2","reference":"${vars.jeton}","value":"***"},"#
                    + #"{"variable":"FILET_V3","reference":"${steps.a0.output}","value":null}]"#), "\(json)")
        #expect(json.contains(#""undo":"echo \"$FILET_V1\"","undo_values":[{"variable":"FILET_V1""#), "\(json)")
        #expect(!json.contains("tok-123456"))
    }
}
