public import FiletActions
public import FiletJournal
public import FiletRunbook
import FiletSupport

/// A step that a resumed run does not run again: it was done before the resume.
public struct SettledStep: Sendable {
    public var status: StepStatus
    /// `${steps.ID.output}`, as the journal recorded it.
    public var output: String
    /// Why it is settled: `succeeded before the resume`, `marked done by the operator (--mark-done)`.
    public var reason: String

    public init(status: StepStatus, output: String, reason: String) {
        self.status = status
        self.output = output
        self.reason = reason
    }
}

/// What a resumed run continues from: the steps already done, and the `run.resumed` record that opens it.
///
/// A settled step is not launched again and nothing new is recorded for it (its `step.finished` is already
/// in the journal, and `run.resumed` lists it under `settled`); its status and output are restored into the
/// run's context, so that `${steps.ID.output}` and `when` read what it left behind.
public struct ResumeState: Sendable {
    /// Main steps settled as done, by id. Finally steps always run again.
    public var settled: [String: SettledStep]
    /// The `run.resumed` record, written (durably) in place of `run.started`.
    public var record: RunResumed
    /// The process groups of the stopped run to end before any step (`--kill-leftover`), as `record` lists them.
    public var leftovers: [LeftoverGroup]

    public init(settled: [String: SettledStep], record: RunResumed, leftovers: [LeftoverGroup] = []) {
        self.settled = settled
        self.record = record
        self.leftovers = leftovers
    }
}

/// What the journal of an unfinished run says about each step: read by `filet resume` to decide what runs again.
public struct JournalProgress: Sendable {
    /// Where one step stands at the end of the journal.
    public enum StepState: Sendable, Equatable {
        /// It has `step.finished` after its last `step.started` (or without one: skipped, simulated).
        case finished(StepStatus, output: String)
        /// It was stopped mid-way, and whether it took effect is unknown: `step.started` and no `step.finished` after
        /// it (the crash hit while it ran, or just after), or a `step.finished` that says `interrupted: true` (Ctrl-C,
        /// SIGTERM, its timeout or the run's stopped its action before it ended). `output` is what it wrote so far.
        case interrupted(output: String)
    }

    /// `run.started`, the first record.
    public var runStarted: RunStarted
    /// The last record.
    public var last: JournalRecord
    /// By step id, from the last records about the step (a journal resumed before holds several rounds).
    public var steps: [String: StepState]
    /// By step id, the process group of the last command the step started (`step.process`) since its last
    /// `step.started`, for the steps that have one.
    public var processGroups: [String: ProcessGroupIdentity]
    /// How many times the run was resumed before.
    public var resumes: Int
    /// The last `run.finished`, when the journal ends with one.
    public var finished: RunFinished?

    /// The status of the last `run.finished`, when the journal ends with one.
    public var finishedStatus: String? { finished?.status.rawValue }
    public var runbookSHA256: String { runStarted.runbookSHA256 }
    public var runbookPath: String? { runStarted.runbookPath }
    public var mode: RunMode { runStarted.mode }
    /// `vars` of `run.started`, masked values included (`***`).
    public var variables: [(String, String)] { runStarted.vars.map { ($0.name, $0.value) } }

    /// Reads the progress from a journal's records, in file order.
    /// - Throws: when the first record is not `run.started`, or a record it reads lacks a field it needs.
    public init(records: [JournalRecord]) throws(JournalRecordError) {
        guard let first = records.first, first.kind == .runStarted, let last = records.last else {
            throw JournalRecordError(
                line: 1, type: records.first?.type ?? "", field: nil,
                """
                the journal does not start with \(JournalRecordKind.runStarted): it is not the journal of a run
                """)
        }
        runStarted = try first.decode()
        self.last = last
        finished = last.kind == .runFinished ? try last.decode(RunFinished.self) : nil
        var steps: [String: StepState] = [:]
        var groups: [String: ProcessGroupIdentity] = [:]
        var resumes = 0
        for record in records {
            switch record.kind {
            case .stepStarted:
                let step = try record.decode(StepStarted.self).step
                steps[step] = .interrupted(output: "")
                groups[step] = nil
            case .stepProcess:
                let process = try record.decode(StepProcess.self)
                groups[process.step] = ProcessGroupIdentity(
                    pgid: Int32(clamping: process.pgid), bootID: process.bootID, leaderStart: process.leaderStart)
            case .stepFinished:
                let finished = try record.decode(StepFinished.self)
                steps[finished.step] =
                    finished.interrupted
                    ? .interrupted(output: finished.output ?? "") : .finished(finished.status, output: finished.output ?? "")
            case .runResumed:
                resumes += 1
            default:
                break
            }
        }
        self.steps = steps
        self.processGroups = groups
        self.resumes = resumes
    }

    /// The process groups of the steps stopped mid-way that still run now (filet was killed with SIGKILL while
    /// they ran), in `order` (step ids).
    public func leftoverGroups(order: [String]) -> [LeftoverGroup] {
        order.compactMap { id in
            guard case .interrupted? = steps[id], let group = processGroups[id] else { return nil }
            let members = ProcessGroups.survivors(of: group)
            return members.isEmpty ? nil : LeftoverGroup(stepID: id, group: group, members: members)
        }
    }
}

extension Executor {
    /// Starts a step that was done before the resume: settled without being launched, and nothing recorded.
    func settledResult(_ planned: PlannedStep, _ settled: SettledStep) -> StepResult {
        StepResult(
            stepID: planned.step.id, status: settled.status, reason: settled.reason, attempts: 0, output: settled.output,
            duration: .zero, action: planned.step.action.keyword)
    }
}
