#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way filet runs blocking work (`getaddrinfo`, `connect` + `poll`, a command's life,
/// a terminal read, a file append) off Swift's cooperative pool: on a new thread of its own,
/// awaited through ``run(_:onCancel:_:)``.
///
/// The pool is as wide as the machine has cores (two on the build machine): one blocked pool
/// thread would stall every step, timer and notification behind it.
///
/// Threads are made with `pthread_create` rather than Foundation's `Thread` for two reasons:
/// a thread that cannot be made (the process is at its thread limit: `EAGAIN`) is an error the
/// caller reports (``Failure/unavailable(errno:)``), where `Thread.start()` gives no way to
/// know; and each thread gets a 512 KiB stack instead of the default 8 MiB of address space,
/// which matters when a run keeps many commands and probes in flight.
package enum DedicatedThread {
    /// What cancelling the waiting task does to blocking work in progress.
    package enum Cancellation: Sendable {
        /// Nothing: the task keeps waiting until the work is done (short work, or work that
        /// must not be cut in the middle, such as a durable append).
        case wait
        /// Calls the closure once, on the cancelling thread, so that the work returns early
        /// (it writes to a pipe that the work polls, for instance); the task waits for it.
        case wake(@Sendable () -> Void)
        /// The task stops waiting at once and ``run(_:onCancel:_:)`` throws
        /// ``Failure/cancelled``: for work that cannot be interrupted (`getaddrinfo`,
        /// `readLine`). The thread finishes on its own and its result is dropped; work not yet
        /// started is not started.
        case abandon
    }

    /// Why ``run(_:onCancel:_:)`` has no result.
    package enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The task was cancelled and the work abandoned (``Cancellation/abandon`` only).
        case cancelled
        /// `pthread_create` failed with this error number; the work did not run.
        case unavailable(errno: Int32)

        package var description: String {
            switch self {
            case .cancelled: "cancelled"
            case .unavailable(let code): "cannot start a thread: \(String(cString: strerror(code)))"
            }
        }
    }

    /// The stack of each thread: enough for the blocking calls and their callers' buffers.
    package static let stackSize = 512 * 1024

    /// Runs `body` on a new thread and returns its result, without holding a thread of the
    /// cooperative pool while it runs. `name` (at most 15 bytes are kept) shows in `ps -L`, `gdb`.
    package static func run<Value: Sendable>(
        _ name: String, onCancel cancellation: Cancellation = .wait, _ body: @escaping @Sendable () -> Value
    ) async throws(Failure) -> Value {
        let outcome = FirstOutcome<Result<Value, Failure>>()
        let abandons: Bool
        if case .abandon = cancellation {
            abandons = true
            guard !Task.isCancelled else { throw .cancelled }
        } else {
            abandons = false
        }
        let status = start(name) {
            if abandons && outcome.isDecided { return }
            outcome.finish(.success(body()))
        }
        if status != 0 { outcome.finish(.failure(.unavailable(errno: status))) }
        let result: Result<Value, Failure>
        switch cancellation {
        case .wait:
            result = await outcome.value()
        case .wake(let wake):
            result = await withTaskCancellationHandler {
                await outcome.value()
            } onCancel: {
                wake()
            }
        case .abandon:
            result = await outcome.value(ifCancelled: { .failure(.cancelled) })
        }
        return try result.get()
    }

    /// Starts `body` on a new detached thread and returns at once: for a thread that outlives
    /// its caller's interest (one blocked in `waitid`, a test server's loop). Returns 0, or the
    /// error number of `pthread_create` (the body then never runs).
    @discardableResult
    package static func start(_ name: String, _ body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)
        let context = Unmanaged.passRetained(Entry(name: name, body: body)).toOpaque()
        #if canImport(Glibc)
            var thread = pthread_t()
        #else
            var thread: pthread_t?
        #endif
        let status = pthread_create(
            &thread, &attributes,
            { context in
                let entry = Unmanaged<Entry>.fromOpaque(context!).takeRetainedValue()
                entry.nameCurrentThread()
                entry.body()
                return nil
            }, context)
        if status != 0 { Unmanaged<Entry>.fromOpaque(context).release() }
        return status
    }

    /// What a new thread runs; handed over to it as a retained pointer.
    private final class Entry {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }

        func nameCurrentThread() {
            #if canImport(Glibc)
                // Linux keeps 15 bytes and a NUL; a longer name makes the call fail, so it is cut.
                guard let setName = DedicatedThread.setName else { return }
                var bytes = Array(name.utf8.prefix(15)).map { CChar(bitPattern: $0) }
                bytes.append(0)
                _ = setName(pthread_self(), bytes)
            #else
                _ = pthread_setname_np(name)
            #endif
        }
    }

    #if canImport(Glibc)
        typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>?) -> Int32
        /// `pthread_setname_np`, which Swift's Glibc module does not import (it needs `_GNU_SOURCE`).
        static let setName: SetName? = dlsym(nil, "pthread_setname_np").map { unsafeBitCast($0, to: SetName.self) }
    #endif
}
