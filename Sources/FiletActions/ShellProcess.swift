import FiletSupport
import Glibc

/// A shell started with posix_spawn, leader of its own process group (its pid is the group ID),
/// with the read ends of its stdout and stderr pipes (close-on-exec, non-blocking).
struct ShellProcess {
    let pid: pid_t
    let stdout: Int32
    let stderr: Int32

    /// Starts `<shell> -c <script>` as ``CommandSpec`` describes. Blocks for the fork and exec
    /// (about a millisecond): call it from a thread of filet's own, not from the cooperative pool.
    static func spawn(_ spec: CommandSpec) -> Result<ShellProcess, CommandError> {
        let shell: String
        switch resolve(shell: spec.shell, path: spec.environment["PATH"] ?? CommandRunner.defaultPath) {
        case .success(let path): shell = path
        case .failure(let error): return .failure(error)
        }
        let out: (read: Int32, write: Int32)
        let err: (read: Int32, write: Int32)
        switch PipeFDs.make() {
        case .success(let pipe): out = pipe
        case .failure(let error): return .failure(error)
        }
        switch PipeFDs.make() {
        case .success(let pipe): err = pipe
        case .failure(let error):
            close(out.read)
            close(out.write)
            return .failure(error)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        if let directory = spec.workingDirectory {
            guard let addChdir = SpawnExtensions.addChdir else {
                for descriptor in [out.read, out.write, err.read, err.write] { close(descriptor) }
                return .failure(
                    CommandError(
                        .spawnFailed, "this C library cannot start a process in another directory (glibc 2.29 or later is needed)",
                        path: directory))
            }
            _ = addChdir(&actions, directory)
        }
        // Every descriptor of filet beyond 0, 1, 2 is closed in the child, even one that another
        // library opened without close-on-exec. (Ours are close-on-exec anyway.)
        if let addCloseFrom = SpawnExtensions.addCloseFrom { _ = addCloseFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        // The command starts with no signal blocked and every signal at its default: not what filet ignores (SIGXFSZ,
        // SIGINT and SIGTERM while its signal watcher runs) nor what it catches. Every bit is set by hand, because
        // sigfillset leaves out glibc's own two real-time signals (32 and 33), which posix_spawn would then leave
        // ignored in the command (and in all it starts).
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        withUnsafeMutableBytes(of: &allSignals) { bytes in for index in bytes.indices { bytes[index] = 0xFF } }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        var environment = spec.environment.map { "\($0.key)=\($0.value)" }
        environment.sort()
        var pid: pid_t = 0
        let status = withCStrings([shell, "-c", spec.script]) { argv in
            withCStrings(environment) { envp in posix_spawn(&pid, shell, &actions, &attributes, argv, envp) }
        }
        close(out.write)
        close(err.write)
        guard status == 0 else {
            close(out.read)
            close(err.read)
            return .failure(diagnose(status, shell: shell, workingDirectory: spec.workingDirectory))
        }
        return .success(ShellProcess(pid: pid, stdout: out.read, stderr: err.read))
    }

    /// The shell's path: as given when it has a slash, otherwise the first executable of that name in `path`.
    private static func resolve(shell: String, path: String) -> Result<String, CommandError> {
        guard !shell.contains("/") else { return .success(shell) }
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + shell
            if access(candidate, X_OK) == 0 { return .success(candidate) }
        }
        return .failure(CommandError(.shellUnavailable, "cannot run the shell '\(shell)': not found in PATH (\(path))", path: shell))
    }

    /// Turns posix_spawn's error number into an error that names the culprit: the working directory
    /// if it cannot be entered, otherwise the shell.
    private static func diagnose(_ status: Int32, shell: String, workingDirectory: String?) -> CommandError {
        if let directory = workingDirectory {
            var info = stat()
            if stat(directory, &info) != 0 {
                return CommandError(
                    .workingDirectoryUnavailable, "cannot use the working directory '\(directory)'", path: directory, errno: errno)
            }
            if info.st_mode & S_IFMT != S_IFDIR {
                return CommandError(
                    .workingDirectoryUnavailable, "cannot use the working directory '\(directory)'", path: directory, errno: ENOTDIR)
            }
            if access(directory, X_OK) != 0 {
                return CommandError(
                    .workingDirectoryUnavailable, "cannot use the working directory '\(directory)'", path: directory, errno: errno)
            }
        }
        switch status {
        case ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, ENAMETOOLONG, EPERM, ETXTBSY, EISDIR:
            return CommandError(.shellUnavailable, "cannot run the shell '\(shell)'", path: shell, errno: status)
        case EAGAIN, ENOMEM, EMFILE, ENFILE:
            return CommandError(.systemResources, "cannot start '\(shell)'", path: shell, errno: status)
        default:
            return CommandError(.spawnFailed, "cannot start '\(shell)'", path: shell, errno: status)
        }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}

/// Tells when a process has exited, without reaping it: until it is reaped, its process group ID
/// cannot be reused, so a last kill of the group reaches only the step's processes.
enum ExitWatch {
    typealias PidFDOpen = @convention(c) (pid_t, UInt32) -> Int32

    /// `pidfd_open`, glibc 2.36 and later (Linux 5.3).
    private static let pidFDOpen: PidFDOpen? = dlsym(nil, "pidfd_open").map { unsafeBitCast($0, to: PidFDOpen.self) }

    /// A descriptor that becomes readable when `pid` exits: a pidfd where the system has them,
    /// otherwise the read end of a pipe written by a thread blocked in waitid(WNOWAIT).
    static func start(_ pid: pid_t, usePidFD: Bool = true) -> Result<Int32, CommandError> {
        if usePidFD, let pidFDOpen {
            let fd = pidFDOpen(pid, 0)  // close-on-exec by definition
            if fd >= 0 { return .success(fd) }
        }
        let pipe: (read: Int32, write: Int32)
        switch PipeFDs.make(nonBlocking: true) {
        case .success(let made): pipe = made
        case .failure(let error): return .failure(error)
        }
        let write = pipe.write
        let status = DedicatedThread.start("filet-exit-watch") {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            var byte: UInt8 = 1
            _ = Glibc.write(write, &byte, 1)
            close(write)
        }
        guard status == 0 else {
            close(pipe.read)
            close(pipe.write)
            return .failure(CommandError(.systemResources, "cannot start a thread to wait for a command", errno: status))
        }
        return .success(pipe.read)
    }
}

/// glibc functions that Swift's Glibc module does not import (they need `_GNU_SOURCE`),
/// looked up once by name. Nil when the C library lacks them.
enum SpawnExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// `pipe2`, glibc 2.9 and later.
    static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    /// `posix_spawn_file_actions_addchdir_np`, glibc 2.29 and later.
    static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    /// `posix_spawn_file_actions_addclosefrom_np`, glibc 2.34 and later.
    static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
}

/// Pipes that filet opens for itself: close-on-exec from the start, so that no other child inherits them.
enum PipeFDs {
    /// A pipe; `nonBlocking` applies to both ends, otherwise only the read end is made non-blocking
    /// (the write end goes to a child that expects a blocking stdout).
    static func make(nonBlocking: Bool = false) -> Result<(read: Int32, write: Int32), CommandError> {
        var fds: [Int32] = [-1, -1]
        guard let pipe2 = SpawnExtensions.pipe2 else {
            return .failure(CommandError(.systemResources, "this C library has no pipe2 (glibc 2.9 or later is needed)"))
        }
        guard pipe2(&fds, O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)) == 0 else {
            return .failure(CommandError(.systemResources, "cannot create a pipe for a command", errno: errno))
        }
        if !nonBlocking { _ = fcntl(fds[0], F_SETFL, O_NONBLOCK) }
        return .success((fds[0], fds[1]))
    }
}
