import FiletActions
import FiletRunbook
import Synchronization

/// The state of a run shared by its phases, its signal watcher and its timer.
final class RunControl: Sendable {
    private struct State {
        var signal: Int32?
        var signals = 0
        var timedOut = false
        var abortedBy: String?
        var journalFailure: String?
        /// Why no step may start at all (a process group left by the resumed run would not end).
        var blocked: String?
        /// The `--shutdown-grace` that expired after SIGTERM, as written (`20s`).
        var expiredGrace: String?
        var completionOrder: [(step: Step, undo: PreparedCommand)] = []
        var cancelMain: (@Sendable () -> Void)?
        var cancelFinally: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    var signal: Int32? { state.withLock { $0.signal } }
    var timedOut: Bool { state.withLock { $0.timedOut } }
    var abortedBy: String? { state.withLock { $0.abortedBy } }
    var journalFailure: String? { state.withLock { $0.journalFailure } }
    var blocked: String? { state.withLock { $0.blocked } }
    /// A second signal stops the finally steps too.
    var stopsFinally: Bool { state.withLock { $0.signals >= 2 || $0.journalFailure != nil } }
    /// Succeeded steps that have an undo, in the order they completed.
    var completionOrder: [(step: Step, undo: PreparedCommand)] { state.withLock { $0.completionOrder } }

    /// Why no further step of a phase may start, or nil. Finally steps still start after a first
    /// signal, a timeout or an abort: only a second signal or a journal failure stops them.
    func stopReason(inFinally: Bool) -> String? {
        state.withLock { state in
            if state.journalFailure != nil { return "the journal could not be written" }
            if let blocked = state.blocked { return blocked }
            if inFinally, let grace = state.expiredGrace { return "the shutdown grace (\(grace)) after SIGTERM expired" }
            if inFinally { return state.signals >= 2 ? "a second signal stopped the finally steps" : nil }
            if state.signal != nil { return "the run was interrupted" }
            if state.timedOut { return "the run's time limit expired" }
            return state.abortedBy.map { "step '\($0)' failed and the run aborted" }
        }
    }

    /// Registers the task of a phase so that signals, the timer and journal failures can stop it;
    /// stops it at once if what stops it has already happened.
    func setPhase<Success: Sendable>(_ task: Task<Success, Never>, isFinally: Bool) {
        let cancel: @Sendable () -> Void = { task.cancel() }
        let cancelNow = state.withLock { state -> Bool in
            if isFinally {
                state.cancelFinally = cancel
                return state.signals >= 2 || state.journalFailure != nil
            }
            state.cancelMain = cancel
            return state.signal != nil || state.timedOut || state.journalFailure != nil
        }
        if cancelNow { cancel() }
    }

    /// Records a signal and stops what it stops. Returns true when it is the second one.
    func interrupt(signal number: Int32) -> Bool {
        let (second, cancel) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            state.signals += 1
            if state.signal == nil { state.signal = number }
            return state.signals >= 2 ? (true, state.cancelFinally ?? state.cancelMain) : (false, state.cancelMain)
        }
        cancel?()
        return second
    }

    /// Marks the run as timed out unless it was interrupted first. Returns whether it did.
    func timeOut() -> Bool {
        let cancel = state.withLock { state -> (@Sendable () -> Void)?? in
            guard state.signal == nil, !state.timedOut else { return .none }
            state.timedOut = true
            return .some(state.cancelMain)
        }
        guard let cancel else { return false }
        cancel?()
        return true
    }

    /// The `--shutdown-grace` after SIGTERM expired: stops what still runs as a second signal does. Returns false when
    /// a second signal (or a journal failure) stopped it all already.
    func expireShutdownGrace(_ grace: String) -> Bool {
        let cancel = state.withLock { state -> (@Sendable () -> Void)?? in
            guard state.signals < 2, state.journalFailure == nil else { return .none }
            state.signals = 2
            state.expiredGrace = grace
            return .some(state.cancelFinally ?? state.cancelMain)
        }
        guard let cancel else { return false }
        cancel?()
        return true
    }

    /// No step starts, in either phase, for `reason`.
    func block(_ reason: String) {
        state.withLock { if $0.blocked == nil { $0.blocked = reason } }
    }

    func abort(by stepID: String) {
        state.withLock { if $0.abortedBy == nil { $0.abortedBy = stepID } }
    }

    func failJournal(_ message: String) {
        let cancels = state.withLock { state -> [@Sendable () -> Void] in
            if state.journalFailure == nil { state.journalFailure = message }
            return [state.cancelMain, state.cancelFinally].compactMap { $0 }
        }
        for cancel in cancels { cancel() }
    }

    func completed(_ step: Step, undo: PreparedCommand) {
        state.withLock { $0.completionOrder.append((step, undo)) }
    }
}
