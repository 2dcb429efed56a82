#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the outbox could not store, read, update or remove an entry. Compared by ``code``:
/// a test reads `#expect(throws: OutboxError.Code.corrupt)`-style via `error.code`.
public struct OutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes; new ones break nobody.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The outbox directory cannot be created or opened.
        public static let directory = Code(rawValue: "directory")
        /// An entry file cannot be written (create, write or rename).
        public static let write = Code(rawValue: "write")
        /// An entry or the directory cannot be made durable (fsync).
        public static let sync = Code(rawValue: "sync")
        /// An entry file or the directory cannot be read.
        public static let read = Code(rawValue: "read")
        /// An entry file is not a complete, valid entry.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The entry given to store is not storable (relative runbook path, bad SHA-256, unsafe id…).
        public static let invalidEntry = Code(rawValue: "invalid-entry")
        /// No entry with this message id.
        public static let notFound = Code(rawValue: "not-found")
        /// An entry file cannot be removed.
        public static let remove = Code(rawValue: "remove")
        /// Another `filet outbox deliver` holds the outbox.
        public static let busy = Code(rawValue: "busy")
    }

    public var code: Code
    /// The file or directory concerned.
    public var path: String
    /// The `errno` of the failed system call, when there was one.
    public var errno: Int32?
    /// A whole sentence, starting with the path.
    public var message: String

    public init(_ code: Code, path: String, errno: Int32? = nil, message: String) {
        self.code = code
        self.path = path
        self.errno = errno
        self.message = message
    }

    public var description: String { message }

    static func system(_ code: Code, path: String, _ what: String, errno value: Int32) -> OutboxError {
        OutboxError(code, path: path, errno: value, message: "\(path): \(what): \(String(cString: strerror(value)))")
    }
}
