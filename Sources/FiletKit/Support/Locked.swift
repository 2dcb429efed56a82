import Foundation

/// A value guarded by a lock, for the few places where state is shared between the Swift
/// concurrency pool and a blocking thread (an actor cannot be entered from a plain thread).
/// `Synchronization.Mutex` would do, but needs macOS 15 and the package supports macOS 14.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock. Keep it short: never block inside.
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
