import Crypto
import FiletActions
import FiletTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real processes, no mocks. Time bounds are loose: the machine is shared and noisy.
@Suite struct CommandRunnerTests {
    static let path = "/usr/local/bin:/usr/bin:/bin"

    func spec(_ script: String, environment: [String: String] = ["PATH": path]) -> CommandSpec {
        CommandSpec(script: script, environment: environment)
    }

    // MARK: Exit and output

    @Test func reportsTheExitStatus() async throws {
        let success = try await CommandRunner.run(spec("exit 0"))
        #expect(success.exitStatus == 0)
        #expect(success.terminatingSignal == nil)
        #expect(success.succeeded)
        #expect(!success.wasCancelled)
        #expect(success.processID > 0)

        let failure = try await CommandRunner.run(spec("exit 3"))
        #expect(failure.exitStatus == 3)
        #expect(!failure.succeeded)

        let killed = try await CommandRunner.run(spec("kill -KILL $$"))
        #expect(killed.exitStatus == nil)
        #expect(killed.terminatingSignal == SIGKILL)
    }

    @Test func capturesStdoutAndStderrSeparately() async throws {
        let result = try await CommandRunner.run(spec("echo out; echo err >&2; printf 'no line feed'"))
        #expect(result.stdout.text == "out\nno line feed")
        #expect(result.stderr.text == "err\n")
        #expect(result.stdout.totalBytes == 16)
        #expect(result.stdout.sha256 == sha256(Array("out\nno line feed".utf8)))
        #expect(!result.stdout.truncated)
        #expect(result.stdout.droppedBytes == 0)
        #expect(result.stdout.lines == ["out", "no line feed"])
        #expect(result.stderr.lines == ["err"])
    }

    @Test func emptyOutputHasTheHashOfNothing() async throws {
        let result = try await CommandRunner.run(spec("true"))
        #expect(result.stdout.text.isEmpty)
        #expect(result.stdout.totalBytes == 0)
        #expect(result.stdout.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(result.stdout.lastLine.isEmpty)
    }

    @Test func truncatesHugeOutputToWholeLinesFromItsStartAndEnd() async throws {
        let lineCount = 200_000
        let result = try await CommandRunner.run(spec("yes 0123456789 | head -n \(lineCount)"))
        let output = result.stdout
        let expected = Array(String(repeating: "0123456789\n", count: lineCount).utf8)
        #expect(output.totalBytes == lineCount * 11)
        #expect(output.sha256 == sha256(expected))
        #expect(output.truncated)
        let marker = CapturedOutput.truncationMarker(droppedBytes: output.droppedBytes)
        let lines = output.lines
        #expect(lines.filter { $0 == marker }.count == 1)
        #expect(lines.allSatisfy { $0 == "0123456789" || $0 == marker })
        // Every byte is either kept (whole lines) or counted as dropped.
        #expect((lines.count - 1) * 11 + output.droppedBytes == output.totalBytes)
        // Head and tail each keep nearly half of the 64 KiB limit.
        let markerIndex = try #require(lines.firstIndex(of: Substring(marker)))
        #expect(markerIndex * 11 > 32 * 1024 - 11)
        #expect((lines.count - 1 - markerIndex) * 11 > 32 * 1024 - 22)
        #expect(output.text.utf8.count < 64 * 1024 + 100)
        #expect(output.lastLine == "0123456789")
    }

    @Test func truncatesOneEndlessLineAtTheMarker() async throws {
        let size = 3_000_000
        let result = try await CommandRunner.run(spec("head -c \(size) /dev/zero | tr '\\0' a"))
        let output = result.stdout
        #expect(output.totalBytes == size)
        #expect(output.sha256 == sha256([UInt8](repeating: UInt8(ascii: "a"), count: size)))
        #expect(output.truncated)
        #expect(output.droppedBytes == size - 64 * 1024)
        let half = String(repeating: "a", count: 32 * 1024)
        #expect(output.text == half + "\n…[\(size - 64 * 1024) bytes not kept]…\n" + half)
        #expect(output.lastLine == String(repeating: "a", count: CapturedOutput.lastLineLimit))
    }

    @Test func honoursASmallerOutputLimit() async throws {
        var small = spec("for i in 1 2 3 4 5 6 7 8 9; do echo line$i; done")
        small.outputLimit = 24
        let output = try await CommandRunner.run(small).stdout
        #expect(output.totalBytes == 54)
        #expect(output.lines == ["line1", "line2", "…[30 bytes not kept]…", "line8", "line9"])
        #expect(output.droppedBytes == 30)
    }

    @Test func keepsTheLastNonBlankLine() async throws {
        let trailingBlanks = try await CommandRunner.run(spec("printf 'one\\n  two  \\n\\n \\t \\n'; echo warn >&2"))
        #expect(trailingBlanks.stdout.lastLine == "two")
        #expect(trailingBlanks.stderr.lastLine == "warn")
        let noLineFeed = try await CommandRunner.run(spec("printf 'a\\nb'"))
        #expect(noLineFeed.stdout.lastLine == "b")
        let crlf = try await CommandRunner.run(spec("printf 'x\\r\\ny\\r\\n'"))
        #expect(crlf.stdout.lastLine == "y")
        let none = try await CommandRunner.run(spec("printf '\\n\\n'"))
        #expect(none.stdout.lastLine == "")
    }

    @Test func decodesInvalidUTF8WithReplacement() async throws {
        let result = try await CommandRunner.run(spec("printf 'caf\\303\\251 \\377\\n'"))
        #expect(result.stdout.text == "café \u{FFFD}\n")
        #expect(result.stdout.totalBytes == 8)
    }

    // MARK: What the child receives

    @Test func environmentIsExactlyWhatWasPassed() async throws {
        setenv("FILET_TEST_OWN_VARIABLE", "must not leak", 1)
        let environment = ["PATH": Self.path, "FILET_STEP_VALUE": "a b=c", "LANG": "C.UTF-8"]
        let result = try await CommandRunner.run(spec("env", environment: environment))
        // The shell itself exports PWD; nothing else may appear.
        let lines = Set(result.stdout.lines.map(String.init).filter { !$0.hasPrefix("PWD=") })
        #expect(lines == ["PATH=\(Self.path)", "FILET_STEP_VALUE=a b=c", "LANG=C.UTF-8"])
        #expect(!result.stdout.text.contains("FILET_TEST_OWN_VARIABLE"))
    }

    @Test func minimalEnvironmentKeepsOnlyTheAllowList() {
        let base = ["PATH": "/opt/bin", "HOME": "/home/x", "LANG": "fr_FR.UTF-8", "TZ": "Europe/Paris", "AWS_SECRET": "s", "LC_ALL": "C"]
        let environment = CommandRunner.minimalEnvironment(from: base, adding: ["STEP": "1", "HOME": "/srv"])
        #expect(
            environment == ["PATH": "/opt/bin", "HOME": "/srv", "LANG": "fr_FR.UTF-8", "TZ": "Europe/Paris", "LC_ALL": "C", "STEP": "1"])
        #expect(CommandRunner.minimalEnvironment(from: ["USER": "x"], adding: [:]) == ["PATH": "/usr/local/bin:/usr/bin:/bin"])
    }

    @Test func inheritsNoFileDescriptorBeyondTheStandardOnes() async throws {
        // Deliberately without O_CLOEXEC: the child must not see it all the same.
        let fd = open("/etc/passwd", O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let result = try await CommandRunner.run(spec("ls /proc/self/fd"))
        // 3 is the directory that ls itself reads.
        #expect(result.stdout.lines == ["0", "1", "2", "3"])
    }

    @Test func stdinIsDevNull() async throws {
        let result = try await CommandRunner.run(spec("readlink /proc/self/fd/0; cat; echo end"))
        #expect(result.stdout.text == "/dev/null\nend\n")
    }

    @Test func runsInTheWorkingDirectory() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var inDirectory = spec("pwd -P")
        inDirectory.workingDirectory = directory
        let result = try await CommandRunner.run(inDirectory)
        #expect(result.stdout.lastLine == URL(fileURLWithPath: directory).resolvingSymlinksInPath().path)
    }

    @Test func findsABareShellNameInThePath() async throws {
        var bare = spec("echo $0")
        bare.shell = "sh"
        let result = try await CommandRunner.run(bare)
        #expect(result.exitStatus == 0)
        #expect(result.stdout.lastLine.hasSuffix("/sh"))
    }

    // MARK: Errors

    @Test func reportsAMissingShell() async throws {
        var missing = spec("true")
        missing.shell = "/nonexistent/filet-sh"
        let error = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(missing) })
        #expect(error.code == .shellUnavailable)
        #expect(error.path == "/nonexistent/filet-sh")
        #expect(error.errno == ENOENT)
        #expect(error.description == "cannot run the shell '/nonexistent/filet-sh': No such file or directory")

        missing.shell = "filet-no-such-shell"
        let notInPath = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(missing) })
        #expect(notInPath.code == .shellUnavailable)
        #expect(notInPath.description.contains("not found in PATH"))

        missing.shell = "/etc/passwd"
        let notExecutable = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(missing) })
        #expect(notExecutable.code == .shellUnavailable)
        #expect(notExecutable.errno == EACCES)
    }

    @Test func reportsAMissingWorkingDirectory() async throws {
        var missing = spec("true")
        missing.workingDirectory = "/nonexistent/filet-dir"
        let error = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(missing) })
        #expect(error.code == .workingDirectoryUnavailable)
        #expect(error.path == "/nonexistent/filet-dir")
        #expect(error.description == "cannot use the working directory '/nonexistent/filet-dir': No such file or directory")

        missing.workingDirectory = "/etc/passwd"
        let notADirectory = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(missing) })
        #expect(notADirectory.code == .workingDirectoryUnavailable)
        #expect(notADirectory.errno == ENOTDIR)
    }

    @Test func rejectsWhatAProcessCannotReceive() async throws {
        for environment in [["A=B": "x"], ["": "x"], ["A": "x\0y"]] {
            let error = try #require(
                await #expect(throws: CommandError.self) { try await CommandRunner.run(spec("true", environment: environment)) })
            #expect(error.code == .invalidSpec)
        }
        let error = try #require(await #expect(throws: CommandError.self) { try await CommandRunner.run(spec("echo \0")) })
        #expect(error.description == "the script contains a NUL byte, which a process cannot receive")
    }

    @Test func doesNotStartWhenAlreadyCancelled() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let touched = spec("touch \(directory)/ran")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await CommandRunner.run(touched)
        }
        let error = try #require(await #expect(throws: CommandError.self) { try await task.value })
        #expect(error.code == .cancelledBeforeStart)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/ran"))
    }

    // MARK: Cancellation and leftovers

    @Test func cancellationKillsTheWholeProcessTree() async throws {
        let (task, group) = try await start("sleep 300 & sleep 300 & sh -c 'sleep 300 & sleep 300 & wait' & wait", expecting: 6)
        task.cancel()
        let result = try await task.value
        #expect(result.wasCancelled)
        #expect(result.terminatingSignal == SIGTERM)
        #expect(!result.wasKilledAfterGrace)
        #expect(result.processID == group)
        #expect(await noLiveProcess(inGroup: group))
    }

    @Test func terminationGraceLetsATrappingScriptCleanUp() async throws {
        let script = "trap 'echo cleaning; sleep 0.3; echo cleaned; exit 0' TERM; sleep 300 & wait"
        let (task, group) = try await start(script, expecting: 2, grace: .seconds(20))
        task.cancel()
        let result = try await task.value
        #expect(result.wasCancelled)
        #expect(result.exitStatus == 0)
        #expect(result.terminatingSignal == nil)
        #expect(!result.wasKilledAfterGrace)
        #expect(Array(result.stdout.lines.suffix(2)) == ["cleaning", "cleaned"])
        #expect(!result.succeeded)
        #expect(await noLiveProcess(inGroup: group))
    }

    @Test func killsAfterTheGraceAScriptThatIgnoresTerm() async throws {
        let (task, group) = try await start("trap '' TERM; while :; do sleep 1; done", expecting: 2, grace: .milliseconds(500))
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let result = try await task.value
        let elapsed = ContinuousClock.now - cancelledAt
        #expect(result.wasCancelled)
        #expect(result.wasKilledAfterGrace)
        #expect(result.terminatingSignal == SIGKILL)
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < .seconds(60))
        #expect(await noLiveProcess(inGroup: group))
    }

    @Test func aBackgroundProcessHoldingStdoutDoesNotHoldTheRunner() async throws {
        let started = ContinuousClock.now
        let result = try await CommandRunner.run(spec("sleep 300 & echo started"))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(60), "the background sleep 300 must not hold the runner")
        #expect(elapsed >= .milliseconds(900))  // the drain limit, 1 s, was waited for
        #expect(result.exitStatus == 0)
        #expect(result.outputDrainTimedOut)
        #expect(!result.wasCancelled)
        #expect(result.stdout.text == "started\n")
        #expect(await noLiveProcess(inGroup: result.processID))
    }

    @Test func aBackgroundProcessWithoutOutputIsKilledAtOnce() async throws {
        let started = ContinuousClock.now
        let result = try await CommandRunner.run(spec("sleep 300 >/dev/null 2>&1 & echo $!"))
        #expect(ContinuousClock.now - started < .seconds(60), "the background sleep 300 must not hold the runner")
        #expect(!result.outputDrainTimedOut)
        #expect(result.exitStatus == 0)
        let sleeper = try #require(Int32(result.stdout.lastLine))
        #expect(await noLiveProcess(inGroup: result.processID))
        #expect(await waitUntil { !isAlive(sleeper) })
    }

    @Test func keepsOutputWrittenByABackgroundProcessWithinTheDrainLimit() async throws {
        let result = try await CommandRunner.run(spec("(sleep 0.2; echo late) & echo early"))
        #expect(result.stdout.lines == ["early", "late"])
        #expect(!result.outputDrainTimedOut)
    }

    @Test func runsManyCommandsAtOnceWithoutBlockingTheCooperativePool() async throws {
        // Eight commands that each wait until all eight have started: on a two-thread pool, a runner
        // that blocked its thread while waiting would never let the last six start (each gives up after 30 s).
        let barrier = FileManager.default.temporaryDirectory.appendingPathComponent("filet-barrier-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: barrier, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: barrier) }
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                let script =
                    "touch \(barrier)/\(index); i=0; while [ $(ls \(barrier) | wc -l) -lt 8 ] && [ $i -lt 300 ]; do "
                    + "sleep 0.1; i=$((i+1)); done; ls \(barrier) | wc -l"
                group.addTask { try await CommandRunner.run(self.spec(script)).stdout.lastLine }
            }
            return try await group.reduce(into: [String]()) { $0.append($1.trimmingCharacters(in: .whitespaces)) }
        }
        #expect(outputs == Array(repeating: "8", count: 8), "every command saw all eight running at once")
    }

    // MARK: Helpers

    /// Starts `script` in a task and waits until its process group has `count` live processes.
    private func start(_ script: String, expecting count: Int, grace: Duration = .seconds(2)) async throws -> (
        Task<CommandResult, any Error>, Int32
    ) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mark = "\(directory)/group"
        var command = spec("echo $$ > \(mark).tmp && mv \(mark).tmp \(mark); " + script)
        command.terminationGrace = grace
        let task = Task { try await CommandRunner.run(command) }
        var group: Int32?
        let ready = await waitUntil {
            group =
                group
                ?? (try? String(contentsOfFile: mark, encoding: .utf8)).flatMap {
                    Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            return group.map { liveProcesses(inGroup: $0).count >= count } ?? false
        }
        guard ready, let group else {
            task.cancel()
            throw TestFailure("the script did not start its \(count) processes in time")
        }
        return (task, group)
    }

    private func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/filet-command-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        return String(cString: made)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func sha256(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// Polls `condition` every 20 ms for up to `seconds`.
func waitUntil(seconds: Double = 60, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// The processes of `group` that are not zombies, read from /proc (a zombie that init has not
/// reaped yet still answers `kill(-group, 0)`).
func liveProcesses(inGroup group: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
        let stat = String(decoding: data, as: UTF8.self)
        guard let nameEnd = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")  // state, ppid, pgrp, ...
        return fields.count > 2 && fields[0] != "Z" && fields[0] != "X" && Int32(fields[2]) == group
    }
}

func noLiveProcess(inGroup group: Int32) async -> Bool {
    await waitUntil(seconds: 5) { kill(-group, 0) != 0 && errno == ESRCH || liveProcesses(inGroup: group).isEmpty }
}

func isAlive(_ pid: Int32) -> Bool {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
    let stat = String(decoding: data, as: UTF8.self)
    guard let nameEnd = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: nameEnd)...].split(separator: " ").first
    return state != "Z" && state != "X"
}
