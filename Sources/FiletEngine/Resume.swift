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

    public init(settled: [String: SettledStep], record: RunResumed) {
        self.settled = settled
        self.record = record
    }
}

/// What the journal of an unfinished run says about each step: read by `filet resume` to decide what runs again.
public struct JournalProgress: Sendable {
    /// Where one step stands at the end of the journal.
    public enum StepState: Sendable, Equatable {
        /// It has `step.finished` after its last `step.started` (or without one: skipped, simulated).
        case finished(StepStatus, output: String)
        /// It has `step.started` and no `step.finished` after it: the crash hit while it ran (or just after).
        case interrupted
    }

    /// `run.started`, the first record.
    public var runStarted: RunStarted
    /// The last record.
    public var last: JournalRecord
    /// By step id, from the last records about the step (a journal resumed before holds several rounds).
    public var steps: [String: StepState]
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
        var resumes = 0
        for record in records {
            switch record.kind {
            case .stepStarted:
                steps[try record.decode(StepStarted.self).step] = .interrupted
            case .stepFinished:
                let finished = try record.decode(StepFinished.self)
                steps[finished.step] = .finished(finished.status, output: finished.output ?? "")
            case .runResumed:
                resumes += 1
            default:
                break
            }
        }
        self.steps = steps
        self.resumes = resumes
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
