public import FiletActions
public import FiletJournal
public import FiletRunbook
public import FiletSupport
import Foundation

/// Where the engine writes its records: the journal. A thrown error is fatal to the run.
public protocol RunRecorder: Sendable {
    /// Records one entry. With `durable`, returns only once it (and every entry before it) is
    /// durable: write-ahead records use it. Without, the entry is durable no later than the next
    /// durable one.
    func record(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)], durable: Bool) async throws
}

extension RunRecorder {
    func record(_ payload: some JournalPayload, durable: Bool) async throws {
        try await record(payload.kind, payload.fields, durable: durable)
    }
}

/// Something that follows a run as it happens: the terminal view.
public protocol RunObserver: Sendable {
    func handle(_ event: RunEvent) async

    /// Whether it wants ``RunEvent/outputLine(stepID:line:)``, a command's output as it comes (a little work
    /// per command, for nothing when no live view shows it). True by default.
    var followsOutput: Bool { get }
}

extension RunObserver {
    public var followsOutput: Bool { true }
}

/// What happens during a run, as the terminal view sees it.
public enum RunEvent: Sendable {
    case stepStarted(stepID: String, isFinally: Bool)
    case attemptStarted(stepID: String, attempt: Int, of: Int)
    case attemptFinished(stepID: String, attempt: Int, outcome: ActionResult.Outcome, reason: String?)
    case stepFinished(StepResult, isFinally: Bool)
    case undone(stepID: String, succeeded: Bool)
    case interrupted(signal: Int32, second: Bool)
    case timedOut
    /// A `wait` step's attempt started: it ends at `until`.
    case waiting(stepID: String, until: ContinuousClock.Instant)
    /// An attempt failed and attempt number `attempt` (of `of`) starts at `at`, after the backoff.
    case retryScheduled(stepID: String, attempt: Int, of: Int, at: ContinuousClock.Instant)
    /// The last line a running command wrote, masked; a few times a second at most (``CommandRunner/outputLineInterval``).
    case outputLine(stepID: String, line: String)
}

/// How one run is carried out.
public struct RunConfiguration: Sendable {
    public var runID: String
    public var mode: RunMode = .run
    /// In a drill, put before every notification's text so that nobody mistakes it for the real thing.
    public var drillPrefix = "[EXERCICE]"
    /// How many steps may run at once.
    public var concurrency: Int = 8
    /// The whole run's time limit.
    public var timeout: Duration?
    /// After SIGTERM, how long the run may take to stop (its steps, then `finally`) before what still runs is
    /// cancelled as by a second signal and the journal sealed: `--shutdown-grace`. nil: no bound.
    public var shutdownGrace: Duration? = .seconds(20)
    /// Run the `undo` of completed steps when the run aborts (else the runbook's `defaults.rollback`).
    public var rollback: Bool?
    public var operatorName: String
    public var host: String
    /// `--var NAME=VALUE` values.
    public var variables: [String: String] = [:]
    /// The environment `${env.NAME}` reads.
    public var environment: [String: String]
    /// SHA-256 (hex) of the runbook file's bytes.
    public var runbookSHA256: String
    /// The runbook file's absolute path, recorded in `run.started` so that `filet resume` finds it again.
    public var runbookPath: String?
    /// The operating-system account filet runs as, recorded beside `operatorName` (a label) in `run.started`,
    /// `run.resumed` and the confirmations the operator answered.
    public var systemUser: SystemUser?

    public init(runID: String, operatorName: String, host: String, environment: [String: String], runbookSHA256: String) {
        self.runID = runID
        self.operatorName = operatorName
        self.host = host
        self.environment = environment
        self.runbookSHA256 = runbookSHA256
    }

    /// What `${...}` reads before the run: the runbook's vars with this run's `--var` overrides, the environment.
    /// Steps, channels and the masker all resolve through it.
    public func values(for runbook: Runbook) -> RunValues {
        RunValues(runbook: runbook, overrides: variables, environment: environment)
    }
}

/// Signals that reach a running run (Ctrl-C, SIGTERM). The first stops the run and lets
/// `finally` run; the second also stops `finally`. The journal is closed either way.
public final class Interruption: Sendable {
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
    }

    public func signal(_ number: Int32) { continuation.yield(number) }

    var signals: AsyncStream<Int32> { stream }
}

/// Runs a plan: schedules ready steps in parallel up to the concurrency limit, applies
/// `when`, timeouts, retries with backoff, `on_failure`, rollback and `finally`, and records
/// every step in the journal before it starts (write-ahead) and after it ends.
public struct Executor: Sendable {
    public let plan: Plan
    public let configuration: RunConfiguration
    public let performer: any ActionPerformer
    public let recorder: any RunRecorder
    public let observer: (any RunObserver)?
    public let masker: Masker

    public init(
        plan: Plan, configuration: RunConfiguration, performer: any ActionPerformer, recorder: any RunRecorder,
        observer: (any RunObserver)? = nil
    ) {
        self.plan = plan
        self.configuration = configuration
        self.performer = performer
        self.recorder = recorder
        self.observer = observer
        masker = RunSecrets.masker(for: plan.runbook, configuration: configuration)
    }

    /// Runs the plan; with `resuming`, continues an interrupted run: `run.resumed` instead of `run.started`,
    /// and the settled steps are not run again (see ``ResumeState``).
    public func run(interruption: Interruption = Interruption(), resuming: ResumeState? = nil) async -> RunOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let control = RunControl()
        var context = RunContext(
            runbookID: plan.runbook.id, runID: configuration.runID, mode: configuration.mode,
            environment: configuration.environment,
            vars: configuration.values(for: plan.runbook).vars)
        do {
            if let resuming {
                try await recorder.record(resuming.record, durable: true)
                await endLeftovers(resuming.leftovers, control: control)
            } else {
                try await recorder.record(runStarted(context: context), durable: true)
            }
        } catch {
            return RunOutcome(
                runID: configuration.runID, status: .failed, steps: [], finallySteps: [], duration: clock.now - start,
                signal: nil, journalFailure: "\(error)")
        }

        let mainContext = context
        let settled = resuming?.settled ?? [:]
        let mainPhase = Task { await runPhase(plan.steps, context: mainContext, control: control, settled: settled) }
        control.setPhase(mainPhase, isFinally: false)
        let (terminations, terminated) = AsyncStream.makeStream(of: Void.self)
        let watcher = Task {
            for await number in interruption.signals {
                let second = control.interrupt(signal: number)
                await observer?.handle(.interrupted(signal: number, second: second))
                let name = number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : "signal \(number)"
                do {
                    try await recorder.record(RunInterrupted(signal: name, stops: second ? "finally" : "steps"), durable: true)
                } catch {
                    control.failJournal("\(error)")
                }
                if number == SIGTERM && !second { terminated.yield() }
            }
        }
        let shutdownTimer = configuration.shutdownGrace.map { grace in
            Task { await boundShutdown(after: terminations, grace: grace, control: control) }
        }
        let timer = configuration.timeout.map { limit in
            Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                if control.timeOut() {
                    await observer?.handle(.timedOut)
                    do {
                        try await recorder.record(RunTimedOut(limit: Self.text(limit)), durable: true)
                    } catch {
                        control.failJournal("\(error)")
                    }
                }
            }
        }
        let (mainResults, mainContextAfter) = await mainPhase.value
        context = mainContextAfter

        if control.journalFailure == nil, let aborting = control.abortedBy, configuration.rollback ?? plan.runbook.defaults.rollback {
            await rollBack(completed: control.completionOrder, context: context, after: aborting, control: control)
        }
        context.runStatus = Self.status(of: mainResults, control: control)
        var finallyResults: [StepResult] = []
        if control.journalFailure == nil && !plan.finallySteps.isEmpty && !control.stopsFinally {
            let finallyContext = context
            let finallyPhase = Task { await runPhase(plan.finallySteps, context: finallyContext, control: control) }
            control.setPhase(finallyPhase, isFinally: true)
            finallyResults = await finallyPhase.value.0
        }
        timer?.cancel()
        shutdownTimer?.cancel()
        terminated.finish()
        let duration = clock.now - start
        var outcome = RunOutcome(
            runID: configuration.runID, status: Self.status(of: mainResults + finallyResults, control: control),
            steps: mainResults, finallySteps: finallyResults,
            duration: duration, signal: control.signal, journalFailure: control.journalFailure)
        if outcome.journalFailure == nil {
            do {
                try await recorder.record(runFinished(outcome), durable: true)
            } catch {
                outcome.journalFailure = "\(error)"
            }
        }
        watcher.cancel()
        return outcome
    }

    private static func status(of results: [StepResult], control: RunControl) -> RunStatus {
        if control.timedOut { return .timedOut }
        if control.signal != nil { return .interrupted }
        if control.blocked != nil { return .failed }
        return results.contains { $0.status == .failed || $0.status == .cancelled } ? .failed : .succeeded
    }

    // MARK: Phases

    /// Runs one DAG (the main steps, or the finally steps) to the end.
    private func runPhase(
        _ steps: [PlannedStep], context initial: RunContext, control: RunControl,
        settled done: [String: SettledStep] = [:]
    ) async -> ([StepResult], RunContext) {
        var context = initial
        let index = Dictionary(steps.enumerated().map { ($1.step.id, $0) }, uniquingKeysWith: { first, _ in first })
        var waiting = steps.map(\.needs.count)
        var dependents = [[Int]](repeating: [], count: steps.count)
        for (position, planned) in steps.enumerated() {
            for need in planned.needs { dependents[index[need]!].append(position) }
        }
        var ready = waiting.indices.filter { waiting[$0] == 0 }
        var results = [StepResult?](repeating: nil, count: steps.count)
        var stopReason: String?

        func settle(_ position: Int, _ result: StepResult, context: inout RunContext, ready: inout [Int]) {
            results[position] = result
            context.statuses[result.stepID] = result.status
            context.outputs[result.stepID] = result.output
            for dependent in dependents[position] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.append(dependent) }
            }
        }

        await withTaskGroup(of: (Int, StepResult).self) { group in
            var running = 0
            while true {
                if stopReason == nil { stopReason = control.stopReason(inFinally: steps[0].step.isFinally) }
                while stopReason == nil, running < max(1, configuration.concurrency), !ready.isEmpty {
                    let position = ready.removeFirst()
                    let planned = steps[position]
                    if let settled = done[planned.step.id] {
                        // Done before the resume: not launched again, nothing recorded.
                        let result = settledResult(planned, settled)
                        if result.status == .succeeded, let undo = undoCommand(of: planned.step, context: context) {
                            control.completed(planned.step, undo: undo)
                        }
                        await observer?.handle(.stepFinished(result, isFinally: planned.step.isFinally))
                        settle(position, result, context: &context, ready: &ready)
                        continue
                    }
                    if let condition = planned.step.when, !context.holds(condition) {
                        let result = StepResult(
                            stepID: planned.step.id, status: .skipped, reason: StepResult.whenFalseReason(condition),
                            attempts: 0, output: "", duration: .zero, action: planned.step.action.keyword,
                            isDeliberateSkip: true)
                        await finishSkipped(result, isFinally: planned.step.isFinally, control: control)
                        settle(position, result, context: &context, ready: &ready)
                        continue
                    }
                    let prepared = prepare(planned.step.action, context: context, timeout: planned.step.timeout?.duration)
                    if configuration.mode == .drill && planned.step.drill != .run {
                        let result = await notDoneInDrill(planned, prepared, control: control)
                        settle(position, result, context: &context, ready: &ready)
                        continue
                    }
                    let undo = undoCommand(of: planned.step, context: context)
                    group.addTask {
                        let result = await execute(planned, prepared, control: control)
                        if result.status == .succeeded, let undo { control.completed(planned.step, undo: undo) }
                        return (position, result)
                    }
                    running += 1
                }
                guard running > 0, let (position, result) = await group.next() else { break }
                running -= 1
                settle(position, result, context: &context, ready: &ready)
                if result.status == .failed && steps[position].step.onFailure == .abort && !steps[position].step.isFinally {
                    control.abort(by: result.stepID)
                }
            }
        }
        // Whatever never started is recorded as skipped, with the reason the run stopped.
        for (position, planned) in steps.enumerated() where results[position] == nil {
            let reason = stopReason ?? "a step it needs did not run"
            let result = StepResult(stepID: planned.step.id, status: .skipped, reason: reason, attempts: 0, output: "", duration: .zero)
            await finishSkipped(result, isFinally: planned.step.isFinally, control: control)
            results[position] = result
            context.statuses[planned.step.id] = .skipped
        }
        return (results.map { $0! }, context)
    }

    /// A drill's `skip` or `simulate` step: nothing is done; a simulated step records what it would have done.
    private func notDoneInDrill(_ planned: PlannedStep, _ action: PreparedAction, control: RunControl) async -> StepResult {
        let simulated = planned.step.drill == .simulate
        let would = masker(action.summary)
        let result = StepResult(
            stepID: planned.step.id, status: simulated ? .simulated : .skipped,
            reason: simulated ? "drill: simulated, not done" : StepResult.drillSkipReason, attempts: 0, output: "",
            duration: .zero, action: action.kind.rawValue, isDeliberateSkip: !simulated)
        await journal(
            StepFinished(
                step: result.stepID, status: result.status, reason: result.reason, attempts: 0, durationMilliseconds: 0,
                would: would), control: control)
        await observer?.handle(.stepFinished(result, isFinally: planned.step.isFinally))
        return result
    }

    private func finishSkipped(_ result: StepResult, isFinally: Bool, control: RunControl) async {
        await journal(
            StepFinished(
                step: result.stepID, status: result.status, reason: result.reason.map(masker.callAsFunction), attempts: 0,
                durationMilliseconds: 0), control: control)
        await observer?.handle(.stepFinished(result, isFinally: isFinally))
    }

    // MARK: One step

    private func execute(_ planned: PlannedStep, _ action: PreparedAction, control: RunControl) async -> StepResult {
        let step = planned.step
        let clock = ContinuousClock()
        let start = clock.now
        let policy = step.retryPolicy
        guard
            await journal(
                StepStarted(
                    step: step.id, title: step.title, action: action.kind, needs: planned.needs,
                    phase: step.isFinally ? .finally : .main, timeout: step.timeout.map(\.description),
                    maxAttempts: policy.maximumAttempts), durable: true, control: control)
        else {
            return StepResult(
                stepID: step.id, status: .cancelled, reason: "the journal could not be written", attempts: 0, output: "",
                duration: clock.now - start)
        }
        await observer?.handle(.stepStarted(stepID: step.id, isFinally: step.isFinally))
        var attempt = 0
        var last = ActionResult(.failed, reason: "not attempted")
        var lastStarted = false
        while attempt < policy.maximumAttempts {
            attempt += 1
            if attempt > 1 {
                let pause = policy.delay(beforeAttempt: attempt, random: Double.random(in: 0..<1))
                await observer?.handle(
                    .retryScheduled(stepID: step.id, attempt: attempt, of: policy.maximumAttempts, at: clock.now + pause))
                if (try? await Task.sleep(for: pause)) == nil {
                    last = ActionResult(.cancelled, reason: "cancelled while waiting to retry")
                    lastStarted = false
                    break
                }
            }
            await observer?.handle(.attemptStarted(stepID: step.id, attempt: attempt, of: policy.maximumAttempts))
            if case .wait(let duration) = action, duration > .zero {
                await observer?.handle(.waiting(stepID: step.id, until: clock.now + duration))
            }
            let attemptStart = clock.now
            let performed = await performRecordingProcesses(action, step: step, attempt: attempt, control: control)
            last = masked(performed.result)
            lastStarted = performed.started
            await journal(
                StepAttempt(
                    step: step.id, attempt: attempt, outcome: last.outcome.rawValue, reason: last.reason,
                    durationMilliseconds: Int((clock.now - attemptStart).milliseconds), observed: last.observations),
                control: control)
            if case .confirm = action { await recordConfirmation(step.id, last, control: control) }
            await observer?.handle(.attemptFinished(stepID: step.id, attempt: attempt, outcome: last.outcome, reason: last.reason))
            if last.outcome == .succeeded || last.outcome == .cancelled || control.journalFailure != nil { break }
            if case .confirm = action { break }
        }
        let status: StepStatus =
            switch last.outcome {
            case .succeeded: .succeeded
            case .failed, .timedOut: .failed
            case .cancelled: .cancelled
            }
        let result = StepResult(
            stepID: step.id, status: status, reason: last.reason, attempts: attempt, output: last.output,
            duration: clock.now - start, observed: last.observations, action: action.kind.rawValue)
        await journal(
            StepFinished(
                step: step.id, status: status, reason: last.reason, attempts: attempt,
                durationMilliseconds: Int(result.duration.milliseconds), output: last.output,
                interrupted: Self.stoppedMidway(action, last.outcome, started: lastStarted)), control: control)
        await observer?.handle(.stepFinished(result, isFinally: step.isFinally))
        return result
    }

    private func recordConfirmation(_ stepID: String, _ result: ActionResult, control: RunControl) async {
        func observed(_ name: String) -> String? {
            if case .string(let text)? = result.observations.first(where: { $0.0 == name })?.1 { text } else { nil }
        }
        await journal(
            ConfirmationDecision(
                granted: result.outcome == .succeeded, step: stepID, by: observed("by"), how: observed("how"),
                reason: result.reason, systemUser: observed("by") == nil ? nil : configuration.systemUser), control: control)
    }

    /// One attempt, cut short by the step's timeout (the action is cancelled and, for a command, its process tree
    /// killed); `processStarted` is told the process group of each command it starts.
    func perform(
        _ action: PreparedAction, stepID: String, timeout: Duration?,
        processStarted: (@Sendable (ProcessGroupIdentity) -> Void)? = nil
    ) async -> ActionResult {
        var progress = ActionProgress(processStarted: processStarted)
        guard let observer, observer.followsOutput, case .command = action else {
            return await perform(action, stepID: stepID, timeout: timeout, progress: progress)
        }
        // A command's output lines go to the observer in order, the newest only when it lags, and none after the attempt.
        let (lines, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let forwarding = Task {
            for await line in lines { await observer.handle(.outputLine(stepID: stepID, line: line)) }
        }
        let masker = self.masker
        progress.outputLine = { sink.yield(masker($0)) }
        let result = await perform(action, stepID: stepID, timeout: timeout, progress: progress)
        sink.finish()
        await forwarding.value
        return result
    }

    private func perform(_ action: PreparedAction, stepID: String, timeout: Duration?, progress: ActionProgress) async -> ActionResult {
        guard let timeout else { return await performer.perform(action, stepID: stepID, progress: progress) }
        let performer = self.performer
        let raced = await TimeLimit.race(within: timeout) { await performer.perform(action, stepID: stepID, progress: progress) }
        guard raced.winner == .deadline else { return raced.value }
        var timedOut = raced.value
        timedOut.outcome = .timedOut
        timedOut.reason = "timed out after \(Self.text(timeout))"
        return timedOut
    }

    private func masked(_ result: ActionResult) -> ActionResult {
        var result = result
        result.reason = result.reason.map(masker.callAsFunction)
        result.output = masker(result.output)
        result.observations = result.observations.map { ($0.0, masker.mask($0.1)) }
        return result
    }

    // MARK: Rollback

    /// A step's `undo` with what the run knows as the step starts (nil when it has none).
    private func undoCommand(of step: Step, context: RunContext) -> PreparedCommand? {
        step.undo.map { context.command($0, shell: step.commandShell) }
    }

    private func rollBack(
        completed: [(step: Step, undo: PreparedCommand)], context: RunContext, after failed: String, control: RunControl
    ) async {
        for (step, command) in completed.reversed() {
            guard control.signal == nil, control.journalFailure == nil else { return }
            let started = UndoStarted(
                step: step.id, command: masker(command.shown), because: "step '\(failed)' failed", script: masker(command.script),
                values: command.values.map { ($0.binding.variable, masker($0.value)) })
            guard await journal(started, durable: true, control: control) else { return }
            let result = masked(await perform(.command(command), stepID: step.id, timeout: step.timeout?.duration))
            await journal(
                UndoFinished(step: step.id, outcome: result.outcome.rawValue, reason: result.reason, observed: result.observations),
                control: control)
            await observer?.handle(.undone(stepID: step.id, succeeded: result.outcome == .succeeded))
        }
    }

    // MARK: Journal

    /// Records one journal entry; a failure is fatal: it stops the run.
    @discardableResult
    func journal(_ payload: some JournalPayload, durable: Bool = false, control: RunControl) async -> Bool {
        guard control.journalFailure == nil else { return false }
        do {
            try await recorder.record(payload, durable: durable)
            return true
        } catch {
            control.failJournal("\(error)")
            return false
        }
    }

    private func runStarted(context: RunContext) -> RunStarted {
        let runbook = plan.runbook
        func planStep(_ planned: PlannedStep) -> RunStarted.PlanStep {
            RunStarted.PlanStep(
                id: planned.step.id, level: planned.level + 1, action: planned.step.action.keyword, needs: planned.needs,
                when: planned.step.when?.description)
        }
        return RunStarted(
            runbook: runbook.id, title: runbook.title, version: runbook.version, runbookSHA256: configuration.runbookSHA256,
            runbookPath: configuration.runbookPath, mode: configuration.mode, operatorName: configuration.operatorName,
            host: configuration.host,
            filetVersion: FiletVersion.current, vars: runbook.vars.map { ($0.name, masker(context.vars[$0.name] ?? "")) },
            concurrency: configuration.concurrency, plan: plan.steps.map(planStep), finallyPlan: plan.finallySteps.map(planStep),
            overriddenVars: runbook.vars.map(\.name).filter { configuration.variables[$0] != nil }, systemUser: configuration.systemUser)
    }

    private func runFinished(_ outcome: RunOutcome) -> RunFinished {
        let all = outcome.steps + outcome.finallySteps
        return RunFinished(
            status: outcome.status, counts: StepStatus.allCases.map { status in (status.rawValue, all.count { $0.status == status }) },
            durationMilliseconds: Int(outcome.duration.milliseconds))
    }

    static func text(_ duration: Duration) -> String {
        RunbookDuration(milliseconds: duration.milliseconds).description
    }
}

extension Step {
    var commandShell: String {
        if case .run(let command) = action { return command.shell }
        return "/bin/sh"
    }
}

extension JournalWriter: RunRecorder {
    public func record(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)], durable: Bool) async throws {
        if durable {
            try await append(kind, fields)
        } else {
            try appendWithoutWaiting(kind, fields)
        }
    }
}
