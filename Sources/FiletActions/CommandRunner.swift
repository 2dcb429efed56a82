import FiletSupport
import Glibc
import Synchronization

/// Runs the `run` action of a step: `<shell> -c <script>` as a child process in its own process
/// group, its output captured within a limit, and none of its processes left behind.
///
/// Nothing here blocks Swift's cooperative threads: each command has a thread of its own that
/// spawns it and polls (poll(2), no timer) its output pipes, a pidfd that tells the shell's exit
/// (or, without pidfd_open, a pipe written by a second thread blocked in waitid(2)) and a pipe
/// that tells the task's cancellation. Cancelling the calling task (a timeout, Ctrl-C) sends SIGTERM to the
/// whole group, then SIGKILL after ``CommandSpec/terminationGrace``.
public enum CommandRunner: Sendable {
    /// Runs `spec` to its end and returns what happened, whatever the exit status.
    ///
    /// When the shell exits, output is read until every pipe is closed or for at most
    /// ``CommandSpec/drainLimit`` (a `cmd &` that keeps stdout open), then the rest of the
    /// process group is killed with SIGKILL: a step's processes never outlive the step (one that
    /// left the group on purpose, with `setsid` for instance, is swept when ``Subreaper`` is on).
    ///
    /// - Throws: ``CommandError`` only when the command could not be started: an invalid spec,
    ///   a missing shell or working directory, no resources left, or a task already cancelled.
    ///
    /// `progress` is told the command's process group once it started, and (with an `outputLine`) the last complete
    /// line the command wrote (stdout or stderr, ended by a line feed or a carriage return) as it runs, at most every
    /// ``outputLineInterval``. (Passed as an argument, not a task-local value: `TaskLocal.withValue` around this call
    /// crashed optimized builds of Swift 6.3.1 in `swift_task_localValuePush`.)
    public static func run(_ spec: CommandSpec, progress: ActionProgress = .none) async throws(CommandError) -> CommandResult {
        try spec.validate()
        guard !Task.isCancelled else { throw CommandError.cancelledBeforeStart }
        let cancellation = try CancellationSignal()
        defer { cancellation.close() }
        let outcome: Result<CommandResult, CommandError>
        do throws(DedicatedThread.Failure) {
            outcome = try await DedicatedThread.run("filet-command", onCancel: .wake({ cancellation.signal() })) {
                Supervision.run(spec, cancellation: cancellation, onStart: progress.processStarted, outputLines: progress.outputLine)
            }
        } catch {
            let code: Int32 = if case .unavailable(let code) = error { code } else { EAGAIN }
            outcome = .failure(CommandError(.systemResources, "cannot start a thread to run a command", errno: code))
        }
        return try outcome.get()
    }
}

extension CommandRunner {
    /// The shortest time between two output lines passed to a live view.
    public static let outputLineInterval = Duration.milliseconds(250)
}

extension CommandError {
    static let cancelledBeforeStart = CommandError(.cancelledBeforeStart, "the step was cancelled before its command started")
}

/// Tells a command's thread that its task was cancelled, through a pipe that thread polls.
/// Safe to signal from any thread at any time, even after the command ended.
final class CancellationSignal: Sendable {
    private struct State {
        var writeEnd: Int32
        var signalled = false
        var closed = false
    }

    let readEnd: Int32
    private let state: Mutex<State>

    init() throws(CommandError) {
        let pipe = try PipeFDs.make(nonBlocking: true).get()
        readEnd = pipe.read
        state = Mutex(State(writeEnd: pipe.write))
    }

    func signal() {
        state.withLock { state in
            guard !state.signalled, !state.closed else { return }
            state.signalled = true
            var byte: UInt8 = 1
            _ = write(state.writeEnd, &byte, 1)
        }
    }

    var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Closes both ends; later signals do nothing.
    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            Glibc.close(state.writeEnd)
            Glibc.close(readEnd)
        }
    }
}

/// The life of one command, on its own thread: spawn, read, wait, terminate, kill what remains, reap.
private struct Supervision {
    private let spec: CommandSpec
    private let pid: pid_t
    private let exitFD: Int32
    private let cancelFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var stdout: OutputCapture
    private var stderr: OutputCapture
    private var exited = false
    private var cancelled = false
    private var killedAfterGrace = false
    private var drainTimedOut = false
    private var graceDeadline: ContinuousClock.Instant?
    private var drainDeadline: ContinuousClock.Instant?
    /// Where the latest output line goes, and when it went last.
    private let outputLines: (@Sendable (String) -> Void)?
    private var lineSentAt: ContinuousClock.Instant?

    private static let bufferSize = 64 * 1024

    static func run(
        _ spec: CommandSpec, cancellation: CancellationSignal, onStart: (@Sendable (ProcessGroupIdentity) -> Void)?,
        outputLines: (@Sendable (String) -> Void)?
    ) -> Result<CommandResult, CommandError> {
        guard !cancellation.isSignalled else { return .failure(.cancelledBeforeStart) }
        let start = ContinuousClock.now
        let process: ShellProcess
        let tag: String?
        switch CommandRegistry.shared.spawn(spec) {
        case .success(let spawned):
            process = spawned.0
            tag = spawned.tag
        case .failure(let error): return .failure(error)
        }
        // Whatever happens next, what the command left is swept once its shell is reaped.
        defer { if let tag { CommandRegistry.shared.sweep(tag: tag, group: process.pid) } }
        let exitFD: Int32
        switch ExitWatch.start(process.pid) {
        case .success(let fd): exitFD = fd
        case .failure(let error):
            kill(-process.pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(process.pid, &status, 0) < 0, errno == EINTR {}
            CommandRegistry.shared.reaped(process.pid)
            close(process.stdout)
            close(process.stderr)
            return .failure(error)
        }
        onStart?(ProcessGroupIdentity.of(leader: process.pid))
        var supervision = Supervision(
            spec: spec, process: process, exitFD: exitFD, cancelFD: cancellation.readEnd, outputLines: outputLines)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        supervision.superviseUntilDone(buffer: buffer)
        let status = supervision.terminateAndReap(buffer: buffer)
        CommandRegistry.shared.reaped(process.pid)
        let duration = ContinuousClock.now - start
        return .success(supervision.result(status: status, duration: duration))
    }

    private init(spec: CommandSpec, process: ShellProcess, exitFD: Int32, cancelFD: Int32, outputLines: (@Sendable (String) -> Void)?) {
        self.spec = spec
        pid = process.pid
        stdoutFD = process.stdout
        stderrFD = process.stderr
        self.exitFD = exitFD
        self.cancelFD = cancelFD
        stdout = OutputCapture(limit: spec.outputLimit, followsLines: outputLines != nil, secrets: spec.secrets)
        stderr = OutputCapture(limit: spec.outputLimit, followsLines: outputLines != nil, secrets: spec.secrets)
        self.outputLines = outputLines
    }

    /// Reads output and follows events until the shell has exited and its output is closed,
    /// the drain limit has passed, or a cancellation came after the shell's exit.
    private mutating func superviseUntilDone(buffer: UnsafeMutableRawBufferPointer) {
        var fds = [pollfd](repeating: pollfd(), count: 4)
        while true {
            if exited, stdoutFD < 0, stderrFD < 0 { return }
            let now = ContinuousClock.now
            if exited, let drainDeadline, now >= drainDeadline {
                drainTimedOut = true
                return
            }
            if !exited, !killedAfterGrace, let graceDeadline, now >= graceDeadline {
                kill(-pid, SIGKILL)
                killedAfterGrace = true
            }
            var count = 0
            for fd in [stdoutFD, stderrFD, exited ? -1 : exitFD, cancelled ? -1 : cancelFD] where fd >= 0 {
                fds[count] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                count += 1
            }
            var timeout: Int32 = -1
            if exited, let drainDeadline {
                timeout = Self.milliseconds(from: now, to: drainDeadline)
            } else if !killedAfterGrace, let graceDeadline {
                timeout = Self.milliseconds(from: now, to: graceDeadline)
            }
            if let lineDue = sendOutputLine(now: now) {
                timeout = timeout < 0 ? lineDue : min(timeout, lineDue)
            }
            if poll(&fds, nfds_t(count), timeout) < 0 {
                if errno == EINTR { continue }
                return
            }
            for entry in fds[..<count] where entry.revents != 0 {
                switch entry.fd {
                case stdoutFD:
                    if !Self.read(stdoutFD, into: &stdout, buffer: buffer) {
                        close(stdoutFD)
                        stdoutFD = -1
                    }
                case stderrFD:
                    if !Self.read(stderrFD, into: &stderr, buffer: buffer) {
                        close(stderrFD)
                        stderrFD = -1
                    }
                case exitFD:
                    exited = true
                    drainDeadline = ContinuousClock.now + spec.drainLimit
                case cancelFD:
                    cancelled = true
                    if exited { return }
                    // SIGCONT too, so that a stopped process receives the SIGTERM (as systemd does).
                    kill(-pid, SIGTERM)
                    kill(-pid, SIGCONT)
                    graceDeadline = ContinuousClock.now + spec.terminationGrace
                default:
                    break
                }
            }
        }
    }

    /// Passes the newest output line on, unless one went less than ``CommandRunner/outputLineInterval`` ago.
    /// Returns the milliseconds until a line that waits may go, nil when none waits.
    private mutating func sendOutputLine(now: ContinuousClock.Instant) -> Int32? {
        guard let outputLines, stdout.hasNewLine || stderr.hasNewLine else { return nil }
        if let lineSentAt, now < lineSentAt + CommandRunner.outputLineInterval {
            return Self.milliseconds(from: now, to: lineSentAt + CommandRunner.outputLineInterval)
        }
        // The stream that completed a line last has the newest one.
        let line = stdout.newLineTime >= stderr.newLineTime ? stdout.takeNewLine() : stderr.takeNewLine()
        _ = stdout.takeNewLine()
        _ = stderr.takeNewLine()
        lineSentAt = now
        if let line { outputLines(line) }
        return nil
    }

    /// Kills what remains of the process group, keeps the output already written, and reaps the
    /// shell. Returns its wait status, or nil if it could not be reaped.
    private mutating func terminateAndReap(buffer: UnsafeMutableRawBufferPointer) -> Int32? {
        if !exited {
            // Only after a failed poll: end the command and wait for word of its exit.
            kill(-pid, SIGKILL)
            var entry = pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, -1) < 0, errno == EINTR {}
        }
        // The shell is exited but not reaped, so `pid` still names this step's group and no other.
        kill(-pid, SIGKILL)
        // What is already in the pipes; bounded, in case a process outside the group still writes.
        if stdoutFD >= 0 { _ = Self.read(stdoutFD, into: &stdout, buffer: buffer, maxReads: 8) }
        if stderrFD >= 0 { _ = Self.read(stderrFD, into: &stderr, buffer: buffer, maxReads: 8) }
        for fd in [stdoutFD, stderrFD, exitFD] where fd >= 0 { close(fd) }
        stdoutFD = -1
        stderrFD = -1
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) == pid { return status }
            if errno != EINTR { return nil }
        }
    }

    private func result(status: Int32?, duration: Duration) -> CommandResult {
        // The W* macros of <sys/wait.h> are not imported: the low 7 bits hold the signal, 0 for an exit.
        let signal = status.map { $0 & 0x7F }
        return CommandResult(
            exitStatus: signal == 0 ? status.map { ($0 >> 8) & 0xFF } : nil,
            terminatingSignal: signal.flatMap { $0 != 0 && $0 != 0x7F ? $0 : nil },
            wasCancelled: cancelled,
            wasKilledAfterGrace: killedAfterGrace,
            outputDrainTimedOut: drainTimedOut,
            stdout: stdout.finish(),
            stderr: stderr.finish(),
            duration: duration,
            processID: pid
        )
    }

    /// Reads what `fd` holds now into `capture`. Returns false at end of file or on an error.
    private static func read(_ fd: Int32, into capture: inout OutputCapture, buffer: UnsafeMutableRawBufferPointer, maxReads: Int = 4)
        -> Bool
    {
        for _ in 0..<maxReads {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                capture.append(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
                if count < buffer.count { return true }
            } else if count == 0 {
                return false
            } else if errno != EINTR {
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
        }
        return true
    }

    /// A poll(2) timeout: the time left until `deadline`, rounded up to whole milliseconds.
    private static func milliseconds(from now: ContinuousClock.Instant, to deadline: ContinuousClock.Instant) -> Int32 {
        let left = now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return Int32.max }
        return Int32(clamping: milliseconds.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
