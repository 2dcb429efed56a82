/// The one timeout race of filet: some work, against a deadline and against the cancellation of
/// the calling task; the first of the three to happen is the ``Outcome/winner``.
///
/// The work runs as a child task of a task group, so nothing outlives the race: when the
/// deadline or the cancellation wins, the work is cancelled and the race waits for it to
/// return, which it must do promptly (every blocking call filet makes is cancellable, or
/// abandoned on cancellation: see ``DedicatedThread``). What it returns then (a command's output
/// so far, a probe's partial answer) is still the ``Outcome/value``.
///
/// Used by the HTTP probe, the webhook POST, the DNS resolution and the step timeout of the executor.
package enum TimeLimit {
    /// What ended the race first.
    package enum Winner: Sendable, Hashable {
        /// The work returned before the deadline and before any cancellation.
        case work
        /// The deadline passed first.
        case deadline
        /// The calling task was cancelled first.
        case cancellation
    }

    package struct Outcome<Value: Sendable>: Sendable {
        package var winner: Winner
        /// What the work returned: in time, or once cancelled after losing.
        package var value: Value
    }

    /// Races `work` against `limit` from now (nil: no limit) and the calling task's cancellation.
    package static func race<Value: Sendable>(
        within limit: Duration?, _ work: @escaping @Sendable () async -> Value
    ) async -> Outcome<Value> {
        await race(until: limit.map { ContinuousClock.now + $0 }, work)
    }

    /// Races `work` against `deadline` (nil: none) and the calling task's cancellation.
    package static func race<Value: Sendable>(
        until deadline: ContinuousClock.Instant?, _ work: @escaping @Sendable () async -> Value
    ) async -> Outcome<Value> {
        let winner = FirstOutcome<Winner>()
        return await withTaskCancellationHandler {
            await withTaskGroup(of: Value?.self) { group in
                group.addTask {
                    let value = await work()
                    winner.finish(.work)
                    return value
                }
                if let deadline {
                    group.addTask {
                        // Returns early only when cancelled: when the work returned, or the task was cancelled.
                        if (try? await Task.sleep(until: deadline, clock: .continuous)) != nil { winner.finish(.deadline) }
                        return nil
                    }
                }
                var value: Value?
                while let next = await group.next() {
                    if let next {
                        value = next
                    }
                    // Whichever racer ended first, the other is not needed any more.
                    group.cancelAll()
                }
                // The work's child always returns a value, so the group yielded it.
                return Outcome(winner: winner.current ?? .work, value: value!)
            }
        } onCancel: {
            winner.finish(.cancellation)
        }
    }
}
