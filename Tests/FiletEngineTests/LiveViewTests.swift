import FiletActions
import FiletReports
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation
import Testing

@testable import FiletEngine

/// The live view's lines, without a terminal: what is written once, the live rows, the end; every line fits.
@Suite struct LiveViewTests {
    static let longReason =
        "HTTP 503 from http://127.0.0.1:8080/health, expected one of 200, 204; the body does not contain 'ok': "
        + "<html><body>Service temporairement indisponible — réessayez plus tard 漢字 🚀</body></html>"

    static func plan(steps: Int, finally: Int = 0) throws -> Plan {
        var text = "runbook: vue\ntitle: Vue en direct — démonstration\nsteps:\n"
        for index in 0..<steps { text += "  - { id: step-\(index), needs: [], run: 'true' }\n" }
        if finally > 0 { text += "finally:\n" + (0..<finally).map { "  - { id: clean-\($0), run: 'true' }\n" }.joined() }
        return try RunbookLoader.load(SourceFile(path: "vue.yaml", text: text))
    }

    static func view(_ plan: Plan, mode: RunMode = .run, language: Language = .en) -> LiveView {
        LiveView(
            header: LiveView.Header(
                title: plan.runbook.title, runbookID: plan.runbook.id, mode: mode, drillPrefix: "[EXERCICE]", operatorName: "alice",
                runID: "20260101T000000Z-abcd", journalPath: "filet-journal/20260101T000000Z-abcd.jsonl"),
            plan: plan, language: language)
    }

    /// A row without the local time that starts it on a wide terminal (`21:36:16 +01:00 `).
    static func withoutTime(_ row: String) -> String {
        let time = row.prefix(16)
        guard time.count == 16, time.prefix(8).allSatisfy({ $0.isNumber || $0 == ":" }), time.hasSuffix(" ") else { return row }
        return String(row.dropFirst(16))
    }

    /// The lines' text without spaces: what wrapping keeps.
    static func squeezed(_ lines: [String]) -> String {
        lines.joined().filter { $0 != " " }
    }

    static func result(_ id: String, _ status: StepStatus, reason: String? = nil, attempts: Int = 1) -> StepResult {
        StepResult(stepID: id, status: status, reason: reason, attempts: attempts, output: "", duration: .milliseconds(1234))
    }

    @Test func everyFinishedStepIsWrittenOnceWithItsFullReasonAndEveryLineFits() throws {
        let plan = try Self.plan(steps: 30)
        for width in [20, 39, 79, 119] {
            var view = Self.view(plan)
            var written: [String] = []
            for index in 0..<30 {
                view.apply(.stepStarted(stepID: "step-\(index)", isFinally: false))
                if index % 7 == 3 {
                    view.apply(.stepFinished(Self.result("step-\(index)", .failed, reason: Self.longReason, attempts: 2), isFinally: false))
                } else {
                    view.apply(.stepFinished(Self.result("step-\(index)", .succeeded), isFinally: false))
                }
                if index % 5 == 0 { written += view.lastingLines(width: width) }
            }
            written += view.lastingLines(width: width, all: true)
            #expect(view.lastingLines(width: width, all: true).isEmpty, "written twice")
            for line in written + view.headerLines(width: width) { #expect(TerminalText.width(line) <= width, "\(width): \(line)") }
            for index in 0..<30 {
                let rows = written.map(Self.withoutTime).filter { $0.hasPrefix("✔ step-\(index) ") || $0.hasPrefix("✘ step-\(index) ") }
                #expect(rows.count == 1, "\(width): step-\(index) in \(rows)")
            }
            // The reason in full: its words, in order, under each failed row.
            #expect(Self.squeezed(written).contains(Self.squeezed([Self.longReason])), "\(width)")
        }
    }

    @Test func liveRowsFitTheHeightAndCountWhatDoesNot() throws {
        let plan = try Self.plan(steps: 40)
        var view = Self.view(plan)
        let start = ContinuousClock.now
        for index in 0..<40 { view.apply(.stepStarted(stepID: "step-\(index)", isFinally: false), now: start) }
        view.apply(.outputLine(stepID: "step-0", line: "\u{1B}[32mApplying\u{1B}[0m migration\t42/77 ✓ 漢字"), now: start)
        view.apply(.waiting(stepID: "step-1", until: start + .seconds(25)), now: start)
        view.apply(.attemptFinished(stepID: "step-2", attempt: 1, outcome: .failed, reason: "exit 1"), now: start)
        view.apply(.retryScheduled(stepID: "step-2", attempt: 2, of: 3, at: start + .seconds(4)), now: start)
        view.asking(stepID: "step-3", now: start)
        for (width, height) in [(39, 10), (79, 20), (119, 3)] {
            let rows = view.liveLines(width: width, height: height, now: start + .milliseconds(1500))
            #expect(rows.count <= height)
            for row in rows { #expect(TerminalText.width(row) <= width, "\(width): \(row)") }
            #expect(rows[0].hasPrefix("REAL RUN · 0/40 done · 40 running · 1s"), "\(rows[0])")
            #expect(rows.last!.contains("more running"), "\(rows)")
        }
        let rows = view.liveLines(width: 119, height: 20, now: start + .milliseconds(1500))
        #expect(rows[1].contains("running 1s · Applying migration 42/77 ✓ 漢字"), "\(rows[1])")
        #expect(rows[2].contains("waiting, 24s left"), "\(rows[2])")
        #expect(rows[3].contains("attempt 2/3 in 3s · exit 1"), "\(rows[3])")
        #expect(rows[4].contains("waiting for an answer for 1s"), "\(rows[4])")
        #expect(view.liveLines(width: 79, height: 6, exactly: true).count == 6)
        // A finished step leaves the live rows.
        view.apply(.stepFinished(Self.result("step-0", .succeeded), isFinally: false))
        #expect(!view.liveLines(width: 119, height: 50).contains { $0.contains("step-0 ") })
    }

    @Test func stepsSkippedBecauseTheRunStoppedAreCounted() throws {
        let plan = try Self.plan(steps: 12)
        var view = Self.view(plan)
        view.apply(.stepFinished(Self.result("step-0", .failed, reason: "exit 1"), isFinally: false))
        for index in 1..<12 {
            view.apply(.stepFinished(Self.result("step-\(index)", .skipped, reason: "a step it needs did not run"), isFinally: false))
        }
        // Kept back while the group may grow…
        let early = view.lastingLines(width: 79)
        #expect(early.count == 2, "\(early)")
        let lines = view.lastingLines(width: 79, all: true)
        #expect(lines == ["– 11 steps skipped: a step it needs did not run"], "\(lines)")
    }

    @Test func theBannerTellsADrillFromARealRunInBothLanguages() throws {
        let plan = try Self.plan(steps: 2)
        let drill = Self.view(plan, mode: .drill).headerLines(width: 79)
        #expect(drill[0].hasPrefix("EXERCICE — drill:"))
        #expect(drill.joined(separator: " ").contains("[EXERCICE]"))
        #expect(Self.view(plan).headerLines(width: 79)[0].hasPrefix("REAL RUN — "))
        let french = Self.view(plan, language: .fr)
        #expect(french.headerLines(width: 79)[0].hasPrefix("RÉEL — "))
        #expect(french.headerLines(width: 79).joined(separator: " ").contains("Opérateur\u{A0}: alice"))
        #expect(Self.view(plan, mode: .drill, language: .fr).liveLines(width: 79, height: 5)[0].hasPrefix("EXERCICE · 0/2 terminées"))
        var view = french
        for (index, status) in [StepStatus.succeeded, .failed].enumerated() {
            view.apply(.stepFinished(Self.result("step-\(index)", status), isFinally: false))
        }
        let lines = view.lastingLines(width: 79, all: true)
        #expect(lines[0].contains("  réussi  1.2s"), "\(lines)")
        #expect(lines[1].contains("  échoué  1.2s"), "\(lines)")
        #expect(Message.word(for: .skipped).fr == "ignoré")
        #expect(Message.word(for: .cancelled).fr == "annulé")
        #expect(Message.word(for: .simulated).fr == "simulé")
    }

    @Test func aSignalSaysWhatHappensAndThatASecondOneSkipsFinally() throws {
        var view = Self.view(try Self.plan(steps: 1, finally: 1))
        view.apply(.interrupted(signal: SIGINT, second: false))
        let notice = view.lastingLines(width: 200).joined()
        #expect(notice.contains("Ctrl-C: stopping the running steps, then the finally steps run. A second Ctrl-C skips the finally steps."))
        #expect(!notice.contains("signal 2"))
        #expect(view.liveLines(width: 200, height: 5).last == "! Stopping (Ctrl-C): Ctrl-C again skips the finally steps")
        view.apply(.interrupted(signal: SIGTERM, second: true))
        #expect(view.lastingLines(width: 200).joined().contains("SIGTERM again: the finally steps are stopped too"))
    }

    @Test func theEndNamesEveryFailureAndTheCommandThatResumes() throws {
        let plan = try Self.plan(steps: 3, finally: 1)
        let view = Self.view(plan)
        let outcome = RunOutcome(
            runID: "20260101T000000Z-abcd", status: .failed,
            steps: [
                Self.result("step-0", .succeeded), Self.result("step-1", .failed, reason: Self.longReason),
                Self.result("step-2", .skipped, reason: "a step it needs did not run"),
            ],
            finallySteps: [Self.result("clean-0", .succeeded)], duration: .seconds(3), signal: nil, journalFailure: nil)
        for width in [30, 39, 79] {
            let lines = view.endLines(outcome, width: width)
            for line in lines { #expect(TerminalText.width(line) <= width, "\(width): \(line)") }
            let text = lines.joined(separator: "\n")
            #expect(Self.squeezed(lines).hasPrefix("Run20260101T000000Z-abcdfailedin3.0s(2succeeded,1failed,1skipped)"), "\(text)")
            let command = text.components(separatedBy: "type:\n").last!.components(separatedBy: "\nJournal").first!
            #expect(command.replacing("\\\n", with: "") == "filet resume filet-journal/20260101T000000Z-abcd.jsonl", "\(command)")
            #expect(Self.squeezed(lines).contains(Self.squeezed([Self.longReason])))
        }
        var succeeded = outcome
        succeeded.status = .succeeded
        succeeded.steps = [Self.result("step-0", .succeeded)]
        #expect(!view.endLines(succeeded, width: 79).joined().contains("filet resume"))
    }
}
