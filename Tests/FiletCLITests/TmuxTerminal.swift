import FiletTestSupport
import Foundation
import Synchronization
import Testing

/// The built `filet` in a real terminal: a detached tmux session on a tmux server of its own (its own socket, in a
/// folder of its own that ``close()`` removes; no configuration file), driven as an operator would, with `send-keys`,
/// and read back with `capture-pane`.
///
/// The command runs through a small script that records its exit status in a file, then keeps the pane open (at most
/// 5 minutes) so that the screen can still be read; ``close()`` kills the pane's processes and the server. Every wait
/// is bounded, and no wait blocks a thread of Swift's cooperative pool (two on this machine).
final class TmuxTerminal: Sendable {
    static var isAvailable: Bool { isInPath("tmux") }

    /// The server's socket (`tmux -S`), unique to this terminal.
    let socket: String
    private let folder: String
    private var statusFile: String { folder + "/status" }
    private var pidFile: String { folder + "/pid" }
    private let captured = Mutex("")

    /// The screen as the last ``screen()`` (or wait) read it: for the messages of failed expectations.
    var lastScreen: String { captured.withLock { $0 } }

    /// Starts `filet arguments` in a `width`×`height` terminal, in `directory`, with the tests' environment
    /// (``FiletProcess/environment(_:unsetting:)``) plus `environment`.
    init(
        _ arguments: [String], environment: [String: String] = [:], directory: URL = FiletProcess.packageRoot, width: Int = 120,
        height: Int = 40
    ) async throws {
        folder = NSTemporaryDirectory() + "/filet-prompt-\(getpid())-\(UUID().uuidString.prefix(8))"
        socket = folder + "/tmux.sock"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The pane's shell leads a session and a process group of its own, which filet and the final sleep share.
        // The locale is the test's to choose: none inherited from the tmux server.
        var script = "echo $$ > \(Self.quoted(folder + "/pid"))\ncd \(Self.quoted(directory.path)) || exit 97\n"
        script += "unset LC_ALL LC_MESSAGES LANG\n"
        // A terminal that draws (whatever TERM the tests run under, `dumb` in some CI), unless the test says otherwise.
        let variables = FiletProcess.environment(["TERM": "screen"].merging(environment) { $1 })
        for (key, value) in variables.sorted(by: { $0.key < $1.key }) where Self.isName(key) {
            script += "export \(key)=\(Self.quoted(value))\n"
        }
        // The script outlives a Ctrl-C typed for filet: a handler of its own (reset to the default in filet), so that
        // sh waits for filet's end instead of dying with the terminal's SIGINT.
        script += "trap : INT\n"
        script += ([FiletProcess.binary.path] + arguments).map(Self.quoted).joined(separator: " ") + "\n"
        script += "echo $? > \(Self.quoted(folder + "/status"))\nexec sleep 300\n"
        let scriptFile = folder + "/run.sh"
        try Data(script.utf8).write(to: URL(fileURLWithPath: scriptFile))
        let started = try await Self.tmux(
            socket, ["new-session", "-d", "-s", "filet", "-x", String(width), "-y", String(height), "/bin/sh " + Self.quoted(scriptFile)])
        if started.status != 0 { close() }
        try #require(started.status == 0, "tmux new-session failed: \(started.output)")
    }

    /// Types `text` (literally) and then Enter.
    func type(_ text: String) async throws {
        if !text.isEmpty { try await Self.tmux(socket, ["send-keys", "-t", "filet", "-l", text]) }
        try await press("Enter")
    }

    /// Presses keys by their tmux names (`Enter`, `C-d`, `C-c`).
    func press(_ keys: String...) async throws {
        try await Self.tmux(socket, ["send-keys", "-t", "filet"] + keys)
    }

    /// Makes the terminal `width` columns wide (SIGWINCH for the program in it).
    func resize(width: Int, height: Int = 40) async throws {
        try await Self.tmux(socket, ["resize-window", "-t", "filet", "-x", String(width), "-y", String(height)])
    }

    /// The screen and its whole scrollback, wrapped lines joined.
    func screen() async -> String {
        let text = (try? await Self.tmux(socket, ["capture-pane", "-p", "-J", "-t", "filet", "-S", "-"]).output) ?? ""
        captured.withLock { $0 = text }
        return text
    }

    /// Polls the screen until it contains `text` `count` times (true), or `limit` passes (false).
    func waitFor(_ text: String, count: Int = 1, within limit: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if await screen().components(separatedBy: text).count - 1 >= count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await screen().components(separatedBy: text).count - 1 >= count
    }

    /// Polls `condition` until it holds (true), or `limit` passes (false).
    func wait(upTo limit: Duration, until condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// ``lastScreen`` as lines, without the blank ones at its end.
    var lastLines: [String] {
        var lines = lastScreen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// The command's exit status once it exited, or nil if it is still running after `limit`; ``lastScreen`` is then
    /// the screen it left.
    func exitStatus(within limit: Duration = .seconds(60)) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        var status: Int32?
        repeat {
            if let text = try? String(contentsOfFile: statusFile, encoding: .utf8),
                let number = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                status = number
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        _ = await screen()
        return status
    }

    /// Kills the pane's process group (its shell, filet, the final sleep) and the tmux server; removes the files.
    /// Synchronous, so that a `defer` can call it: each step is bounded (SIGKILL, then `tmux kill-server`, 5 s).
    func close() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            pid > 1
        {
            kill(-pid, SIGKILL)
        }
        if let server = try? Self.spawn(["tmux", "-S", socket, "-f", "/dev/null", "kill-server"], output: "/dev/null") {
            let deadline = ContinuousClock.now + .seconds(5)
            var status: Int32 = 0
            while waitpid(server, &status, WNOHANG) == 0 && ContinuousClock.now < deadline { usleep(10_000) }
            if ContinuousClock.now >= deadline {
                kill(server, SIGKILL)
                _ = waitpid(server, &status, 0)
            }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: Helpers

    /// Runs `tmux -S socket -f /dev/null -u arguments…` to its end (10 s at most), polled without blocking a thread.
    /// Its output goes to a file, not a pipe: the tmux server it may start keeps descriptors it inherited, and a pipe
    /// would never reach its end.
    @discardableResult
    private static func tmux(_ socket: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "/tmux-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let pid = try spawn(["tmux", "-S", socket, "-f", "/dev/null", "-u"] + arguments, output: outputPath)
        let deadline = ContinuousClock.now + .seconds(10)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), String(decoding: data, as: UTF8.self))
    }

    /// Starts `command` (found in PATH) with stdin from /dev/null, stdout and stderr to the file `output` and no other
    /// descriptor, without
    /// Foundation's `Process`, whose exit monitoring needs a thread of the pool the tests keep busy. Returns its pid.
    private static func spawn(_ command: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else: a tmux server that kept another test's pipe would keep that test waiting for its end.
        // (glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not show.)
        guard let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw POSIXError(.ENOSYS)
        }
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["LC_ALL"] = "C.UTF-8"
        let arguments = (["/usr/bin/env"] + command).map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments + variables { free(pointer) }
        }
        var pid: pid_t = 0
        let code = CleanSpawn.withAttributes { posix_spawn(&pid, "/usr/bin/env", &actions, &$0, arguments, variables) }
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL) }
        return pid
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacing("'", with: "'\\''") + "'" }

    private static func isName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, first.isASCII else { return false }
        return key.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
