import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif
import FiletRunbook

/// How probes print times: measured times one way, configured limits the runbook's way.
package enum ProbeTime {
    /// Whole milliseconds, rounded up so that a limit of 0.4 ms never prints as `0s`.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let extra = attoseconds > 0 ? (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 : 0
        return seconds * 1000 + extra
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A limit as written in a runbook: `2s`, `1m30s`, `250ms`.
    package static func setting(_ duration: Duration) -> String {
        RunbookDuration(milliseconds: milliseconds(duration)).description
    }

    /// A measured time: `840ms` under a second, else seconds with one decimal (`2.4s`).
    package static func measured(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let totalMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if totalMilliseconds < 1 { return "<1ms" }
        if totalMilliseconds < 1000 { return "\(totalMilliseconds)ms" }
        let tenths = (totalMilliseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10)s"
    }
}

/// The first of several racers to call ``finish(_:)`` decides the outcome; the others are ignored.
///
/// Probes race the work itself (a URLSession task, a blocking call on its own thread)
/// against a timer and against Swift task cancellation. One waiter only.
package final class FirstOutcome<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Value?
    private var waiter: CheckedContinuation<Value, Never>?
    private var decided = false

    package init() {}

    /// Records `value` unless an outcome is already decided; true when this call decided it.
    @discardableResult
    package func finish(_ value: Value) -> Bool {
        lock.lock()
        guard !decided else {
            lock.unlock()
            return false
        }
        decided = true
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: value)
        } else {
            outcome = value
            lock.unlock()
        }
        return true
    }

    var isDecided: Bool {
        lock.lock()
        defer { lock.unlock() }
        return decided
    }

    /// Waits for the outcome (returns at once when it is already decided).
    package func value() async -> Value {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let outcome {
                lock.unlock()
                continuation.resume(returning: outcome)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}

/// A one-shot timer: runs `work` after `delay` unless cancelled first.
///
/// It runs on a Dispatch queue, not as a task: Swift's cooperative pool is as wide as the
/// machine has cores, and busy steps could hold a timeout past its time.
package struct ProbeTimer: Sendable {
    /// `DispatchWorkItem` is not marked `Sendable`, but `cancel()` is safe from any thread.
    private final class Item: @unchecked Sendable {
        let item: DispatchWorkItem
        init(_ item: DispatchWorkItem) { self.item = item }
    }

    private let item: Item

    package init(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        item = Item(DispatchWorkItem(block: work))
        let nanoseconds = Int(clamping: ProbeTime.milliseconds(delay) &* 1_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: item.item)
    }

    package func cancel() { item.item.cancel() }
}

#if canImport(Glibc)
/// A close-on-exec, non-blocking pair of connected sockets (created atomically, unlike
/// `pipe` + `fcntl`): writing a byte to `[1]` wakes every `poll` watching `[0]`.
func makeWakeChannel() -> [Int32]? {
    var fds: [Int32] = [-1, -1]
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
    return socketpair(AF_UNIX, type, 0, &fds) == 0 ? fds : nil
}
#endif

/// Starts `body` on a new thread of its own, off Swift's cooperative pool, for work that blocks.
func startDedicatedThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.name = name
    thread.start()
}
