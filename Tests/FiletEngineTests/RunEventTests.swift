import FiletActions
import FiletEngine
import FiletJournal
import FiletRunbook
import Foundation
import Synchronization
import Testing

/// What the live view learns from the engine besides steps starting and finishing: countdowns and output lines.
@Suite struct RunEventTests {
    final class Events: RunObserver {
        let events = Mutex<[RunEvent]>([])
        func handle(_ event: RunEvent) async { events.withLock { $0.append(event) } }
        var all: [RunEvent] { events.withLock { $0 } }
    }

    func run(_ engine: EngineRun, observer: Events) async throws -> RunOutcome {
        let writer = try JournalWriter.create(directory: engine.directory, runbookSHA256: engine.configuration.runbookSHA256, key: nil)
        var configuration = engine.configuration
        configuration.runID = writer.runID.description
        let performer = StandardPerformer(
            environment: configuration.environment, forwarding: engine.plan.runbook.environmentNames,
            confirmations: Approver(grants: true), notifications: engine.notifications(configuration))
        let outcome = await Executor(
            plan: engine.plan, configuration: configuration, performer: performer, recorder: writer, observer: observer
        )
        .run()
        try await writer.close()
        return outcome
    }

    @Test func waitsAndRetriesSayWhenTheyEnd() async throws {
        let engine = try EngineRun(
            """
            runbook: essai
            title: Essai
            steps:
              - { id: pause, wait: 300ms }
              - { id: flaky, run: 'test -e $DIR/second || { touch $DIR/second; exit 1; }', retries: 1, backoff: 200ms }
            """)
        let events = Events()
        let before = ContinuousClock.now
        let outcome = try await run(engine, observer: events)
        #expect(outcome.status == .succeeded)
        let waits = events.all.compactMap { event -> ContinuousClock.Instant? in
            if case .waiting("pause", let until) = event { until } else { nil }
        }
        #expect(waits.count == 1)
        if let until = waits.first { #expect(until - before >= .milliseconds(300)) }
        let retries = events.all.compactMap { event -> (Int, Int)? in
            if case .retryScheduled("flaky", let attempt, let of, _) = event { (attempt, of) } else { nil }
        }
        #expect(retries.count == 1)
        #expect(retries.first?.0 == 2 && retries.first?.1 == 2)
    }

    @Test func aCommandsOutputLinesArriveMaskedAndNotAfterItsStep() async throws {
        let engine = try EngineRun(
            """
            runbook: essai
            title: Essai
            secrets: [TOKEN]
            steps:
              - id: bavard
                run: 'for i in 1 2 3 4 5 6 7 8; do echo "ligne $i token=$TOKEN"; sleep 0.15; done; printf "pas fini"'
            """, environment: ["TOKEN": "s3cr3t-value-for-the-test"])
        let events = Events()
        let outcome = try await run(engine, observer: events)
        #expect(outcome.status == .succeeded, "\(outcome.step("bavard")?.reason ?? "")")
        var lines: [String] = []
        var afterFinish = false
        var finished = false
        for event in events.all {
            if case .outputLine("bavard", let line) = event {
                lines.append(line)
                if finished { afterFinish = true }
            }
            if case .stepFinished(let result, _) = event, result.stepID == "bavard" { finished = true }
        }
        #expect(!lines.isEmpty)
        // 1.2 s of output, a line at most every 250 ms.
        #expect(lines.count <= 7, "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("ligne ") && !$0.contains("s3cr3t") }, "\(lines)")
        #expect(!lines.contains("pas fini"), "a line not ended is not shown")
        #expect(!afterFinish)
    }
}
