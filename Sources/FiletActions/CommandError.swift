import Glibc

/// Why a command could not be run at all. A command that ran and failed (non-zero exit,
/// killed by a signal, cancelled) is not an error: it is a ``CommandResult``.
public struct CommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, stable for tests and exit codes (compare with `==`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String {
            case invalidSpec, shellUnavailable, workingDirectoryUnavailable, systemResources, spawnFailed, cancelledBeforeStart
        }
        private let value: Value

        /// The spec cannot be given to a process (a NUL byte, a malformed variable name, a negative limit).
        public static let invalidSpec = Code(value: .invalidSpec)
        /// The shell does not exist, is not executable, or is not found in `PATH`.
        public static let shellUnavailable = Code(value: .shellUnavailable)
        /// The working directory does not exist, is not a directory, or cannot be entered.
        public static let workingDirectoryUnavailable = Code(value: .workingDirectoryUnavailable)
        /// filet is out of file descriptors, threads or processes.
        public static let systemResources = Code(value: .systemResources)
        /// posix_spawn failed for another reason.
        public static let spawnFailed = Code(value: .spawnFailed)
        /// The task was already cancelled: the command was not started (it has no effect to undo).
        public static let cancelledBeforeStart = Code(value: .cancelledBeforeStart)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// The file or directory concerned, if any.
    public var path: String?
    /// The system's error number, if the error came from a system call.
    public var errno: Int32?
    /// A sentence for a person: what could not be done, the path, and the system's reason.
    public var message: String

    init(_ code: Code, _ message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
        self.message = errno.map { "\(message): \(Self.reason($0))" } ?? message
    }

    public var description: String { message }

    /// The C library's text for an error number: "No such file or directory".
    static func reason(_ errno: Int32) -> String {
        guard let text = strerror(errno) else { return "error \(errno)" }
        return String(cString: text)
    }
}
