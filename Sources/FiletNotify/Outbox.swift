import Foundation

#if canImport(Glibc)
    import Glibc
    import FiletJournal
    import FiletSupport
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outbox: notifications that could not be delivered, kept durably until a later delivery
/// succeeds. One JSON file per entry in `<journal dir>/outbox/`, named
/// `<created ms, 13 digits>-<message id>.json` so that names sort oldest first.
///
/// Every change is durable before it returns: an entry is written to a temporary file,
/// `fsync`ed, renamed over its name (atomic) and the directory `fsync`ed; a removal is an
/// `unlink` followed by a directory `fsync`. Files are mode `0600` and the directory `0700`:
/// entries hold the final notification text. See docs/outbox.md.
public struct Outbox: Sendable {
    /// The outbox directory, such as `filet-journal/outbox`.
    public let directory: String

    public init(directory: String) {
        self.directory = JournalWriter.normalized(directory)
    }

    /// The outbox next to the journals of `journalDirectory`.
    public init(journalDirectory: String) {
        let journal = JournalWriter.normalized(journalDirectory)
        self.init(directory: journal == "/" ? "/outbox" : journal + "/outbox")
    }

    /// Whether an entry id can name a file: 1 to 200 ASCII letters, digits, `.`, `_`, `-`, not starting with `.`.
    public static func isStorableID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 200 && !id.hasPrefix(".")
            && id.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
            }
    }

    // MARK: Storing

    /// Stores `entry` durably. When an entry with the same message id already waits, it is replaced,
    /// keeping its place (the earlier creation time and its file) and the larger attempt count:
    /// storing the same notification twice never makes two entries.
    public func store(_ entry: OutboxEntry) throws(OutboxError) {
        try check(entry)
        try makeDirectory()
        var entry = entry
        let existing = try fileName(of: entry.id)
        if let existing, let old = try? read(name: existing) {
            entry.createdMilliseconds = min(entry.createdMilliseconds, old.createdMilliseconds)
            entry.attempts = max(entry.attempts, old.attempts)
        }
        let name = existing ?? Self.fileName(for: entry)
        try writeFile(entry, as: name)
        try syncDirectory()
    }

    /// Rewrites a waiting entry (its attempts and last error, say) durably, in place.
    /// - Throws: ``OutboxError/Code/notFound`` when no entry has this message id.
    public func update(_ entry: OutboxEntry) throws(OutboxError) {
        try check(entry)
        guard let name = try fileName(of: entry.id) else {
            throw OutboxError(.notFound, path: directory, message: "\(directory): no entry for message \(entry.id) to update")
        }
        try writeFile(entry, as: name)
        try syncDirectory()
    }

    /// Removes the entry of `id` durably (unlink, then directory fsync).
    /// - Throws: ``OutboxError/Code/notFound`` when no entry has this message id.
    public func remove(id: String) throws(OutboxError) {
        guard let name = try fileName(of: id) else {
            throw OutboxError(.notFound, path: directory, message: "\(directory): no entry for message \(id) to remove")
        }
        let path = path(of: name)
        guard unlink(path) == 0 else { throw .system(.remove, path: path, "cannot remove the outbox entry", errno: errno) }
        try syncDirectory()
    }

    // MARK: Reading

    /// Every entry, oldest first. A file that is not a complete, valid entry stops the listing with
    /// ``OutboxError/Code/corrupt`` naming it; ``scan()`` lists the valid ones and the others apart.
    public func entries() throws(OutboxError) -> [OutboxEntry] {
        let scan = try scan()
        if let problem = scan.problems.first(where: { $0.kind == .corrupt }) {
            throw OutboxError(.corrupt, path: path(of: problem.file), message: "\(path(of: problem.file)): \(problem.message)")
        }
        return scan.entries
    }

    /// Every entry, oldest first, and every file of the directory that is not one (a corrupt entry, an
    /// interrupted write, a stranger), each with its name. A missing directory is an empty outbox.
    public func scan() throws(OutboxError) -> OutboxScan {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                return OutboxScan(entries: [], problems: [])
            }
            throw OutboxError(.read, path: directory, message: "\(directory): cannot list the outbox: \(error.localizedDescription)")
        }
        var result = OutboxScan(entries: [], problems: [])
        for name in names where name != Self.lockName {
            if name.hasPrefix("."), name.contains(".tmp-") {
                result.problems.append(
                    .init(
                        file: name, kind: .incomplete,
                        message: "an interrupted write (or one in progress): the entry it held was not stored"))
                continue
            }
            guard Self.parse(fileName: name) != nil else {
                result.problems.append(
                    .init(file: name, kind: .stranger, message: "not an outbox entry (expected <created ms>-<message id>.json)"))
                continue
            }
            do throws(OutboxError) {
                result.entries.append(try read(name: name))
            } catch {
                result.problems.append(
                    .init(file: name, kind: .corrupt, message: error.message.replacingOccurrences(of: path(of: name) + ": ", with: "")))
            }
        }
        return result
    }

    /// Reads the entry file `name` of the directory.
    func read(name: String) throws(OutboxError) -> OutboxEntry {
        let path = path(of: name)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OutboxError(.read, path: path, message: "\(path): cannot read the outbox entry")
        }
        guard !data.isEmpty else { throw OutboxError(.corrupt, path: path, message: "\(path): corrupt entry: the file is empty") }
        let value: JSONValue
        do throws(JSONValue.ParseError) {
            value = try JSONValue(parsing: Array(data))
        } catch {
            throw OutboxError(.corrupt, path: path, message: "\(path): corrupt entry: \(error) (a partial or damaged file)")
        }
        let entry: OutboxEntry
        do throws(EntryProblem) {
            entry = try OutboxEntry(json: value)
        } catch {
            throw OutboxError(.corrupt, path: path, message: "\(path): corrupt entry: \(error.message)")
        }
        guard let parsed = Self.parse(fileName: name), parsed.id == entry.id else {
            throw OutboxError(
                .corrupt, path: path, message: "\(path): corrupt entry: its message id \(entry.id) does not match its file name")
        }
        return entry
    }

    // MARK: Files

    static let lockName = ".deliver.lock"

    /// `<created ms, 13 digits>-<id>.json`.
    static func fileName(for entry: OutboxEntry) -> String {
        let digits = String(max(0, entry.createdMilliseconds))
        return String(repeating: "0", count: max(0, 13 - digits.count)) + digits + "-" + entry.id + ".json"
    }

    /// The creation time and id of an entry file name, or nil when it is not one.
    static func parse(fileName name: String) -> (milliseconds: Int64, id: String)? {
        guard name.hasSuffix(".json"), let dash = name.firstIndex(of: "-") else { return nil }
        let digits = name[..<dash]
        let id = String(name[name.index(after: dash)...].dropLast(5))
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let milliseconds = Int64(digits), isStorableID(id) else { return nil }
        return (milliseconds, id)
    }

    /// The file that holds the entry of `id`, if one does.
    func fileName(of id: String) throws(OutboxError) -> String? {
        guard Self.isStorableID(id) else { return nil }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().first { Self.parse(fileName: $0)?.id == id }
    }

    func path(of name: String) -> String { directory == "/" ? "/" + name : directory + "/" + name }

    private func check(_ entry: OutboxEntry) throws(OutboxError) {
        func refuse(_ why: String) -> OutboxError {
            OutboxError(.invalidEntry, path: directory, message: "\(directory): cannot store message \(entry.id): \(why)")
        }
        guard Self.isStorableID(entry.id) else {
            throw refuse("its id must be 1 to 200 letters, digits, '.', '_' or '-', not starting with '.'")
        }
        guard entry.runbookPath.hasPrefix("/") else { throw refuse("the runbook path '\(entry.runbookPath)' is not absolute") }
        guard entry.runbookSHA256.count == 64, entry.runbookSHA256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw refuse("the runbook SHA-256 must be 64 lowercase hex digits")
        }
        guard !entry.channel.isEmpty else { throw refuse("it names no channel") }
        guard entry.attempts >= 0, entry.createdMilliseconds >= 0 else { throw refuse("negative attempts or creation time") }
    }

    /// Writes `entry` to a temporary file (mode 0600), fsyncs it and renames it over `name`.
    private func writeFile(_ entry: OutboxEntry, as name: String) throws(OutboxError) {
        let bytes = Array((entry.json.rendered() + "\n").utf8)
        let temporary = path(of: ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .system(.write, path: temporary, "cannot create the outbox entry", errno: errno) }
        var failure: OutboxError?
        var offset = 0
        while offset < bytes.count, failure == nil {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = .system(.write, path: temporary, "cannot write the outbox entry", errno: errno)
            } else {
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = .system(.sync, path: temporary, "cannot make the outbox entry durable (fsync)", errno: errno)
        }
        if systemClose(descriptor) != 0, failure == nil {
            failure = .system(.write, path: temporary, "cannot close the outbox entry", errno: errno)
        }
        if failure == nil, rename(temporary, path(of: name)) != 0 {
            failure = .system(.write, path: path(of: name), "cannot rename the outbox entry into place", errno: errno)
        }
        if let failure {
            _ = unlink(temporary)
            throw failure
        }
    }

    /// Creates the directory (mode 0700; missing parents 0750, as the journal's) and makes it durable.
    func makeDirectory() throws(OutboxError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw OutboxError(.directory, path: directory, message: "\(directory): exists and is not a directory")
            }
            return
        }
        let parent = FilePaths.parent(of: directory)
        do throws(JournalError) {
            try JournalWriter.makeDirectory(parent)
        } catch {
            throw OutboxError(.directory, path: directory, errno: error.errno, message: error.message)
        }
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw .system(.directory, path: directory, "cannot create the outbox directory", errno: errno)
        }
        try Self.syncDirectory(parent)
    }

    private func syncDirectory() throws(OutboxError) { try Self.syncDirectory(directory) }

    static func syncDirectory(_ path: String) throws(OutboxError) {
        switch DurableDirectory.sync(path) {
        case nil: return
        case let failure? where failure.call == "open":
            throw .system(.sync, path: path, "cannot open the directory to sync it", errno: failure.errno)
        case let failure?:
            throw .system(.sync, path: path, "cannot make the directory durable (fsync)", errno: failure.errno)
        }
    }

    // MARK: One delivery at a time

    /// Takes the outbox's delivery lock (an exclusive `flock` on `.deliver.lock`), so that two
    /// deliveries never send the same entry at once. Released when the returned lock is released or the process ends.
    /// - Throws: ``OutboxError/Code/busy`` when another delivery holds it.
    public func lockForDelivery() throws(OutboxError) -> OutboxLock {
        try makeDirectory()
        let path = path(of: Self.lockName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .system(.directory, path: path, "cannot open the delivery lock", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = systemClose(descriptor)
            if code == EWOULDBLOCK {
                throw OutboxError(
                    .busy, path: path, errno: code, message: "\(directory): another `filet outbox deliver` is delivering this outbox")
            }
            throw .system(.directory, path: path, "cannot lock the outbox", errno: code)
        }
        return OutboxLock(descriptor: descriptor)
    }
}

/// The delivery lock of an outbox, held until ``release()``.
public final class OutboxLock: Sendable {
    private let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Releases the lock (closing its descriptor). Call it once.
    public func release() { _ = systemClose(descriptor) }
}

/// What ``Outbox/scan()`` found: the entries, oldest first, and the files that are not entries.
public struct OutboxScan: Sendable {
    public struct Problem: Sendable, Hashable {
        public enum Kind: String, Sendable {
            /// A `.json` entry file that cannot be read as an entry (damaged, truncated, edited).
            case corrupt
            /// A temporary file left by a write that did not finish (or that is still going on).
            case incomplete
            /// A file that is no part of the outbox.
            case stranger
        }

        /// The file name, in the outbox directory.
        public var file: String
        public var kind: Kind
        public var message: String
    }

    public var entries: [OutboxEntry]
    public var problems: [Problem]
}
