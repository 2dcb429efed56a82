import FiletSupport
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
    import FiletSupport
#endif

/// The `file` channel: each notification is one line of JSON (the `generic` payload) appended to
/// a file, durable when ``append(_:to:)`` returns.
///
/// - The line is written with a single `write(2)` on a descriptor opened `O_WRONLY | O_APPEND |
///   O_CLOEXEC`, then `fdatasync(2)`. Appenders in one process are serialized per path; other
///   processes appending to the same file get whole lines too in practice (`O_APPEND` writes of
///   a few KiB to a local file are not interleaved on Linux), but that is not a POSIX promise.
/// - Missing parent directories are created (0750), the file is created 0640 (whatever the
///   umask), and each directory that gained an entry is fsynced, so a crash cannot lose the file.
public enum FileChannel: Sendable {
    /// What an append did.
    public struct Appended: Sendable, Hashable {
        public var path: String
        /// The bytes written, the newline included.
        public var bytes: Int
        /// True when this append created the file.
        public var created: Bool
    }

    /// A failed system call, with the path and the errno in words.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        /// `open`, `write`, `fdatasync`, `mkdir`, …
        public var operation: String
        public var errno: Int32

        public var description: String { "cannot \(operation) '\(path)': \(String(cString: strerror(errno)))" }
    }

    /// Appends the message's generic payload as one line to the file at `path`.
    @discardableResult
    public static func append(_ message: NotificationMessage, to path: String) throws(Failure) -> Appended {
        var line = Array(NotificationPayload.generic(message).rendered(pretty: false).utf8)
        line.append(0x0A)
        return try PathLocks.shared.lock(for: path).mutex.withLock { _ throws(Failure) -> Appended in
            try appendLine(line, to: path)
        }
    }

    private static func appendLine(_ line: [UInt8], to path: String) throws(Failure) -> Appended {
        let directory = FilePaths.parent(of: path)
        try makeDirectories(directory)
        var created = false
        var fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_CREAT | O_EXCL, 0o640)
        if fd >= 0 {
            created = true
            _ = fchmod(fd, 0o640)  // the umask may have taken bits away; nothing beyond 0640 is added
        } else if errno == EEXIST {
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        }
        guard fd >= 0 else { throw Failure(path: path, operation: "open", errno: errno) }
        defer { close(fd) }

        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "write", errno: errno)
            }
            offset += written  // a short write to a regular file means the disk is full: the loop's next write says so
        }
        guard fdatasync(fd) == 0 else { throw Failure(path: path, operation: "fdatasync", errno: errno) }
        if created { try syncDirectory(directory) }
        return Appended(path: path, bytes: line.count, created: created)
    }

    /// `mkdir -p` with 0750, fsyncing the parent of each directory created.
    private static func makeDirectories(_ directory: String) throws(Failure) {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        let parent = FilePaths.parent(of: directory)
        if parent != directory { try makeDirectories(parent) }
        if mkdir(directory, 0o750) != 0 && errno != EEXIST {
            throw Failure(path: directory, operation: "create the directory", errno: errno)
        }
        try syncDirectory(parent)
    }

    private static func syncDirectory(_ directory: String) throws(Failure) {
        if let failure = DurableDirectory.sync(directory) {
            throw Failure(path: directory, operation: "\(failure.call) the directory", errno: failure.errno)
        }
    }
}

/// One lock per path, kept for the life of the process (a run writes to a handful of files).
/// The appends hold it through `write` and `fdatasync`: they run on threads of their own
/// (``DedicatedThread``), never on Swift's cooperative pool.
private final class PathLocks: Sendable {
    /// A `Mutex` that a dictionary can hold (it cannot hold the noncopyable `Mutex` itself).
    final class Lock: Sendable {
        let mutex = Mutex(())
    }

    static let shared = PathLocks()
    private let locks = Mutex<[String: Lock]>([:])

    func lock(for path: String) -> Lock {
        let key = (path as NSString).standardizingPath
        return locks.withLock { locks in
            if let lock = locks[key] { return lock }
            let lock = Lock()
            locks[key] = lock
            return lock
        }
    }
}
