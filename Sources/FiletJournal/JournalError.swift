#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the journal could not be created, written, made durable or read.
///
/// The kinds ``Kind/create``, ``Kind/write`` and ``Kind/sync`` are fatal (``isFatal``): the
/// record may or may not be on disk, so the writer refuses every later append (a retried
/// fsync can report success after the kernel dropped the data) and the run must stop.
public struct JournalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable name for the kind of failure; new kinds break nobody.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The journal file or its directory could not be created (or made durable on creation).
        public static let create = Kind(rawValue: "create")
        /// A journal file for this run id already exists: the run id must be regenerated.
        public static let exists = Kind(rawValue: "exists")
        /// Another process writes the journal (``JournalLock``): nothing was read or written.
        public static let locked = Kind(rawValue: "locked")
        /// `write(2)` failed or wrote only part of a batch.
        public static let write = Kind(rawValue: "write")
        /// `fdatasync(2)` (or `fsync(2)` on creation) failed: durability is unknown.
        public static let sync = Kind(rawValue: "sync")
        /// `close(2)` failed.
        public static let close = Kind(rawValue: "close")
        /// An append after ``JournalWriter/close()``.
        public static let closed = Kind(rawValue: "closed")
        /// A journal key shorter than ``JournalKey/minimumLength`` bytes.
        public static let invalidKey = Kind(rawValue: "invalid-key")
        /// A record the writer refuses to write (bad type, reserved or repeated field name);
        /// nothing was written and the writer goes on.
        public static let invalidRecord = Kind(rawValue: "invalid-record")
        /// A malformed argument, such as a runbook hash that is not 64 hex digits.
        public static let invalidArgument = Kind(rawValue: "invalid-argument")
        /// The journal file could not be read.
        public static let read = Kind(rawValue: "read")
        /// A line that is not a journal record, other than the last one (a crash can only tear the last).
        public static let corrupt = Kind(rawValue: "corrupt")
    }

    public var kind: Kind
    /// The journal file or directory concerned.
    public var path: String
    /// The `errno` of the failed system call, when there was one.
    public var errno: Int32?
    /// A whole sentence for a person, naming the path and, when there is one, the errno.
    public var message: String

    public init(_ kind: Kind, path: String, errno: Int32? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.errno = errno
        self.message = message
    }

    /// Whether the writer that threw it is now unusable and the run must stop.
    public var isFatal: Bool { [.create, .write, .sync].contains(kind) }

    public var description: String { message }

    /// `path: what failed: strerror (ENAME, errno N)`.
    static func system(_ kind: Kind, path: String, _ what: String, errno code: Int32) -> JournalError {
        JournalError(kind, path: path, errno: code, message: "\(path): \(what): \(describe(errno: code))")
    }

    /// `No space left on device (ENOSPC, errno 28)`.
    static func describe(errno code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "error"
        let names: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EACCES: "EACCES",
            EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", EMFILE: "EMFILE",
            EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS", EDQUOT: "EDQUOT", ENAMETOOLONG: "ENAMETOOLONG",
        ]
        return names[code].map { "\(text) (\($0), errno \(code))" } ?? "\(text) (errno \(code))"
    }
}
