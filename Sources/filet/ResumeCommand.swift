import ArgumentParser
import Foundation
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSupport
import FiletSyntax

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted or crashed run in its own journal.",
        discussion: """
            A torn last line (a crash during a write) is saved to JOURNAL.broken and cut off, and the journal says so \
            (journal.recovered); any other problem is refused: nothing is built on a journal that does not verify. \
            The runbook (the path recorded in run.started, or --runbook) must still have the recorded SHA-256, \
            unless --force. Steps that succeeded are not run again; failed, cancelled and skipped ones are; a step \
            that was running when the run stopped runs again if it is idempotent, else the operator decides: \
            --rerun ID or --mark-done ID (asked on a terminal). Finally steps run again.

            Exit codes: as filet run (0 succeeded, 1 failed, 3 journal, 124, 130, 143); 2 nothing was resumed \
            (the journal does not verify, the runbook changed, a decision is missing, the run already succeeded).
            """
    )

    @Argument(help: "The journal of the run to continue (.jsonl).")
    var journal: String

    @Option(help: "The runbook file, when it is not at the path recorded in the journal.")
    var runbook: String?

    @Flag(help: "Approve every confirmation in advance (recorded as pre-approved by flag).")
    var yes = false

    @Option(name: .customLong("rerun"), help: ArgumentHelp("Run this step again, whatever the journal says it did.", valueName: "ID"))
    var rerun: [String] = []

    @Option(name: .customLong("mark-done"), help: ArgumentHelp("Take this step as done: it does not run again.", valueName: "ID"))
    var markDone: [String] = []

    @Flag(help: "Resume even though the runbook file changed since the run started (recorded in the journal).")
    var force = false

    @Option(name: .customLong("operator"), help: "Who resumes it, recorded in the journal (default: the login name).")
    var operatorName: String?

    @Option(help: "Sign checkpoints of the resumed part with this Ed25519 key (default: the file named by FILET_SIGNING_KEY).")
    var signingKey: String?

    @Option(help: "How many steps may run at once (default: as the run started).")
    var concurrency: Int?

    @Option(help: "Output format: text, or json (one JSON event per line).")
    var format: OutputFormat = .text

    func validate() throws {
        if let concurrency, !(1...1024).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 1024") }
        if let both = rerun.first(where: markDone.contains) {
            throw ValidationError("step '\(both)' is given both --rerun and --mark-done: choose one")
        }
    }

    func run() async throws {
        throw ExitCode(try await execute())
    }

    /// Refuses (printing why, returning 2) or resumes (returning the run's exit code).
    private func execute() async throws -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        func refuse(_ message: String) -> Int32 {
            Terminal.error("filet: \(message)\nfilet: nothing resumed")
            return RunExitCode.usage
        }
        let checkpoints: CheckpointPolicy?
        do throws(CheckpointError) {
            let path = signingKey ?? environment[SigningKeyOption.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
            checkpoints = try path.map { path throws(CheckpointError) in CheckpointPolicy(signingKey: try SigningKey(path: path)) }
        } catch {
            return refuse("\(error)")
        }
        let key: [UInt8]?
        do throws(JournalError) {
            key = try JournalKey.fromEnvironment(environment)
        } catch {
            return refuse(error.message)
        }
        guard FileManager.default.fileExists(atPath: journal) else { return refuse("\(journal): no such file") }

        // 1. Trust: everything verifies but, at most, a torn last line and a missing run.finished.
        let verification: JournalVerification
        let contents: JournalContents
        do throws(JournalError) {
            verification = try JournalVerifier.verify(path: journal, key: key)
            contents = try JournalReader.read(path: journal)
        } catch {
            return refuse(error.message)
        }
        let blocking = verification.problems.filter { $0.kind != .tornTail && $0.kind != .notClosed }
        guard blocking.isEmpty else {
            let lines = blocking.map { "  \(journal):\($0.line): \($0.kind): \($0.message)" }.joined(separator: "\n")
            return refuse("\(journal) cannot be trusted, so it cannot be resumed: \(verification.verdict)\n\(lines)")
        }
        if verification.hasMACs && key == nil {
            return refuse("\(journal) carries MACs: set \(JournalKey.environmentVariable) to the key it was written with")
        }
        guard let progress = JournalProgress(records: contents.records) else {
            return refuse("\(journal) does not start with run.started: it is not the journal of a run")
        }
        if progress.finishedStatus == RunStatus.succeeded.rawValue {
            return refuse("\(journal): the run already succeeded (line \(progress.last.line)): there is nothing to resume")
        }

        // 2. The runbook, as it was.
        guard let runbookFile = runbook ?? progress.runbookPath else {
            return refuse("\(journal) does not record the runbook's path (written by an older filet): pass --runbook FILE")
        }
        let source = try SourceFile.read(path: runbookFile)
        let recordedSHA256 = progress.runbookSHA256 ?? ""
        let changed = source.sha256 != recordedSHA256.lowercased()
        if changed && !force {
            return refuse("""
                the runbook \(runbookFile) changed since the run started: its SHA-256 is \(source.sha256), \
                the journal recorded \(recordedSHA256); resuming would mix two versions of the runbook.
                  restore the file, or pass --force to resume with the file as it is now (recorded in the journal)
                """)
        }
        guard let plan = loadPlan(source) else { return refuse("\(runbookFile) is not valid") }
        let declared = Set(plan.runbook.vars.map(\.name))
        // The values the run started with, except masked ones (secrets), which are read again from the environment.
        let overrides = Dictionary(progress.variables.filter { declared.contains($0.0) && !$0.1.contains("***") }) { first, _ in first }
        let preflight = RunPreflight(plan: plan, overrides: overrides, environment: environment)
        if let problem = preflight.problem { return refuse(problem) }

        // 3. What runs again.
        let mainIDs = Set(plan.steps.map(\.step.id))
        if let unknown = (rerun + markDone).first(where: { !mainIDs.contains($0) }) {
            return refuse("'\(unknown)' is not a main step of \(runbookFile) (finally steps always run again)")
        }
        var rerunIDs = rerun, markDoneIDs = markDone, decidedAtTerminal: [String] = []
        var undecided: [String] = []
        var interrupted: [String] = []
        for planned in plan.steps where progress.steps[planned.step.id] == .interrupted {
            interrupted.append(planned.step.id)
            if !planned.step.idempotent && !rerunIDs.contains(planned.step.id) && !markDoneIDs.contains(planned.step.id) {
                undecided.append(planned.step.id)
            }
        }
        if !undecided.isEmpty {
            guard isatty(STDIN_FILENO) == 1 else {
                let names = undecided.map { "'\($0)'" }.joined(separator: ", ")
                return refuse("""
                    \(undecided.count == 1 ? "step \(names) was" : "steps \(names) were") running when the run stopped and \
                    \(undecided.count == 1 ? "is" : "are") not idempotent: whether \(undecided.count == 1 ? "it" : "they") took effect is unknown.
                      decide for each: --rerun ID (run it again) or --mark-done ID (it took effect: do not run it again)
                    """)
            }
            for id in undecided {
                Terminal.output("""
                    ? step '\(id)' was running when the run stopped and is not idempotent: it may or may not have taken effect.
                      y = run it again, d = mark it done, anything else = stop: 
                    """)
                switch await Terminal.readLine()?.trimmingCharacters(in: .whitespaces).lowercased() {
                case "y": rerunIDs.append(id)
                case "d": markDoneIDs.append(id)
                default: return refuse("stopped at the question about step '\(id)'")
                }
                decidedAtTerminal.append(id)
            }
        }
        var settled: [String: SettledStep] = [:]
        for planned in plan.steps {
            let id = planned.step.id
            if markDoneIDs.contains(id) {
                var output = ""
                if case .finished(_, let recorded)? = progress.steps[id] { output = recorded }
                settled[id] = SettledStep(status: .succeeded, output: output, reason: "marked done by the operator (--mark-done)")
            } else if !rerunIDs.contains(id), case .finished(let status, let output)? = progress.steps[id],
                      status == .succeeded || status == .simulated {
                settled[id] = SettledStep(status: status, output: output, reason: "done before the resume")
            }
        }

        // 4. Repair a torn tail, reopen the journal, and go on.
        let repair: JournalRepair?
        let writer: JournalWriter
        do throws(JournalError) {
            repair = try JournalRecovery.repairTornTail(path: journal)
            writer = try JournalWriter.reopen(path: journal, key: key, checkpoints: checkpoints)
            if let repair { try await writer.append("journal.recovered", repair.recordFields) }
        } catch {
            Terminal.error("filet: cannot continue the journal \(journal): \(error.message)")
            return RunExitCode.journalFailure
        }
        if let repair {
            Terminal.error("filet: the last line of \(journal) was torn (\(repair.droppedBytes) bytes): saved to \(repair.savedTo) and cut off")
        }

        let operatorName = self.operatorName ?? Operator.loginName(environment)
        var configuration = RunConfiguration(runID: writer.runID.description, operatorName: operatorName,
                                             host: ProcessInfo.processInfo.hostName, environment: environment, runbookSHA256: source.sha256)
        configuration.mode = progress.mode
        configuration.runbookPath = Operator.absolute(runbookFile)
        var recordedConcurrency: Int?
        if case .integer(let value)? = progress.runStarted.field("concurrency") { recordedConcurrency = Int(value) }
        configuration.concurrency = concurrency ?? recordedConcurrency ?? 8
        configuration.variables = overrides
        let ordered = plan.steps.map(\.step.id)
        func list(_ ids: some Collection<String>) -> JSONValue { .array(ordered.filter(ids.contains).map { .string($0) }) }
        let resumed = ResumeState(settled: settled, recordFields: [
            ("operator", .string(operatorName)), ("host", .string(configuration.host)), ("filet_version", .string(FiletVersion.current)),
            ("resume", .integer(progress.resumes + 1)), ("previous_status", .string(progress.finishedStatus ?? "crashed")),
            ("runbook_path", .string(configuration.runbookPath ?? runbookFile)), ("runbook_sha256", .string(source.sha256)),
            ("runbook_changed", .bool(changed)), ("forced", .bool(changed && force)),
            ("recorded_runbook_sha256", changed ? .string(recordedSHA256) : .null),
            ("settled", list(settled.keys)), ("interrupted", list(interrupted)),
            ("rerun", list(rerunIDs)), ("mark_done", list(markDoneIDs)), ("decided_at_terminal", list(decidedAtTerminal)),
            ("concurrency", .integer(configuration.concurrency)),
        ])

        let notifications = NotificationService(plan: plan, configuration: configuration, sender: ChannelSender(),
                                                outbox: Outbox(journalDirectory: URL(fileURLWithPath: journal).deletingLastPathComponent().path),
                                                runbookPath: Operator.absolute(runbookFile))
        let view = TerminalView(format: format)
        await view.begin(runID: writer.runID.description, journalPath: writer.path)
        let confirmations = TerminalConfirmation(preApproved: yes, operatorName: operatorName, view: view)
        let executor = Executor(plan: plan, configuration: configuration,
                                performer: StandardPerformer(environment: environment, forwarding: plan.runbook.environmentNames,
                                                             confirmations: confirmations, notifications: notifications),
                                recorder: writer, observer: view)
        let interruption = Interruption()
        let signals = SignalWatcher(interruption: interruption)
        let outcome = await executor.run(interruption: interruption, resuming: resumed)
        signals.stop()
        try? await writer.close()
        await view.end(outcome, journalPath: writer.path)
        return outcome.exitCode
    }
}
