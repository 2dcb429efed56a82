import FiletActions
import FiletEngine
import FiletJournal
import FiletNotify
import FiletReports
import FiletRunbook
import FiletSupport
import FiletSyntax
import FiletTestSupport
import Foundation
import Testing

/// Confirmations answered by the test, as an operator would with `--yes` or at the prompt.
struct Approver: ConfirmationProvider {
    var grants: Bool
    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer {
        grants ? .granted(by: "test", how: "approved by the test") : .refused(by: "test", how: "refused by the test")
    }
}

/// One folder per test process for the engine tests' runs, removed when the process exits.
private let engineScratchFolder: String = {
    let path = NSTemporaryDirectory() + "/filet-engine-\(getpid())"
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/filet-engine-\(getpid())") }
    return path
}()

/// A run of a runbook written in the test, with the real performer and a real journal on disk.
struct EngineRun {
    let directory: String
    let plan: Plan
    var configuration: RunConfiguration
    var grants = true

    init(_ runbook: String, environment: [String: String] = [:]) throws {
        directory = engineScratchFolder + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = runbook.replacing("$DIR", with: directory)
        plan = try RunbookLoader.load(SourceFile(path: "test.yaml", text: text))
        var environment = environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        configuration = RunConfiguration(
            runID: "test", operatorName: "test", host: "test", environment: environment,
            runbookSHA256: String(repeating: "0", count: 64))
    }

    func file(_ name: String) -> String { "\(directory)/\(name)" }

    /// Real delivery, with the outbox in the run's directory.
    func notifications(_ configuration: RunConfiguration) -> NotificationService {
        NotificationService(
            plan: plan, configuration: configuration, sender: ChannelSender(), outbox: Outbox(journalDirectory: directory),
            runbookPath: file("test.yaml"))
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
    }

    /// Runs to the end; `during` gets the interruption handle while the run goes on.
    func run(during: (@Sendable (Interruption) async -> Void)? = nil) async throws -> (RunOutcome, JournalContents) {
        let writer = try JournalWriter.create(directory: directory, runbookSHA256: configuration.runbookSHA256, key: nil)
        var configuration = configuration
        configuration.runID = writer.runID.description
        let performer = StandardPerformer(
            environment: configuration.environment, forwarding: plan.runbook.environmentNames,
            confirmations: Approver(grants: grants), notifications: notifications(configuration))
        let executor = Executor(plan: plan, configuration: configuration, performer: performer, recorder: writer)
        let interruption = Interruption()
        let helper = during.map { body in Task { await body(interruption) } }
        let outcome = await executor.run(interruption: interruption)
        helper?.cancel()
        try await writer.close()
        let verification = try JournalVerifier.verify(path: writer.path)
        #expect(verification.isIntact, "\(verification.verdict): \(verification.problems)")
        return (outcome, try JournalReader.read(path: writer.path))
    }
}

/// The one journal a test run wrote in its directory.
func journalPath(in directory: String) -> String {
    let name = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.first {
        $0.hasSuffix(".jsonl") && $0 != "notes.jsonl" && $0 != "papier.jsonl"
    }
    return "\(directory)/\(name ?? "missing.jsonl")"
}

extension RunOutcome {
    func step(_ id: String) -> StepResult? { (steps + finallySteps).first { $0.stepID == id } }
}

extension JournalContents {
    func records(_ type: String, step: String? = nil) -> [JournalRecord] {
        records.filter { $0.type == type && (step == nil || $0.field("step") == .string(step!)) }
    }
}

/// Polls until `condition` holds (at most 60 s: the machine is shared).
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<600 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return condition()
}

func processIsGone(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 { return true }
    let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return status.split(separator: " ").dropFirst(2).first == "Z"
}

private let engineHeader = "runbook: essai\ntitle: Essai\n"

@Suite struct ExecutorTests {
    @Test func independentStepsRunAtTheSameTime() async throws {
        // Each step waits until both have started: run one at a time, the first would give up after 30 s.
        let engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: one, needs: [], run: sh $DIR/barrier.sh b-1 }
                  - { id: two, needs: [], run: sh $DIR/barrier.sh b-2 }
                """)
        try """
        touch \(engine.directory)/$1
        i=0
        while [ $(ls \(engine.directory) | grep -c '^b-') -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
        ls \(engine.directory) | grep -c '^b-'
        """.write(toFile: engine.file("barrier.sh"), atomically: true, encoding: .utf8)
        let (outcome, _) = try await engine.run()
        #expect(outcome.status == .succeeded)
        #expect(outcome.step("one")?.output == "2")
        #expect(outcome.step("two")?.output == "2")
    }

    @Test func concurrencyOneRunsOneStepAtATime() async throws {
        let probe = "if [ -e $DIR/busy ]; then echo overlap; fi; touch $DIR/busy; sleep 0.3; rm $DIR/busy; echo alone"
        var engine = try EngineRun(engineHeader + "steps:\n" + (1...3).map { "  - { id: s\($0), needs: [], run: '\(probe)' }\n" }.joined())
        engine.configuration.concurrency = 1
        let (outcome, _) = try await engine.run()
        #expect(outcome.steps.map(\.output) == ["alone", "alone", "alone"])
    }

    @Test func retriesWithGrowingBackoffUntilSuccess() async throws {
        let engine = try EngineRun(
            engineHeader + """
                steps:
                  - id: flaky
                    run: 'n=$(cat $DIR/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > $DIR/count; [ $n -ge 3 ]'
                    retries: 4
                    backoff: 200ms
                """)
        let (outcome, journal) = try await engine.run()
        #expect(outcome.step("flaky")?.status == .succeeded)
        #expect(outcome.step("flaky")?.attempts == 3)
        let attempts = journal.records("step.attempt", step: "flaky")
        #expect(attempts.map { $0.field("outcome") } == [.string("failed"), .string("failed"), .string("succeeded")])
        // Attempt N waits backoff·2^(N-2) ± 20%: at least 160 ms, then 320 ms, between the attempts' records.
        let times = try attempts.map { record in try #require(ISO8601DateFormatter.withFractions.date(from: record.timestamp)) }
        #expect(times[1].timeIntervalSince(times[0]) >= 0.16)
        #expect(times[2].timeIntervalSince(times[1]) >= 0.32)
    }

    @Test func timeoutKillsTheWholeProcessTree() async throws {
        let engine = try EngineRun(
            engineHeader + """
                steps:
                  - id: stuck
                    run: 'sleep 300 & echo $! > $DIR/child; sh -c "echo \\$\\$ > $DIR/grandchild; exec sleep 300"'
                    timeout: 1s
                """)
        let (outcome, journal) = try await engine.run()
        let result = try #require(outcome.step("stuck"))
        #expect(result.status == .failed)
        #expect(result.reason == "timed out after 1s")
        #expect(journal.records("step.attempt", step: "stuck").first?.field("outcome") == .string("timed_out"))
        for name in ["child", "grandchild"] {
            let pid = try #require(Int32(engine.read(name).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually { processIsGone(pid) }, "\(name) \(pid) survived the timeout")
        }
    }

    @Test func abortSkipsWhatComesAfterAndContinueGoesOn() async throws {
        let abort = try EngineRun(
            engineHeader + """
                steps:
                  - { id: broken, run: 'exit 3' }
                  - { id: after, run: 'true' }
                finally:
                  - { id: report, run: 'echo ${run.status}' }
                """)
        let (aborted, journal) = try await abort.run()
        #expect(aborted.status == .failed)
        #expect(aborted.journalFailure == nil && aborted.signal == nil)
        #expect(aborted.step("broken")?.reason == "exit 3, expected 0")
        #expect(aborted.step("after")?.status == .skipped)
        #expect(aborted.step("after")?.reason == "step 'broken' failed and the run aborted")
        #expect(aborted.step("report")?.output == "failed")
        #expect(journal.records.last?.type == "run.finished")
        #expect(journal.records.last?.field("status") == .string("failed"))

        let goOn = try EngineRun(
            engineHeader + """
                steps:
                  - { id: broken, run: 'exit 3', on_failure: continue }
                  - { id: after, run: 'echo ran', when: "steps.broken.status == 'failed'" }
                  - { id: never, run: 'echo no', when: "steps.broken.status == 'succeeded'" }
                """)
        let (continued, _) = try await goOn.run()
        #expect(continued.status == .failed, "a failed step under continue still fails the run")
        #expect(continued.step("after")?.status == .succeeded)
        #expect(continued.step("after")?.output == "ran")
        #expect(continued.step("never")?.status == .skipped)
        #expect(continued.step("never")?.reason == "when is false: steps.broken.status == 'succeeded'")
    }

    @Test func aFailingFinallyStepFailsTheRun() async throws {
        let engine = try EngineRun(engineHeader + "steps:\n  - { id: ok, run: 'true' }\nfinally:\n  - { id: bad, run: 'exit 2' }\n")
        let (outcome, journal) = try await engine.run()
        #expect(outcome.step("ok")?.status == .succeeded)
        #expect(outcome.status == .failed)
        #expect(journal.records.last?.field("status") == .string("failed"))
    }

    @Test func aDrillSimulatesCommandsAndConfirmationsAndRunsChecks() async throws {
        var engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: simulated, run: 'touch $DIR/ran-simulated' }
                  - { id: real, run: 'touch $DIR/ran-real', drill: run }
                  - { id: skipped, run: 'touch $DIR/ran-skipped', drill: skip }
                  - { id: go, confirm: Basculer ? }
                  - { id: lookup, check: { dns: localhost } }
                  - { id: after, run: 'echo "${steps.simulated.status}"', drill: run }
                """)
        engine.configuration.mode = .drill
        let (outcome, journal) = try await engine.run()
        #expect(!FileManager.default.fileExists(atPath: engine.file("ran-simulated")), "a simulated command must not run")
        #expect(!FileManager.default.fileExists(atPath: engine.file("ran-skipped")), "a skipped command must not run")
        #expect(FileManager.default.fileExists(atPath: engine.file("ran-real")))
        #expect(outcome.step("simulated")?.status == .simulated)
        #expect(outcome.step("skipped")?.status == .skipped)
        #expect(outcome.step("go")?.status == .simulated)
        #expect(outcome.step("lookup")?.status == .succeeded)
        #expect(outcome.step("after")?.output == "simulated")
        #expect(
            journal.records("step.finished", step: "simulated").first?.field("would")
                == .string("run: touch \(engine.directory)/ran-simulated"))
        #expect(journal.records("run.started").first?.field("mode") == .string("drill"))
        let readiness = try #require(try RunTimeline(contents: journal, verification: JournalVerifier.verify(path: journal.path)).readiness)
        #expect(readiness.considered == 5, "the step skipped on purpose does not count")
        #expect(readiness.percentage == 100)
        #expect(readiness.checks.map(\.step) == ["lookup"])
    }

    @Test func aDrillPrefixesNotificationTexts() async throws {
        var engine = try EngineRun(
            engineHeader + """
                channels: { crise: { file: $DIR/notes.jsonl } }
                steps:
                  - { id: alerte, notify: { channel: crise, text: "Bascule ${runbook.id}", severity: critical }, drill: simulate }
                """)
        engine.configuration.mode = .drill
        engine.configuration.drillPrefix = "[EXERCISE]"
        let (_, journal) = try await engine.run()
        #expect(
            journal.records("step.finished", step: "alerte").first?.field("would")
                == .string("notify crise [critical]: [EXERCISE] Bascule essai"))
    }

    @Test func readinessCountsFailuresAgainstTheMinimum() async throws {
        var engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: ok, needs: [], check: { dns: localhost } }
                  - { id: down, needs: [], check: { tcp: '127.0.0.1:1' }, on_failure: continue }
                  - { id: off, needs: [], run: 'true', when: "mode == 'run'" }
                """)
        engine.configuration.mode = .drill
        let (_, journal) = try await engine.run()
        let readiness = try #require(try RunTimeline(contents: journal, verification: JournalVerifier.verify(path: journal.path)).readiness)
        #expect(readiness.considered == 2)
        #expect(readiness.wouldSucceed == 1)
        #expect(readiness.percentage == 50)
        #expect(readiness.meets(minimum: 50) && !readiness.meets(minimum: 51))
        #expect(readiness.checks.first { $0.step == "down" }?.status == "failed")
    }

    /// `defaults.retries` reaches neither a confirmation nor a wait: one attempt of one, in the journal too.
    @Test func confirmAndWaitAreNeverRetried() async throws {
        var engine = try EngineRun(
            engineHeader + """
                defaults: { retries: 2, backoff: 10ms }
                steps:
                  - { id: pause, wait: 0s }
                  - { id: go, confirm: Basculer ?, on_failure: continue }
                  - { id: flaky, run: 'exit 1', needs: [], on_failure: continue }
                """)
        engine.grants = false
        let (outcome, journal) = try await engine.run()
        #expect(outcome.step("go")?.status == .failed && outcome.step("go")?.attempts == 1)
        #expect(outcome.step("pause")?.attempts == 1)
        #expect(outcome.step("flaky")?.attempts == 3, "the other steps keep the default")
        for step in ["pause", "go"] {
            #expect(journal.records("step.started", step: step).first?.field("max_attempts") == .integer(1), "\(step)")
            #expect(journal.records("step.attempt", step: step).count == 1, "\(step)")
        }
        #expect(journal.records("step.started", step: "flaky").first?.field("max_attempts") == .integer(3))
    }

    @Test func rollbackUndoesCompletedStepsNewestFirst() async throws {
        var engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: a, run: 'true', undo: 'echo a >> $DIR/undone' }
                  - { id: b, run: 'true', undo: 'echo b >> $DIR/undone' }
                  - { id: c, run: 'true', undo: 'echo c >> $DIR/undone' }
                  - { id: d, run: 'exit 1', undo: 'echo d >> $DIR/undone' }
                """)
        engine.configuration.rollback = true
        let (outcome, journal) = try await engine.run()
        #expect(outcome.status == .failed)
        #expect(engine.read("undone") == "c\nb\na\n")
        #expect(journal.records("undo.finished").map { $0.field("step") } == [.string("c"), .string("b"), .string("a")])
    }

    @Test func stepOutputsFlowToLaterSteps() async throws {
        let engine = try EngineRun(
            engineHeader + """
                vars: { who: monde }
                steps:
                  - { id: first, run: 'printf "ligne 1\\nbonjour ${vars.who}\\n"' }
                  - { id: second, run: 'echo "${steps.first.output} / ${steps.first.status} / ${run.mode} / ${runbook.id}"' }
                """)
        let (outcome, _) = try await engine.run()
        #expect(outcome.step("second")?.output == "bonjour monde / succeeded / run / essai")
    }

    @Test func confirmationsAreRecordedWithWhoAndHow() async throws {
        var engine = try EngineRun(engineHeader + "steps:\n  - { id: go, confirm: Continuer ? }\n")
        let (granted, journal) = try await engine.run()
        #expect(granted.status == .succeeded)
        #expect(journal.records("confirm.granted").first?.field("by") == .string("test"))
        engine.grants = false
        let (refused, refusals) = try await engine.run()
        #expect(refused.step("go")?.status == .failed)
        #expect(refusals.records("confirm.refused").first?.field("how") == .string("refused by the test"))
    }

    @Test func notifyWritesToAFileChannelWithAStableID() async throws {
        let engine = try EngineRun(
            engineHeader + """
                channels: { journal: { file: $DIR/notes.jsonl } }
                steps:
                  - { id: alerte, notify: { channel: journal, text: "Cellule ouverte (${run.id})", severity: critical } }
                """)
        let (outcome, journal) = try await engine.run()
        #expect(outcome.status == .succeeded)
        let runID = try #require(journal.records.first?.run)
        let line = try #require(engine.read("notes.jsonl").split(separator: "\n").first)
        let payload = try JSONValue(parsing: String(line))
        guard case .object(let members) = payload else {
            Issue.record("not an object")
            return
        }
        let fields = Dictionary(members, uniquingKeysWith: { first, _ in first })
        #expect(fields["id"] == .string("msg_\(runID)_alerte"))
        #expect(fields["text"] == .string("Cellule ouverte (\(runID))"))
        #expect(fields["severity"] == .string("critical"))
        #expect(fields["drill"] == .bool(false))
        #expect(journal.records("step.attempt", step: "alerte").first?.field("observed").map { "\($0)" }?.contains("delivered") == true)
    }

    @Test func notifyFallsBackAndTheJournalShowsBoth() async throws {
        let server = try TestHTTPServer { _ in .respond(.status(500)) }
        defer { server.stop() }
        let engine = try EngineRun(
            engineHeader + """
                channels:
                  chat: { webhook: "\(server.url("/hooks/s3cret-path"))", format: mattermost, retries: 1, fallback: papier }
                  papier: { file: $DIR/papier.jsonl }
                steps:
                  - { id: alerte, notify: { channel: chat, text: Bascule } }
                """)
        let (outcome, journal) = try await engine.run()
        #expect(outcome.step("alerte")?.status == .succeeded)
        #expect(server.requests.count == 2, "one attempt and one retry on the webhook before the fallback")
        #expect(Set(server.requests.compactMap { $0.header("webhook-id") }).count == 1, "the same id on every attempt")
        #expect(engine.read("papier.jsonl").contains("\"text\":\"Bascule\""))
        let observed = try #require(journal.records("step.attempt", step: "alerte").first?.field("observed"))
        #expect("\(observed)".contains("\"chat\"") && "\(observed)".contains("\"papier\""))
        let bytes = try String(contentsOfFile: journalPath(in: engine.directory), encoding: .utf8)
        #expect(!bytes.contains("s3cret-path"), "a webhook URL is a secret: never in the journal")
    }

    @Test func goneDisablesTheChannelAndUndeliveredGoesToTheOutbox() async throws {
        let server = try TestHTTPServer { _ in .respond(.status(410)) }
        defer { server.stop() }
        let engine = try EngineRun(
            engineHeader + """
                channels: { chat: { webhook: "\(server.url("/hook"))", format: slack } }
                steps:
                  - { id: premier, notify: { channel: chat, text: Un }, on_failure: continue }
                  - { id: second, notify: { channel: chat, text: Deux }, on_failure: continue }
                """)
        let (outcome, _) = try await engine.run()
        #expect(outcome.step("premier")?.status == .failed)
        #expect(outcome.step("second")?.status == .failed)
        #expect(outcome.step("second")?.reason?.contains("disabled earlier in this run") == true)
        #expect(server.requests.count == 1, "a channel that answered 410 gets nothing more in this run")
        let waiting = try Outbox(journalDirectory: engine.directory).entries()
        #expect(waiting.map(\.message.stepID) == ["premier", "second"])
        #expect(waiting.allSatisfy { $0.channel == "chat" })
    }

    @Test func undeliveredLaterLetsTheStepSucceedWhileTheOutboxKeepsIt() async throws {
        let port = try Loopback.unusedPort(.ipv4)
        let engine = try EngineRun(
            engineHeader + """
                channels: { chat: { webhook: "http://127.0.0.1:\(port)/hook", retries: 0 } }
                steps:
                  - { id: alerte, notify: { channel: chat, text: Un, undelivered: later } }
                  - { id: ensuite, run: 'echo "${steps.alerte.output}"' }
                """)
        let (outcome, _) = try await engine.run()
        #expect(outcome.status == .succeeded)
        #expect(outcome.step("alerte")?.output == "delivered_later")
        #expect(outcome.step("ensuite")?.output == "delivered_later")
        #expect(try Outbox(journalDirectory: engine.directory).entries().map(\.message.stepID) == ["alerte"])
    }

    @Test func aDrillUsesTheDrillWebhookAndMarksTheMessage() async throws {
        let real = try TestHTTPServer()
        let exercise = try TestHTTPServer()
        defer {
            real.stop()
            exercise.stop()
        }
        var engine = try EngineRun(
            engineHeader + """
                channels: { chat: { webhook: "\(real.url())", drill_webhook: "\(exercise.url())", format: generic } }
                steps:
                  - { id: alerte, notify: { channel: chat, text: Bascule } }
                """)
        engine.configuration.mode = .drill
        let (outcome, _) = try await engine.run()
        #expect(outcome.step("alerte")?.status == .succeeded)
        #expect(real.requests.isEmpty, "a drill never reaches the real channel when it has a drill_webhook")
        let body = try #require(exercise.requests.first?.bodyText)
        #expect(body.contains("\"text\":\"[EXERCICE] Bascule\""))
        #expect(body.contains("\"drill\":true"))
    }

    @Test func interruptionCancelsStepsRunsFinallyAndClosesTheJournal() async throws {
        let engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: long, run: 'echo $$ > $DIR/pid; exec sleep 300' }
                  - { id: next, run: 'true' }
                finally:
                  - { id: report, run: 'echo ${run.status} > $DIR/finally' }
                """)
        let pidFile = engine.file("pid")
        let (outcome, journal) = try await engine.run { interruption in
            _ = await eventually { FileManager.default.fileExists(atPath: pidFile) }
            interruption.signal(SIGINT)
        }
        #expect(outcome.status == .interrupted)
        #expect(outcome.signal == SIGINT && outcome.journalFailure == nil)
        #expect(outcome.step("long")?.status == .cancelled)
        #expect(outcome.step("next")?.status == .skipped)
        #expect(engine.read("finally") == "interrupted\n")
        #expect(journal.records("run.interrupted").count == 1)
        #expect(journal.records.last?.type == "run.finished")
        let pid = try #require(Int32(engine.read("pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await eventually { processIsGone(pid) })
    }

    @Test func aSecondSignalStopsFinallyToo() async throws {
        let engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: long, run: 'touch $DIR/started; exec sleep 300' }
                finally:
                  - { id: slow, run: 'touch $DIR/finally; exec sleep 300' }
                """)
        let started = engine.file("started")
        let inFinally = engine.file("finally")
        let (outcome, journal) = try await engine.run { interruption in
            _ = await eventually { FileManager.default.fileExists(atPath: started) }
            interruption.signal(SIGTERM)
            _ = await eventually { FileManager.default.fileExists(atPath: inFinally) }
            interruption.signal(SIGINT)
        }
        #expect(outcome.signal == SIGTERM, "the first signal decides the exit code")
        #expect(outcome.step("slow")?.status == .cancelled)
        #expect(journal.records("run.interrupted").map { $0.field("stops") } == [.string("steps"), .string("finally")])
        #expect(journal.records.last?.type == "run.finished")
    }

    @Test func wholeRunTimeoutStopsTheRun() async throws {
        var engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: long, run: 'exec sleep 300', timeout: 10m }
                finally:
                  - { id: report, run: 'echo ${run.status}' }
                """)
        engine.configuration.timeout = .seconds(1)
        let (outcome, journal) = try await engine.run()
        #expect(outcome.status == .timedOut)
        #expect(outcome.journalFailure == nil && outcome.signal == nil)
        #expect(outcome.step("report")?.output == "timed_out")
        #expect(journal.records("run.timed_out").count == 1)
    }

    @Test func secretsAreMaskedInTheJournalAndOutputs() async throws {
        let secret = "S3ntinel-Zq8w/x+y="
        let engine = try EngineRun(
            engineHeader + """
                secrets: [TOKEN]
                steps:
                  - { id: leak, run: 'echo "token=$TOKEN"; printf %s "$TOKEN" | base64; echo "$TOKEN" >&2; exit 1', on_failure: continue }
                  - { id: echo, run: 'echo "${steps.leak.output} ${env.TOKEN}"' }
                """, environment: ["TOKEN": secret])
        let (outcome, _) = try await engine.run()
        let journalText = try String(
            contentsOfFile: try #require(
                FileManager.default.contentsOfDirectory(atPath: engine.directory)
                    .first { $0.hasSuffix(".jsonl") }.map { "\(engine.directory)/\($0)" }), encoding: .utf8)
        let base64 = Data(secret.utf8).base64EncodedString()
        #expect(journalText.contains("token=***"), "the command ran and its output was masked")
        for form in [secret, base64, String(base64.dropLast(4))] {
            #expect(!journalText.contains(form))
            #expect(!(outcome.steps.map { "\($0.output) \($0.reason ?? "")" }.joined()).contains(form))
        }
    }

    @Test func aJournalThatCannotBeWrittenStopsTheRun() async throws {
        /// A journal whose disk fills up after the first records.
        final class FailingRecorder: RunRecorder {
            let limit: Int
            let count = Counter()
            init(failingAfter limit: Int) { self.limit = limit }
            func record(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)], durable: Bool) async throws {
                if await count.next() > limit { throw POSIXError(.ENOSPC) }
            }
        }
        actor Counter {
            var value = 0
            func next() -> Int {
                value += 1
                return value
            }
        }
        let engine = try EngineRun(
            engineHeader + "steps:\n" + (1...5).map { "  - { id: s\($0), run: 'echo \($0) >> $DIR/ran' }\n" }.joined())
        let executor = Executor(
            plan: engine.plan, configuration: engine.configuration,
            performer: StandardPerformer(
                environment: [:], forwarding: [], confirmations: Approver(grants: true),
                notifications: engine.notifications(engine.configuration)),
            recorder: FailingRecorder(failingAfter: 3))
        let outcome = await executor.run()
        #expect(outcome.journalFailure != nil)
        #expect(!engine.read("ran").contains("3"), "no step starts once its record cannot be written")
    }

    /// The records of a signal or a timeout are as binding as any other: one that cannot be written ends the
    /// run as a journal failure, even when the journal takes the records after it.
    @Test(arguments: [JournalRecordKind.runInterrupted, .runTimedOut])
    func aStopRecordThatCannotBeWrittenIsAJournalFailure(kind: JournalRecordKind) async throws {
        final class RefusingRecorder: RunRecorder {
            let refused: JournalRecordKind
            init(refusing kind: JournalRecordKind) { refused = kind }
            func record(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)], durable: Bool) async throws {
                if kind == refused { throw POSIXError(.EIO) }
            }
        }
        var engine = try EngineRun(
            engineHeader + """
                steps:
                  - { id: long, run: 'echo $$ > $DIR/pid; exec sleep 300' }
                finally:
                  - { id: cleanup, run: 'touch $DIR/finally' }
                """)
        if kind == .runTimedOut { engine.configuration.timeout = .milliseconds(300) }
        let executor = Executor(
            plan: engine.plan, configuration: engine.configuration,
            performer: StandardPerformer(
                environment: [:], forwarding: [], confirmations: Approver(grants: true),
                notifications: engine.notifications(engine.configuration)),
            recorder: RefusingRecorder(refusing: kind))
        let interruption = Interruption()
        let pidFile = engine.file("pid")
        async let outcome = executor.run(interruption: interruption)
        if kind == .runInterrupted {
            _ = await eventually { FileManager.default.fileExists(atPath: pidFile) }
            interruption.signal(SIGINT)
        }
        let result = await outcome
        #expect(result.journalFailure != nil, "the \(kind) record was refused, so the run's outcome cannot be trusted")
        #expect(!FileManager.default.fileExists(atPath: engine.file("finally")), "no step starts once the journal failed")
    }
}

extension ISO8601DateFormatter {
    /// A parser for the journal's `ts` (RFC 3339 with milliseconds).
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
