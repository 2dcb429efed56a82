import Synchronization

/// A value decided once, by whichever of several parties calls ``finish(_:)`` first; the later
/// calls are ignored. One task at a time waits for it.
///
/// It is the one bridge from callbacks and threads to `async` code: ``DedicatedThread`` and
/// ``TimeLimit`` are built on it, and so is the URLSession delegate of the HTTP exchanges.
package final class FirstOutcome<Value: Sendable>: Sendable {
    private struct State {
        var outcome: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }

    private let state = Mutex(State())

    package init() {}

    /// Records `value` unless an outcome is already decided; true when this call decided it.
    /// The waiting task, if any, is resumed outside the lock.
    @discardableResult
    package func finish(_ value: Value) -> Bool {
        let (decided, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Value, Never>?) in
            guard state.outcome == nil else { return (false, nil) }
            state.outcome = value
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: value)
        return decided
    }

    /// The outcome, once decided.
    package var current: Value? { state.withLock { $0.outcome } }

    package var isDecided: Bool { state.withLock { $0.outcome != nil } }

    /// Waits for the outcome (returns at once when it is already decided).
    package func value() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let decided = state.withLock { state -> Value? in
                if state.outcome == nil { state.waiter = continuation }
                return state.outcome
            }
            if let decided { continuation.resume(returning: decided) }
        }
    }

    /// Waits for the outcome; if the waiting task is cancelled first, `cancelled()` decides it.
    package func value(ifCancelled cancelled: @escaping @Sendable () -> Value) async -> Value {
        await withTaskCancellationHandler {
            await value()
        } onCancel: {
            finish(cancelled())
        }
    }
}
