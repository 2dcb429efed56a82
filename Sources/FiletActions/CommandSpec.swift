public import FiletRunbook

/// What a `run` step executes: `<shell> -c <script>` in its own process group, with exactly
/// the given environment, stdin from `/dev/null`, and stdout and stderr captured up to a cap.
public struct CommandSpec: Sendable, Hashable {
    /// An absolute path (`/bin/sh`), or a name looked up in the `PATH` of ``environment``
    /// (or in ``CommandRunner/defaultPath`` when it has none).
    public var shell: String
    /// The text given to the shell after `-c`.
    public var script: String
    /// The whole environment of the command: nothing of filet's own is added, but ``Subreaper/tagVariable`` when
    /// the sweep is on (the `filet` binary).
    /// ``CommandRunner/minimalEnvironment(from:adding:)`` builds the usual allow-list.
    public var environment: [String: String]
    /// The directory the command starts in; filet's own when nil.
    public var workingDirectory: String?
    /// How many bytes of each stream are kept (half from its start, half from its end);
    /// the total size and the SHA-256 always cover the whole stream.
    public var outputLimit: Int
    /// After SIGTERM on cancellation, how long the process group has to exit before SIGKILL.
    public var terminationGrace: Duration
    /// After the shell exits, how long filet keeps reading output that a process left behind
    /// still writes (a `cmd &` in the script), before it kills what remains of the group.
    public var drainLimit: Duration
    /// The run's secrets: no cut of the kept output splits one (the caller masks the output).
    public var secrets: Masker

    public static let defaultShell = "/bin/sh"
    public static let defaultOutputLimit = 64 * 1024

    public init(
        script: String,
        environment: [String: String],
        shell: String = CommandSpec.defaultShell,
        workingDirectory: String? = nil,
        outputLimit: Int = CommandSpec.defaultOutputLimit,
        terminationGrace: Duration = .seconds(2),
        drainLimit: Duration = .seconds(1),
        secrets: Masker = Masker()
    ) {
        self.shell = shell
        self.script = script
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.outputLimit = outputLimit
        self.terminationGrace = terminationGrace
        self.drainLimit = drainLimit
        self.secrets = secrets
    }

    /// Rejects what cannot be passed to a process: NUL bytes, malformed variable names,
    /// negative limits.
    func validate() throws(CommandError) {
        func check(_ text: String, _ what: @autoclosure () -> String) throws(CommandError) {
            if text.utf8.contains(0) { throw CommandError(.invalidSpec, "\(what()) contains a NUL byte, which a process cannot receive") }
        }
        try check(shell, "the shell path")
        guard !shell.isEmpty else { throw CommandError(.invalidSpec, "the shell path is empty") }
        try check(script, "the script")
        if let workingDirectory {
            try check(workingDirectory, "the working directory")
            guard !workingDirectory.isEmpty else { throw CommandError(.invalidSpec, "the working directory is empty") }
        }
        for (name, value) in environment {
            guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: "=")) else {
                throw CommandError(
                    .invalidSpec, "'\(name)' is not a valid environment variable name: it must be non-empty and contain no '='")
            }
            try check(name, "the environment variable name '\(name)'")
            try check(value, "the value of environment variable '\(name)'")
        }
        guard outputLimit >= 0 else { throw CommandError(.invalidSpec, "the output limit is negative (\(outputLimit))") }
        guard terminationGrace >= .zero, drainLimit >= .zero else {
            throw CommandError(.invalidSpec, "the termination grace and the drain limit must not be negative")
        }
    }
}

extension CommandRunner {
    /// The variables a command inherits from filet's environment; nothing else does.
    public static let inheritedVariables = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"]

    /// `PATH` for a command when filet's environment has none.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The environment of a step's command: ``inheritedVariables`` taken from `base`
    /// (`PATH` defaulting to ``defaultPath``), then the step's own `env`, which wins.
    public static func minimalEnvironment(from base: [String: String], adding stepEnvironment: [String: String]) -> [String: String] {
        var environment: [String: String] = ["PATH": defaultPath]
        for name in inheritedVariables {
            if let value = base[name] { environment[name] = value }
        }
        environment.merge(stepEnvironment) { _, step in step }
        return environment
    }
}
