public import FiletActions
import FiletJournal
import FiletRunbook
import FiletSupport
import Foundation
import Synchronization

/// A step's process group that outlived the run that started it (filet was killed with SIGKILL, the machine
/// froze…), found still running by `filet resume`.
public struct LeftoverGroup: Sendable, Hashable {
    public var stepID: String
    public var group: ProcessGroupIdentity
    /// What still runs in it.
    public var members: [ProcessGroupMember]

    public init(stepID: String, group: ProcessGroupIdentity, members: [ProcessGroupMember]) {
        self.stepID = stepID
        self.group = group
        self.members = members
    }
}

extension Executor {
    /// One attempt (``perform(_:stepID:timeout:)``), with the process group of each command it starts recorded
    /// (`step.process`, durable) as soon as the command started: before its end is awaited. `started` says whether
    /// the action began at all (for a command: whether a process was started).
    func performRecordingProcesses(_ action: PreparedAction, step: Step, attempt: Int, control: RunControl) async -> (
        result: ActionResult, started: Bool
    ) {
        guard case .command = action else {
            return (await perform(action, stepID: step.id, timeout: step.timeout?.duration), true)
        }
        let records = StartedGroups()
        let result = await perform(action, stepID: step.id, timeout: step.timeout?.duration) { group in
            records.add(
                Task {
                    await journal(
                        StepProcess(
                            step: step.id, attempt: attempt, pgid: Int(group.pgid), bootID: group.bootID, leaderStart: group.leaderStart),
                        durable: true, control: control)
                })
        }
        let started = await records.waitForAll()
        return (result, started > 0)
    }

    /// Whether an attempt that ended `outcome` was stopped mid-way: its action had started and may have taken effect
    /// in part (a command, a notification or an HTTP request in flight). Checks by TCP or DNS, confirmations and waits
    /// have no effect to leave half-done.
    static func stoppedMidway(_ action: PreparedAction, _ outcome: ActionResult.Outcome, started: Bool) -> Bool {
        guard started, outcome == .cancelled || outcome == .timedOut else { return false }
        switch action {
        case .command, .notify, .http: return true
        case .tcp, .dns, .confirm, .wait: return false
        }
    }

    /// After the first SIGTERM, waits `grace`, then stops what still runs (`finally` included) as a second signal would:
    /// `run.interrupted` with `shutdown_grace`. Returns when cancelled (the run ended first).
    func boundShutdown(after terminations: AsyncStream<Void>, grace: Duration, control: RunControl) async {
        var signals = terminations.makeAsyncIterator()
        guard await signals.next() != nil, !Task.isCancelled else { return }
        guard (try? await Task.sleep(for: grace)) != nil else { return }
        let text = Self.text(grace)
        guard control.expireShutdownGrace(text) else { return }
        await observer?.handle(.interrupted(signal: SIGTERM, second: true))
        await journal(RunInterrupted(signal: "SIGTERM", stops: "finally", shutdownGrace: text), durable: true, control: control)
    }

    /// Ends the process groups the operator asked to end (`--kill-leftover`), already listed in `run.resumed`:
    /// SIGTERM, SIGKILL after 5 s, each recorded (`process.killed`). A group that does not end stops the run before
    /// any step.
    func endLeftovers(_ leftovers: [LeftoverGroup], control: RunControl) async {
        for leftover in leftovers {
            let ending = await ProcessGroups.terminate(leftover.group, grace: .seconds(5))
            await journal(
                ProcessKilled(
                    step: leftover.stepID, pgid: Int(leftover.group.pgid), signal: ending.lastSignal, ended: ending.ended,
                    waitedMilliseconds: Int(ending.waited.milliseconds)), durable: true, control: control)
            if !ending.ended {
                control.block(
                    "process group \(leftover.group.pgid) of step '\(leftover.stepID)', left running by the earlier run, did not end")
            }
        }
    }
}

/// The durable `step.process` records of one attempt, written from the command's thread.
private final class StartedGroups: Sendable {
    private let tasks = Mutex<[Task<Void, Never>]>([])

    func add(_ task: Task<Void, Never>) { tasks.withLock { $0.append(task) } }

    /// Waits until every record is written; returns how many groups were started.
    func waitForAll() async -> Int {
        let all = tasks.withLock { $0 }
        for task in all { await task.value }
        return all.count
    }
}
