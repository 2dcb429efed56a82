import FiletActions
import FiletJournal
import FiletRunbook
import FiletSupport
import Foundation

/// What `filet resume` asks for, once its flags are read.
public struct ResumeRequest: Sendable {
    /// The journal of the run to continue.
    public var journalPath: String
    /// The runbook file, when it is not at the path recorded in the journal.
    public var runbookFile: String?
    /// Steps to run again, whatever the journal says they did.
    public var rerun: [String]
    /// Steps to take as done.
    public var markDone: [String]
    /// Resume even though the runbook changed (recorded in the journal).
    public var force: Bool
    /// End the process groups that the stopped run left running (SIGTERM, then SIGKILL; recorded), instead of
    /// refusing to resume while they run.
    public var killLeftover: Bool
    /// As ``RunRequest/shutdownGrace``.
    public var shutdownGrace: Duration?
    public var operatorName: String
    /// nil: as the run started.
    public var concurrency: Int?
    public var environment: [String: String]
    public var signing: SigningRequest?
    /// `--yes`: every confirmation approved in advance.
    public var preApproved: Bool
    /// Whether a confirmation can be asked (stdin is a terminal); see ``RunRequest/canAsk``.
    public var canAsk: Bool
    /// `--var NAME=VALUE`: the values the run was given with `--var` that its journal masked (secrets) must be
    /// given again; the others are the run's, recorded in `run.started`.
    public var variables: [String: String]

    public init(
        journalPath: String, runbookFile: String? = nil, rerun: [String] = [], markDone: [String] = [], force: Bool = false,
        killLeftover: Bool = false, shutdownGrace: Duration? = .seconds(20), operatorName: String, concurrency: Int? = nil,
        environment: [String: String], signing: SigningRequest? = nil, preApproved: Bool = false, canAsk: Bool = true,
        variables: [String: String] = [:]
    ) {
        self.journalPath = journalPath
        self.runbookFile = runbookFile
        self.rerun = rerun
        self.markDone = markDone
        self.force = force
        self.killLeftover = killLeftover
        self.shutdownGrace = shutdownGrace
        self.operatorName = operatorName
        self.concurrency = concurrency
        self.environment = environment
        self.signing = signing
        self.preApproved = preApproved
        self.canAsk = canAsk
        self.variables = variables
    }
}

/// What the operator decides for a step that was running when the run stopped and is not idempotent.
public enum InterruptedStepDecision: Sendable {
    /// Run it again.
    case rerun
    /// It took effect: do not run it again.
    case markDone
}

/// Asks the operator about a step that may or may not have taken effect; nil stops the resume.
public protocol InterruptedStepDecider: Sendable {
    func decide(stepID: String) async -> InterruptedStepDecision?
}

extension RunSession {
    /// Checks that an interrupted, failed or crashed run can be continued in its own journal, decides what
    /// runs again, repairs a torn last line and reopens the journal. Without a `decider` (no terminal), a
    /// missing decision refuses the resume.
    ///
    /// The rules: no other process writes the journal (its lock is taken first, before anything is read, and held
    /// until the resumed run closes the journal; one whose holder is gone is taken over, and `run.resumed` says so);
    /// everything verifies but, at most, a torn last line and a missing `run.finished`; the
    /// runbook still has the recorded SHA-256 unless `force`; the run's `--var` values hold, and those the journal
    /// masked are given again; no process group of a step stopped mid-way still runs
    /// (unless `killLeftover`: then they are ended first); succeeded (or simulated) steps are settled; a step
    /// stopped mid-way (running at a crash, or `interrupted: true`) runs again if it is idempotent, else it needs a
    /// decision. A refusal leaves the journal and its lock file as they were.
    public static func prepareResume(_ request: ResumeRequest, decider: (any InterruptedStepDecider)?) async throws(SessionRefusal)
        -> PreparedRun
    {
        let journal = request.journalPath
        guard FileManager.default.fileExists(atPath: journal) else { throw .refused(.resumeNoJournal(journal)) }
        let lock: JournalLock
        do throws(JournalError) { lock = try JournalLock.acquire(journal: journal) } catch {
            throw error.kind == .locked
                ? .refused(.verbatim(error.message)) : .journal("cannot continue the journal \(journal): \(error.message)")
        }
        do throws(SessionRefusal) {
            return try await prepareResume(request, decider: decider, lock: lock)
        } catch {
            lock.releaseUnwritten()
            throw error
        }
    }

    /// ``prepareResume(_:decider:)`` once the journal's lock is held: on success the writer holds it.
    private static func prepareResume(
        _ request: ResumeRequest, decider: (any InterruptedStepDecider)?, lock: JournalLock
    ) async throws(SessionRefusal) -> PreparedRun {
        let environment = request.environment
        let journal = request.journalPath
        let checkpoints = try request.signing?.policy()
        let key = try journalKey(environment)

        // 1. Trust.
        let verification: JournalVerification
        let contents: JournalContents
        do throws(JournalError) {
            verification = try JournalVerifier.verify(path: journal, key: key)
            contents = try JournalReader.read(path: journal)
        } catch {
            throw .refused(.verbatim(error.message))
        }
        let blocking = verification.problems.filter { $0.kind != .tornTail && $0.kind != .notClosed }
        guard blocking.isEmpty else {
            let lines = blocking.map { "  \(journal):\($0.line): \($0.kind): \($0.message)" }.joined(separator: "\n")
            throw .refused(.resumeUntrusted(journal, verdict: verification.verdict, lines: lines))
        }
        if verification.hasMACs && key == nil {
            throw .refused(.resumeNeedsKey(journal))
        }
        let progress: JournalProgress
        do throws(JournalRecordError) { progress = try JournalProgress(records: contents.records) } catch {
            throw .refused(.verbatim("\(journal): \(error)"))
        }
        if progress.finishedStatus == RunStatus.succeeded.rawValue {
            throw .refused(.resumeAlreadySucceeded(journal, line: progress.last.line))
        }

        // 2. The runbook, as it was.
        guard let runbookFile = request.runbookFile ?? progress.runbookPath else {
            throw .refused(.resumeNoRunbookPath(journal))
        }
        let source = try read(runbookFile)
        let recordedSHA256 = progress.runbookSHA256
        let changed = source.sha256 != recordedSHA256.lowercased()
        if changed && !request.force {
            throw .refused(.resumeRunbookChanged(runbookFile, now: source.sha256, recorded: recordedSHA256))
        }
        let plan = try load(source, file: runbookFile)
        // The values the run started with (its --var overrides included); masked ones (secrets) are read again from the
        // environment, or must be given again with --var when the run had them from --var.
        let recorded = RecordedVariables(progress.runStarted, declaredIn: plan.runbook, given: request.variables)
        let overrides = recorded.overrides

        // 3. What runs again.
        // Nothing runs again while a step of the stopped run still runs, unless the operator has it ended.
        let leftovers = progress.leftoverGroups(order: plan.steps.map(\.step.id) + plan.finallySteps.map(\.step.id))
        if !leftovers.isEmpty && !request.killLeftover { throw .refused(stillRunning(leftovers)) }
        // The preflight, for the steps that will run. Before a question at the terminal, it runs once with the steps
        // asked about taken as done: what it finds then holds whatever the answers, and is said before asking.
        func preflight(_ decisions: ResumeDecisions) throws(SessionRefusal) -> RunPreflight {
            let settled = settledSteps(plan: plan, progress: progress, decisions: decisions)
            let preflight = RunPreflight(
                plan: plan, mode: progress.mode, overrides: overrides, environment: environment, operatorName: request.operatorName,
                answering: RunPreflight.Answering(preApproved: request.preApproved, canAsk: request.canAsk), journalDirectory: nil,
                settled: Set(settled.keys))
            var problems = preflight.problems
            if !recorded.missing.isEmpty { problems.append(.varNotKept(recorded.missing, command: "filet resume \(journal)")) }
            if !recorded.changed.isEmpty { problems.append(.varChanged(recorded.changed)) }
            if !problems.isEmpty { throw .preflight(problems) }
            return preflight
        }
        var decisions = try await decide(
            request, plan: plan, progress: progress, runbookFile: runbookFile, decider: decider,
            beforeAsking: { (undecided: [String], flagged: ResumeDecisions) throws(SessionRefusal) in
                var answered = flagged
                answered.markDone += undecided
                _ = try preflight(answered)
            })
        let preflight = try preflight(decisions)
        let settled = settledSteps(plan: plan, progress: progress, decisions: decisions)

        // 4. Repair a torn tail, reopen the journal, and go on.
        let repair: JournalRepair?
        let writer: JournalWriter
        do throws(JournalError) {
            repair = try JournalRecovery.repairTornTail(path: journal)
            writer = try JournalWriter.reopen(path: journal, key: key, checkpoints: checkpoints, lock: lock)
            if let repair { try await writer.append(.journalRecovered, repair.recordFields) }
        } catch {
            throw .journal("cannot continue the journal \(journal): \(error.message)")
        }
        var warnings = shortSecretWarnings(preflight)
        if let holder = lock.takenOver {
            warnings.append(
                Message(
                    en:
                        "the journal's lock was left by a filet that is gone (\(holder)): taken over, as run.resumed records (lock_taken_over)",
                    fr:
                        "le verrou du journal a été laissé par un filet disparu (\(holder))\u{A0}: repris, comme run.resumed le consigne (lock_taken_over)"
                ))
        }
        if !recorded.maskedOfUnknownOrigin.isEmpty {
            let list = recorded.maskedOfUnknownOrigin.map { "${vars.\($0)}" }.joined(separator: ", ")
            warnings.append(
                Message(
                    en: "\(journal) masks \(list) and, written by an older filet, does not say whether the run had \(list) from --var: the "
                        + "runbook's value is used; if the run was given --var, give it again: filet resume \(journal) --var NAME=VALUE",
                    fr:
                        "\(journal) masque \(list) et, écrit par un filet plus ancien, ne dit pas si l’exécution l’avait reçu de --var\u{A0}: "
                        + "la valeur du runbook est utilisée\u{A0}; si l’exécution avait reçu --var, redonnez-le\u{A0}: filet resume \(journal) --var NOM=VALEUR"
                ))
        }
        for leftover in leftovers {
            warnings.append(
                Message(
                    en: "ending process group \(leftover.group.pgid) of step '\(leftover.stepID)', left running by the run that stopped "
                        + "(--kill-leftover): SIGTERM, then SIGKILL after 5s",
                    fr:
                        "arrêt du groupe de processus \(leftover.group.pgid) de l’étape « \(leftover.stepID) », laissé par l’exécution arrêtée "
                        + "(--kill-leftover)\u{A0}: SIGTERM, puis SIGKILL après 5 s"))
        }
        if let repair {
            warnings.append(
                Message(
                    en: "the last line of \(journal) was torn (\(repair.droppedBytes) bytes): saved to \(repair.savedTo) and cut off",
                    fr:
                        "la dernière ligne de \(journal) était déchirée (\(repair.droppedBytes) octets)\u{A0}: gardée dans \(repair.savedTo) et retirée"
                ))
        }

        var configuration = RunConfiguration(
            runID: writer.runID.description, operatorName: request.operatorName,
            host: ProcessInfo.processInfo.hostName, environment: environment, runbookSHA256: source.sha256)
        configuration.mode = progress.mode
        configuration.runbookPath = absolute(runbookFile)
        configuration.concurrency = request.concurrency ?? progress.runStarted.concurrency
        configuration.variables = overrides
        configuration.systemUser = SystemUser.current()
        configuration.shutdownGrace = request.shutdownGrace
        decisions.settled = Array(settled.keys)
        decisions.killLeftover = leftovers.map { RunResumed.LeftoverGroup(step: $0.stepID, pgid: Int($0.group.pgid)) }
        decisions.resuppliedVars = recorded.resupplied
        decisions.lockTakenOver = lock.takenOver
        let resuming = ResumeState(
            settled: settled,
            record: decisions.record(
                plan: plan, progress: progress, configuration: configuration, changed: changed, forced: changed && request.force,
                recordedSHA256: recordedSHA256),
            leftovers: leftovers)
        return prepared(
            plan: plan, configuration: configuration, writer: writer,
            outboxDirectory: URL(fileURLWithPath: journal).deletingLastPathComponent().path, warnings: warnings,
            resuming: resuming)
    }

    /// The operator's decisions: the flags, then the decider for each interrupted non-idempotent step left.
    /// `beforeAsking` is called once, with the steps about to be asked about, before the first question.
    private static func decide(
        _ request: ResumeRequest, plan: Plan, progress: JournalProgress, runbookFile: String,
        decider: (any InterruptedStepDecider)?,
        beforeAsking: (_ undecided: [String], _ flagged: ResumeDecisions) throws(SessionRefusal) -> Void
    ) async throws(SessionRefusal) -> ResumeDecisions {
        let mainIDs = Set(plan.steps.map(\.step.id))
        if let unknown = (request.rerun + request.markDone).first(where: { !mainIDs.contains($0) }) {
            throw .refused(.resumeUnknownStep(unknown, runbookFile))
        }
        var decisions = ResumeDecisions(rerun: request.rerun, markDone: request.markDone)
        var undecided: [String] = []
        for planned in plan.steps {
            guard case .interrupted? = progress.steps[planned.step.id] else { continue }
            let id = planned.step.id
            decisions.interrupted.append(id)
            if !planned.step.idempotent && !decisions.rerun.contains(id) && !decisions.markDone.contains(id) { undecided.append(id) }
        }
        guard !undecided.isEmpty else { return decisions }
        guard let decider else {
            throw .refused(.resumeUndecided(undecided))
        }
        try beforeAsking(undecided, decisions)
        for id in undecided {
            switch await decider.decide(stepID: id) {
            case .rerun: decisions.rerun.append(id)
            case .markDone: decisions.markDone.append(id)
            case nil: throw .refused(.resumeStoppedAtQuestion(id))
            }
            decisions.decidedAtTerminal.append(id)
        }
        return decisions
    }

    /// Why a resume waits for process groups the stopped run left running.
    private static func stillRunning(_ leftovers: [LeftoverGroup]) -> Message {
        let lines = leftovers.map { leftover in
            let members = leftover.members.prefix(3).map { "\($0.pid) \($0.commandLine)" }.joined(separator: "; ")
            let more = leftover.members.count > 3 ? "; …" : ""
            return (step: leftover.stepID, pgid: leftover.group.pgid, members: members + more)
        }
        let one = leftovers.count == 1
        let en = lines.map { "  step '\($0.step)': process group \($0.pgid) still runs (\($0.members))" }.joined(separator: "\n")
        let fr = lines.map { "  étape « \($0.step) » : le groupe de processus \($0.pgid) tourne encore (\($0.members))" }
            .joined(separator: "\n")
        return Message(
            en: """
                \(one ? "a step" : "steps") of the run that stopped \(one ? "is" : "are") still running: running \
                \(one ? "it" : "them") again now would run \(one ? "it" : "them") twice at once.
                \(en)
                  wait until \(one ? "it ends" : "they end"), or pass --kill-leftover to end \(one ? "it" : "them") \
                (SIGTERM, then SIGKILL after 5s; recorded in the journal)
                """,
            fr: """
                \(one ? "une étape" : "des étapes") de l’exécution arrêtée \(one ? "tourne" : "tournent") encore\u{A0}: \
                \(one ? "la" : "les") relancer maintenant \(one ? "la" : "les") ferait tourner deux fois à la fois.
                \(fr)
                  attendez \(one ? "qu’elle se termine" : "qu’elles se terminent"), ou passez --kill-leftover pour \
                \(one ? "l’arrêter" : "les arrêter") (SIGTERM, puis SIGKILL après 5 s\u{A0}; consigné dans le journal)
                """)
    }

    /// The main steps not run again: marked done, or succeeded (or simulated) and not to be rerun.
    private static func settledSteps(plan: Plan, progress: JournalProgress, decisions: ResumeDecisions) -> [String: SettledStep] {
        var settled: [String: SettledStep] = [:]
        for planned in plan.steps {
            let id = planned.step.id
            if decisions.markDone.contains(id) {
                var output = ""
                switch progress.steps[id] {
                case .finished(_, let recorded)?, .interrupted(let recorded)?: output = recorded
                case nil: break
                }
                settled[id] = SettledStep(status: .succeeded, output: output, reason: "marked done by the operator (--mark-done)")
            } else if !decisions.rerun.contains(id), case .finished(let status, let output)? = progress.steps[id],
                status == .succeeded || status == .simulated
            {
                settled[id] = SettledStep(status: status, output: output, reason: "done before the resume")
            }
        }
        return settled
    }
}

/// Which steps run again, and who said so: what `run.resumed` records.
struct ResumeDecisions {
    var rerun: [String]
    var markDone: [String]
    var interrupted: [String] = []
    var decidedAtTerminal: [String] = []
    var settled: [String] = []
    var killLeftover: [RunResumed.LeftoverGroup] = []
    var resuppliedVars: [String] = []
    var lockTakenOver: JournalLockHolder?

    func record(
        plan: Plan, progress: JournalProgress, configuration: RunConfiguration, changed: Bool, forced: Bool,
        recordedSHA256: String
    ) -> RunResumed {
        let ordered = plan.steps.map(\.step.id)
        func list(_ ids: [String]) -> [String] { ordered.filter(ids.contains) }
        return RunResumed(
            operatorName: configuration.operatorName, host: configuration.host, filetVersion: FiletVersion.current,
            resume: progress.resumes + 1, previousStatus: progress.finishedStatus ?? "crashed",
            runbookPath: configuration.runbookPath ?? "",
            runbookSHA256: configuration.runbookSHA256, runbookChanged: changed, forced: forced,
            recordedRunbookSHA256: changed ? recordedSHA256 : nil, settled: list(settled), interrupted: list(interrupted),
            rerun: list(rerun), markDone: list(markDone), decidedAtTerminal: list(decidedAtTerminal),
            concurrency: configuration.concurrency,
            killLeftover: killLeftover, systemUser: configuration.systemUser, resuppliedVars: resuppliedVars,
            lockTakenOver: lockTakenOver)
    }
}

extension Message {
    static func resumeNoJournal(_ journal: String) -> Message {
        Message(en: "\(journal): no such file", fr: "\(journal)\u{A0}: fichier introuvable")
    }

    static func resumeUntrusted(_ journal: String, verdict: String, lines: String) -> Message {
        Message(
            en: "\(journal) cannot be trusted, so it cannot be resumed: \(verdict)\n\(lines)",
            fr: "\(journal) n’est pas digne de confiance, il ne peut donc pas être repris\u{A0}: \(verdict)\n\(lines)")
    }

    static func resumeNeedsKey(_ journal: String) -> Message {
        Message(
            en: "\(journal) carries MACs: set \(JournalKey.environmentVariable) to the key it was written with",
            fr: "\(journal) porte des MAC\u{A0}: définissez \(JournalKey.environmentVariable) avec la clé qui l’a écrit")
    }

    static func resumeAlreadySucceeded(_ journal: String, line: Int) -> Message {
        Message(
            en: "\(journal): the run already succeeded (line \(line)): there is nothing to resume",
            fr: "\(journal)\u{A0}: l’exécution a déjà réussi (ligne \(line))\u{A0}: il n’y a rien à reprendre")
    }

    static func resumeNoRunbookPath(_ journal: String) -> Message {
        Message(
            en: "\(journal) does not record the runbook's path (written by an older filet): pass --runbook FILE",
            fr: "\(journal) ne dit pas où est le runbook (écrit par un filet plus ancien)\u{A0}: passez --runbook FICHIER")
    }

    static func resumeRunbookChanged(_ file: String, now: String, recorded: String) -> Message {
        Message(
            en: """
                the runbook \(file) changed since the run started: its SHA-256 is \(now), \
                the journal recorded \(recorded); resuming would mix two versions of the runbook.
                  restore the file, or pass --force to resume with the file as it is now (recorded in the journal)
                """,
            fr: """
                le runbook \(file) a changé depuis le début de l’exécution\u{A0}: son SHA-256 est \(now), \
                le journal a consigné \(recorded)\u{A0}; reprendre mélangerait deux versions du runbook.
                  remettez le fichier, ou passez --force pour reprendre avec le fichier tel qu’il est (consigné dans le journal)
                """)
    }

    static func resumeUnknownStep(_ step: String, _ file: String) -> Message {
        Message(
            en: "'\(step)' is not a main step of \(file) (finally steps always run again)",
            fr: "« \(step) » n’est pas une étape principale de \(file) (les étapes finally sont toujours relancées)")
    }

    static func resumeUndecided(_ steps: [String]) -> Message {
        let one = steps.count == 1
        let en = steps.map { "'\($0)'" }.joined(separator: ", ")
        let fr = steps.map { "« \($0) »" }.joined(separator: ", ")
        return Message(
            en: """
                \(one ? "step \(en) was" : "steps \(en) were") running when the run stopped and \
                \(one ? "is" : "are") not idempotent: whether \(one ? "it" : "they") took effect is unknown.
                  decide for each: --rerun ID (run it again) or --mark-done ID (it took effect: do not run it again)
                """,
            fr: """
                \(one ? "l’étape \(fr) était en cours" : "les étapes \(fr) étaient en cours") quand l’exécution s’est arrêtée et \
                \(one ? "n’est pas idempotente" : "ne sont pas idempotentes")\u{A0}: on ne sait pas si \(one ? "elle a" : "elles ont") pris effet.
                  décidez pour chacune\u{A0}: --rerun ID (la relancer) ou --mark-done ID (elle a pris effet\u{A0}: ne pas la relancer)
                """)
    }

    static func resumeStoppedAtQuestion(_ step: String) -> Message {
        Message(en: "stopped at the question about step '\(step)'", fr: "arrêté à la question sur l’étape « \(step) »")
    }
}
