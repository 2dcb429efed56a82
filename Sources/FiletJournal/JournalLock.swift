import FiletSupport
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process that holds, or held, a journal's lock, as the lock file names it (and `run.resumed`'s
/// `lock_taken_over` records it).
public struct JournalLockHolder: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int
    public var host: String
    /// When it took the lock: UTC, RFC 3339 with milliseconds.
    public var started: String
    /// The boot it ran in (`/proc/sys/kernel/random/boot_id`); nil when unknown.
    public var bootID: String?
    /// Its start time, in clock ticks after boot (field 22 of `/proc/PID/stat`); nil when unknown.
    public var processStart: Int?

    package init(pid: Int, host: String, started: String, bootID: String?, processStart: Int?) {
        self.pid = pid
        self.host = host
        self.started = started
        self.bootID = bootID
        self.processStart = processStart
    }

    /// This process, now.
    static func current() -> JournalLockHolder {
        var started: [UInt8] = []
        UTCTime.appendRFC3339(UTCTime.nowMilliseconds(), to: &started)
        let pid = getpid()
        return JournalLockHolder(
            pid: Int(pid), host: ProcessInfo.processInfo.hostName, started: String(decoding: started, as: UTF8.self),
            bootID: ProcFiles.bootID, processStart: ProcFiles.stat(of: pid)?.startTicks)
    }

    /// Whether it still runs, as far as this machine can tell: a holder on another host is taken to run; one on this
    /// host runs while its pid does, in the same boot and with the same start time.
    var isRunning: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return true }
        if let bootID, let now = ProcFiles.bootID, bootID != now { return false }
        guard let pid = Int32(exactly: pid), let stat = ProcFiles.stat(of: pid), stat.state != "Z" else { return false }
        return processStart.map { $0 == stat.startTicks } ?? true
    }

    /// `pid 4242 on host db-1, since 2026-11-29T08:15:02.123Z`.
    public var description: String { "pid \(pid) on host \(host), since \(started)" }

    var json: JSONValue {
        .object([
            ("pid", .integer(pid)), ("host", .string(host)), ("started", .string(started)), ("boot_id", .optional(bootID)),
            ("process_start", .optionalInteger(processStart)),
        ])
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            pid: fields.integer("pid"), host: fields.string("host"), started: fields.string("started"),
            bootID: fields.optionalString("boot_id"), processStart: fields.optionalInteger("process_start"))
    }

    /// The holder a lock file names: one line of JSON; nil for an empty file or one that names nobody.
    init?(lockFile bytes: [UInt8]) {
        guard case .object(let members)? = try? JSONValue(parsing: bytes),
            let holder = try? JournalLockHolder(RecordFields(line: 1, type: "lock", members: members))
        else { return nil }
        self = holder
    }
}

/// The one writer of a journal: an exclusive `flock(2)` on `JOURNAL.lock`, a file that names its holder in one line
/// of JSON (``JournalLockHolder``). ``JournalWriter`` holds it from before the journal is created or read until the
/// journal is closed; the kernel releases it when its holder dies, however it dies, and the lock file then still names
/// that holder: the next writer takes the lock over and says so (``takenOver``).
public final class JournalLock: Sendable {
    /// The lock file: the journal's path and `.lock`.
    public let path: String
    /// The holder the lock file named when this lock was taken: one that ended without giving it back (killed, or its
    /// machine stopped). nil when the lock was free.
    public let takenOver: JournalLockHolder?
    private let descriptor: Int32
    /// The lock file's bytes as they were found, which ``releaseUnwritten()`` puts back.
    private let found: [UInt8]
    private let released = Mutex(false)

    private init(path: String, descriptor: Int32, found: [UInt8]) {
        self.path = path
        self.descriptor = descriptor
        self.found = found
        self.takenOver = JournalLockHolder(lockFile: found)
    }

    deinit { finish(restoring: true) }

    /// Takes the lock of the journal at `journal` (which need not exist yet) and writes this process's name into the
    /// lock file, durably.
    /// - Throws: ``JournalError/Kind/locked`` when another process holds it, naming that process; else
    ///   ``JournalError/Kind/create`` when the lock file cannot be created, locked or written.
    public static func acquire(journal: String) throws(JournalError) -> JournalLock {
        let path = journal + ".lock"
        // A holder that gives the lock back removes the file: the one opened may be gone by the time it is locked.
        for _ in 0..<16 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else {
                throw JournalError.system(.create, path: path, "cannot create the journal's lock file", errno: errno)
            }
            switch lock(descriptor) {
            case .locked:
                break
            case .held(let holder):
                _ = systemClose(descriptor)
                throw held(journal: journal, by: holder)
            case .failed(let code):
                _ = systemClose(descriptor)
                throw JournalError.system(.create, path: path, "cannot lock the journal", errno: code)
            }
            guard isStill(descriptor, at: path) else {
                _ = systemClose(descriptor)
                continue
            }
            let lock = JournalLock(path: path, descriptor: descriptor, found: contents(of: descriptor))
            let line = Array((JournalLockHolder.current().json.rendered(pretty: false) + "\n").utf8)
            if let code = replaceContents(of: descriptor, with: line) {
                lock.finish(restoring: true)
                throw JournalError.system(.create, path: path, "cannot write the journal's lock file", errno: code)
            }
            do throws(JournalError) { try JournalWriter.syncDirectory(FilePaths.parent(of: path)) } catch {
                lock.finish(restoring: true)
                throw error
            }
            return lock
        }
        throw JournalError(.create, path: path, message: "\(path): the journal's lock file keeps being replaced; try again")
    }

    /// Gives the lock up once its journal is closed: the lock file is removed (durably), then unlocked. A failure is
    /// not reported: the next writer would only take over a lock whose holder is gone.
    public func release() { finish(restoring: false) }

    /// Gives the lock up when nothing was written under it (a refused resume): the lock file is left as it was found,
    /// so that a holder that ended without giving it back is still there for the next writer to record.
    public func releaseUnwritten() { finish(restoring: true) }

    private func finish(restoring: Bool) {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        if restoring && !found.isEmpty {
            _ = Self.replaceContents(of: descriptor, with: found)
        } else {
            unlink(path)
            _ = DurableDirectory.sync(FilePaths.parent(of: path))
        }
        _ = systemClose(descriptor)
    }

    /// The refusal that names who holds the lock.
    private static func held(journal: String, by holder: JournalLockHolder?) -> JournalError {
        let who = holder.map { "(\($0))" } ?? "(its lock file names none that runs)"
        return JournalError(
            .locked, path: journal,
            message: """
                \(journal) is being written by another filet \(who): a journal has one writer at a time, and a run or a resume \
                holds its journal until it ends; wait for that one to end
                """)
    }

    private enum Attempt {
        case locked
        /// Another process holds the lock: the one the lock file names, when it runs.
        case held(by: JournalLockHolder?)
        case failed(errno: Int32)
    }

    /// Takes the `flock` of `descriptor`, trying again for up to a second while the lock file names no holder that
    /// runs: a new holder writes its name just after it took the lock, and a child being started holds a copy of its
    /// parent's lock until it runs its program.
    private static func lock(_ descriptor: Int32) -> Attempt {
        let deadline = ContinuousClock.now + .seconds(1)
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return .locked }
            let code = errno
            guard code == EWOULDBLOCK else { return .failed(errno: code) }
            if let holder = JournalLockHolder(lockFile: contents(of: descriptor)), holder.isRunning { return .held(by: holder) }
            if ContinuousClock.now >= deadline { return .held(by: nil) }
            usleep(10_000)
        }
    }

    /// Whether `descriptor` is still the file at `path` (a holder that released the lock removed it).
    private static func isStill(_ descriptor: Int32, at path: String) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    /// The whole file (a lock file: a line).
    private static func contents(of descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(bytes.count)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// The file's bytes replaced by `bytes`, durably; the errno of the call that failed, or nil.
    private static func replaceContents(of descriptor: Int32, with bytes: [UInt8]) -> Int32? {
        guard ftruncate(descriptor, 0) == 0 else { return errno }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { return written < 0 ? errno : EIO }
        return fsync(descriptor) == 0 ? nil : errno
    }
}
