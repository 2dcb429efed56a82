import FiletSupport
import FiletTestSupport
import Foundation
import Synchronization
import Testing

/// Runs the built `filet` binary as a subprocess, as an operator or a scheduler would, and says
/// what it did once it exited.
struct FiletProcess: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// stdout and stderr as bytes, for searches that must not depend on decoding.
    var stdoutData: Data
    var stderrData: Data
    /// From the start to the exit, as seen by the test (polled: a few tens of milliseconds late at most).
    var elapsed: Duration

    static var binary: URL {
        // The test bundle sits next to the products of the same build.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("filet").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("filet")
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The environment of every process the tests start: the test's own, without a journal key that the person
    /// running the tests may have exported, in English (`LANG=C.UTF-8`, whatever the locale of the person running the
    /// tests: a test asks for French with `LANG`), plus `environment`, minus `unsetting`.
    static func environment(_ environment: [String: String], unsetting: [String] = []) -> [String: String] {
        var result = ProcessInfo.processInfo.environment
        result["FILET_JOURNAL_KEY"] = nil
        result["LC_ALL"] = nil
        result["LC_MESSAGES"] = nil
        result["LANG"] = "C.UTF-8"
        result.merge(environment) { $1 }
        for name in unsetting { result[name] = nil }
        return result
    }

    /// Runs `filet arguments` to its end, in the package root, with stdin from /dev/null. A process that outlives
    /// `limit` is killed and recorded as an issue, so a hang costs a test, never the suite.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> FiletProcess {
        try await start(arguments, environment: environment, unsetting: unsetting).finish(within: limit, sourceLocation: sourceLocation)
    }

    /// Starts `filet arguments` and returns at once.
    static func start(_ arguments: [String], environment: [String: String] = [:], unsetting: [String] = []) throws -> RunningProcess {
        try RunningProcess(executable: binary.path, arguments: arguments, environment: Self.environment(environment, unsetting: unsetting))
    }
}

/// A child process whose output is collected as it comes, on threads of its own (never on Swift's
/// cooperative pool, which has two threads on this machine).
// @unchecked: Foundation's `Process` is not Sendable; it is only read (`isRunning`, `terminationStatus`) after `run()`.
final class RunningProcess: @unchecked Sendable {
    let pid: pid_t
    let commandLine: String
    private let process: Process
    private let stdout: PipeCollector
    private let stderr: PipeCollector
    private let started = ContinuousClock.now

    init(
        executable: String, arguments: [String], environment: [String: String],
        directory: URL = FiletProcess.packageRoot
    ) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        pid = process.processIdentifier
        commandLine = ([executable] + arguments).joined(separator: " ")
        stdout = PipeCollector(out)
        stderr = PipeCollector(err)
    }

    var isRunning: Bool { process.isRunning }

    /// What the process has written to stdout so far.
    var stdoutSoFar: String { String(decoding: stdout.data, as: UTF8.self) }

    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Polls `condition` until it holds (true), or the process exits or `limit` passes (false).
    func wait(upTo limit: Duration, until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return condition()
    }

    /// Waits for the exit for at most `limit`; past it, kills the process with SIGKILL and records an issue.
    func finish(within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) async -> FiletProcess {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            Issue.record("\(commandLine) did not exit within \(limit): killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        let elapsed = ContinuousClock.now - started
        // Output ends when the last writer closes the pipe; a process left behind that still holds it must not hang the test.
        let out = await stdout.finish(within: .seconds(10))
        let err = await stderr.finish(within: .seconds(10))
        return FiletProcess(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self), stdoutData: out, stderrData: err, elapsed: elapsed)
    }
}

/// Reads one pipe to its end on a dedicated thread.
private final class PipeCollector: Sendable {
    private struct State {
        var data = Data()
        var done = false
    }

    private let state = Mutex(State())

    init(_ pipe: Pipe) {
        let fd = pipe.fileHandleForReading.fileDescriptor
        DedicatedThread.start("pipe-collector") { [self] in
            _ = pipe  // keeps the descriptors open while the thread reads
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                self.state.withLock { $0.data.append(contentsOf: buffer[..<count]) }
            }
            self.state.withLock { $0.done = true }
        }
    }

    var data: Data { state.withLock { $0.data } }

    func finish(within limit: Duration) async -> Data {
        let deadline = ContinuousClock.now + limit
        while !state.withLock({ $0.done }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return data
    }
}

/// A fresh directory under the system's temporary directory, for one test's runbook, journals and markers.
struct TestDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("filet-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The journal directory passed with `--journal`.
    var journal: String { path("journal") }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    func contents(_ name: String) -> String? { try? String(contentsOfFile: path(name), encoding: .utf8) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// One folder per test process for the files of ``temporaryFile(_:name:)``, removed when the process exits.
private let scratchFolder: String = {
    let path = NSTemporaryDirectory() + "/filet-cli-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/filet-cli-\(getpid())") }
    return path
}()

/// Writes a small runbook into a fresh folder of this test process's scratch folder.
func temporaryFile(_ text: String, name: String = "runbook.yaml") throws -> String {
    let folder = scratchFolder + "/" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// One journal file as written: its bytes, its lines and its records parsed as JSON.
struct JournalFile {
    let path: String
    let data: Data
    /// Each line's bytes, without the line feed (a torn last line included).
    let lines: [Data]
    let records: [[String: Any]]

    init(path: String) throws {
        self.path = path
        data = try Data(contentsOf: URL(fileURLWithPath: path))
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        self.lines = lines
        records = lines.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// The `.jsonl` files of a journal directory, oldest first (run ids sort by time).
    static func paths(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { directory + "/" + $0 }
    }

    /// The only journal of a directory.
    static func only(in directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JournalFile {
        let paths = paths(in: directory)
        try #require(paths.count == 1, "expected one journal in \(directory), found \(paths)", sourceLocation: sourceLocation)
        return try JournalFile(path: paths[0])
    }

    var types: [String] { records.compactMap { $0["type"] as? String } }

    /// The run id, as its first record says.
    var runID: String { records.first?["run"] as? String ?? "?" }

    func records(_ type: String, step: String? = nil) -> [[String: Any]] {
        records.filter { $0["type"] as? String == type && (step == nil || $0["step"] as? String == step) }
    }

    /// Whether the journal in `directory` already has a record of `type` (for `step`): read as the run writes it.
    static func shows(_ type: String, step: String? = nil, in directory: String) -> Bool {
        paths(in: directory).contains { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
            return text.split(separator: "\n").contains { line in
                line.contains("\"type\":\"\(type)\"") && (step.map { line.contains("\"step\":\"\($0)\"") } ?? true)
            }
        }
    }
}

extension Data {
    func contains(_ text: String) -> Bool { range(of: Data(text.utf8)) != nil }
}

/// Processes the tests start through a runbook's shell (`echo $$ > PIDFILE; exec sleep 300`).
enum ChildProcess {
    /// The pid written by a step's script, once the file holds one.
    static func pid(in path: String) -> pid_t? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Gone: no such process (ESRCH), or a zombie waiting for a parent that is not filet anymore.
    static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 { return errno == ESRCH }
        return state(pid) == "Z"
    }

    /// The state letter of /proc/PID/stat (R, S, Z…).
    static func state(_ pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
    }

    /// Waits a little for a process to be gone (its killer may still be reaping it).
    static func becomesGone(_ pid: pid_t, within limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !isGone(pid), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(25)) }
        return isGone(pid)
    }

    /// Cleans up after a failed test: kills `pid` if it is still a `sleep` (never another process that reused the pid).
    static func killLeftoverSleep(_ pid: pid_t?) {
        guard let pid, !isGone(pid),
            let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8), command.hasPrefix("sleep")
        else { return }
        kill(pid, SIGKILL)
    }
}
