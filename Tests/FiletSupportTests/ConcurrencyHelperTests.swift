import FiletSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// Real threads and real time, on a shared and noisy machine (a full suite beside other builds has
// taken 20 s for a single hop through the cooperative pool): a "prompt" return is one well within
// `generous`, and what it is told apart from (a timer, a blocked body) lasts at least `forever`.
private let generous: Duration = .seconds(90)
private let forever: Duration = .seconds(600)

/// A flag that a blocked thread polls, set from elsewhere.
private final class Flag: Sendable {
    private let raised = Mutex(false)

    func raise() { raised.withLock { $0 = true } }
    var isRaised: Bool { raised.withLock { $0 } }

    /// Blocks the calling thread (never call it on the cooperative pool) until raised or `limit` passed; true if raised.
    func block(upTo limit: Duration = forever) -> Bool {
        let end = ContinuousClock.now + limit
        while !isRaised {
            if ContinuousClock.now >= end { return false }
            usleep(2_000)
        }
        return true
    }
}

private final class Counter: Sendable {
    private let count = Mutex(0)

    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Polls `condition` (every 5 ms, for at most `generous`).
private func waitUntil(_ condition: () -> Bool) async {
    let end = ContinuousClock.now + generous
    while !condition(), ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(5)) }
}

/// Starts `body` in a task, cancels that task once `ready` holds (and 50 ms more), and returns
/// the task's result with the time it took to return after the cancellation.
private func cancelled<Value: Sendable>(
    when ready: @escaping @Sendable () -> Bool, _ body: @escaping @Sendable () async -> Value
) async -> (value: Value, afterCancel: Duration) {
    let task = Task { await body() }
    await waitUntil(ready)
    try? await Task.sleep(for: .milliseconds(50))
    let cancelledAt = ContinuousClock.now
    task.cancel()
    let value = await task.value
    return (value, ContinuousClock.now - cancelledAt)
}

@Suite struct TimeLimitTests {
    @Test func theWorkWinsWhenItReturnsInTime() async {
        let start = ContinuousClock.now
        let raced = await TimeLimit.race(within: forever) { 42 }
        #expect(raced.winner == .work)
        #expect(raced.value == 42)
        // The timer did not hold the race up once the work had returned.
        #expect(ContinuousClock.now - start < generous)
    }

    @Test func withoutALimitTheWorkAlwaysWins() async {
        let raced = await TimeLimit.race(within: nil) { () -> String in
            try? await Task.sleep(for: .milliseconds(50))
            return "done"
        }
        #expect(raced.winner == .work)
        #expect(raced.value == "done")
    }

    @Test func theDeadlineWinsAndTheWorkIsCancelledThenAwaited() async {
        let start = ContinuousClock.now
        let raced = await TimeLimit.race(within: .milliseconds(200)) { () -> String in
            // Would sleep `forever`; returns what it has once cancelled.
            (try? await Task.sleep(for: forever)) == nil ? "cancelled after losing" : "slept"
        }
        let elapsed = ContinuousClock.now - start
        #expect(raced.winner == .deadline)
        #expect(raced.value == "cancelled after losing")
        #expect(elapsed >= .milliseconds(200))
        #expect(elapsed < generous)
    }

    @Test func aDeadlineAlreadyPastWinsAtOnce() async {
        let raced = await TimeLimit.race(until: ContinuousClock.now - .seconds(1)) { () -> Bool in
            (try? await Task.sleep(for: .seconds(600))) != nil
        }
        #expect(raced.winner == .deadline)
        #expect(raced.value == false)
    }

    @Test func cancellationWinsAndReturnsPromptly() async {
        let started = Flag()
        let (raced, afterCancel) = await cancelled(when: { started.isRaised }) {
            await TimeLimit.race(within: .seconds(600)) { () -> String in
                started.raise()
                return (try? await Task.sleep(for: .seconds(600))) == nil ? "cancelled" : "slept"
            }
        }
        #expect(raced.winner == .cancellation)
        #expect(raced.value == "cancelled")
        #expect(afterCancel < generous)
    }

    @Test func aTaskCancelledBeforeTheRaceLosesAtOnce() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await TimeLimit.race(within: .seconds(600)) { () -> Bool in (try? await Task.sleep(for: .seconds(600))) != nil }
        }
        let raced = await task.value
        #expect(raced.winner == .cancellation)
        #expect(raced.value == false)
    }

    @Test func blockingWorkThatIsAbandonedStillLetsTheDeadlineWinPromptly() async {
        let release = Flag()
        defer { release.raise() }
        let start = ContinuousClock.now
        let raced = await TimeLimit.race(within: .milliseconds(200)) { () -> String in
            do throws(DedicatedThread.Failure) {
                return try await DedicatedThread.run("test-abandon", onCancel: .abandon) { release.block() ? "released" : "stuck" }
            } catch {
                return "\(error)"
            }
        }
        #expect(raced.winner == .deadline)
        #expect(raced.value == "cancelled")
        #expect(ContinuousClock.now - start < generous)
    }
}

@Suite struct DedicatedThreadTests {
    @Test func returnsTheResultOfTheBody() async throws {
        let value = try await DedicatedThread.run("test-result") { (1...100).reduce(0, +) }
        #expect(value == 5050)
        let failure: Result<Int, DedicatedThread.Failure> = try await DedicatedThread.run("test-result") { .failure(.cancelled) }
        #expect(failure == .failure(.cancelled))
    }

    /// Far more bodies than the cooperative pool has threads, each blocked until all of them are
    /// running: on the pool they could never all run at once, on threads of their own they do.
    @Test func runsOffTheCooperativePool() async throws {
        let count = 12
        let arrived = Counter()
        let gathered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await DedicatedThread.run("test-pool-\(index)") { () -> Bool in
                        arrived.increment()
                        let end = ContinuousClock.now + generous
                        while arrived.value < count {
                            if ContinuousClock.now >= end { return false }
                            usleep(2_000)
                        }
                        return true
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(gathered == [Bool](repeating: true, count: count))
    }

    #if canImport(Glibc)
        @Test func namesItsThread() async throws {
            typealias GetName = @convention(c) (pthread_t, UnsafeMutablePointer<CChar>?, Int) -> Int32
            guard let getName = dlsym(nil, "pthread_getname_np").map({ unsafeBitCast($0, to: GetName.self) }) else { return }
            let name = try await DedicatedThread.run("filet-test-name-too-long") { () -> String in
                var buffer = [CChar](repeating: 0, count: 64)
                guard getName(pthread_self(), &buffer, buffer.count) == 0 else { return "?" }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            #expect(name == "filet-test-name")  // the first 15 bytes
        }
    #endif

    @Test func waitKeepsWaitingForTheBodyWhenCancelled() async {
        let started = Flag()
        let release = Flag()
        let returned = Flag()
        defer { release.raise() }
        let task = Task { () -> String in
            let answer =
                (try? await DedicatedThread.run("test-wait") { () -> String in
                    started.raise()
                    return release.block() ? "finished" : "stuck"
                }) ?? "failed"
            returned.raise()
            return answer
        }
        await waitUntil { started.isRaised }
        task.cancel()
        try? await Task.sleep(for: .milliseconds(200))
        #expect(!returned.isRaised)  // still waiting for the body
        release.raise()
        #expect(await task.value == "finished")
    }

    @Test func wakeIsCalledOnCancellationAndTheBodysAnswerReturned() async {
        let woken = Flag()
        let started = Flag()
        let (result, afterCancel) = await cancelled(when: { started.isRaised }) { () -> String in
            do throws(DedicatedThread.Failure) {
                return try await DedicatedThread.run("test-wake", onCancel: .wake({ woken.raise() })) { () -> String in
                    started.raise()
                    return woken.block() ? "woken" : "never woken"
                }
            } catch {
                return "\(error)"
            }
        }
        #expect(result == "woken")
        #expect(afterCancel < generous)
    }

    @Test func abandonStopsWaitingAtOnceAndDropsTheResult() async {
        let release = Flag()
        defer { release.raise() }
        let started = Flag()
        let (result, afterCancel) = await cancelled(when: { started.isRaised }) { () -> String in
            do throws(DedicatedThread.Failure) {
                return try await DedicatedThread.run("test-abandon", onCancel: .abandon) { () -> String in
                    started.raise()
                    return release.block() ? "released" : "stuck"
                }
            } catch {
                return "\(error)"
            }
        }
        #expect(result == "cancelled")
        #expect(!release.isRaised)  // the body was still blocked when the wait ended
        #expect(afterCancel < generous)
    }

    @Test func abandonDoesNotStartWorkForATaskAlreadyCancelled() async {
        let ran = Flag()
        let task = Task { () -> DedicatedThread.Failure? in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(DedicatedThread.Failure) {
                _ = try await DedicatedThread.run("test-abandon", onCancel: .abandon) { ran.raise() }
                return nil
            } catch {
                return error
            }
        }
        #expect(await task.value == .cancelled)
        try? await Task.sleep(for: .milliseconds(100))
        #expect(!ran.isRaised)
    }
}
