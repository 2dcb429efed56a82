public import FiletActions
public import FiletRunbook
import FiletSupport

/// Performs every kind of action for real: commands, checks, confirmations and waits.
public struct StandardPerformer: ActionPerformer {
    /// filet's own environment, from which a command's minimal environment is taken.
    public var environment: [String: String]
    /// The environment variables the runbook names (`${env.NAME}`): commands get them too.
    public var forwardedNames: Set<String>
    public var confirmations: any ConfirmationProvider
    public var notifications: NotificationService
    /// The run's secrets, which no cut of a command's output splits.
    public var secrets: Masker

    public init(
        environment: [String: String], forwarding names: Set<String>, confirmations: any ConfirmationProvider,
        notifications: NotificationService, secrets: Masker = Masker()
    ) {
        self.environment = environment
        forwardedNames = names
        self.confirmations = confirmations
        self.notifications = notifications
        self.secrets = secrets
    }

    public func perform(_ action: PreparedAction, stepID: String) async -> ActionResult {
        await perform(action, stepID: stepID, progress: .none)
    }

    public func perform(_ action: PreparedAction, stepID: String, progress: ActionProgress) async -> ActionResult {
        switch action {
        case .wait(let duration):
            do {
                if duration > .zero { try await Task.sleep(for: duration) }
                return ActionResult(.succeeded, observations: [("waited_ms", .integer(Int(duration.milliseconds)))])
            } catch {
                return ActionResult(.cancelled, reason: "cancelled while waiting")
            }
        case .confirm(let prompt, let approvers):
            return await confirm(prompt: prompt, approvers: approvers, stepID: stepID)
        case .notify(let channel, let text, let severity, let undelivered):
            return await notifications.notify(channel: channel, text: text, severity: severity, undelivered: undelivered, stepID: stepID)
        case .command(let command):
            return await run(command, progress: progress)
        case .http(let check):
            return await HTTPCheckAction.perform(check)
        case .tcp(let host, let port, let timeout):
            return await TCPCheckAction.perform(host: host, port: port, timeout: timeout)
        case .dns(let name, let timeout):
            return await DNSCheckAction.perform(name: name, timeout: timeout)
        }
    }

    private func confirm(prompt: String, approvers: [String], stepID: String) async -> ActionResult {
        switch await confirmations.confirm(prompt: prompt, stepID: stepID, approvers: approvers) {
        case .granted(let who, let how):
            return ActionResult(.succeeded, observations: [("by", .string(who)), ("how", .string(how))], output: "yes")
        case .refused(let who, let how):
            return ActionResult(
                .failed, reason: "refused by \(who)", observations: [("by", .string(who)), ("how", .string(how))], output: "no")
        case .unavailable(let why):
            return ActionResult(.failed, reason: why, observations: [("by", .null), ("how", .string("not asked"))])
        }
    }
}

extension StandardPerformer {
    /// A `run` step: the command in its own process group, with a minimal environment.
    func run(_ command: PreparedCommand, progress: ActionProgress = .none) async -> ActionResult {
        if let carrier = command.values.first(where: { $0.value.utf8.contains(0) }) {
            return .failed(
                "the value of ${\(carrier.binding.reference)} contains a NUL byte, which a command cannot receive in its environment "
                    + "(\(carrier.binding.variable)): the command was not started")
        }
        var added = environment.filter { forwardedNames.contains($0.key) }
        added.merge(command.environment) { _, step in step }
        added.merge(command.values.map { ($0.binding.variable, $0.value) }) { _, value in value }
        let spec = CommandSpec(
            script: Self.execIfSingleProgram(command.script),
            environment: CommandRunner.minimalEnvironment(from: environment, adding: added),
            shell: command.shell, workingDirectory: command.workingDirectory, secrets: secrets)
        let result: CommandResult
        do {
            result = try await CommandRunner.run(spec, progress: progress)
        } catch {
            return error.code == .cancelledBeforeStart
                ? ActionResult(.cancelled, reason: "cancelled before it started") : .failed(error.message)
        }
        var observations: [(String, JSONValue)] = [
            ("exit_code", result.exitStatus.map { .integer(Int($0)) } ?? .null),
            ("signal", result.terminatingSignal.map { .integer(Int($0)) } ?? .null),
            ("duration_ms", .integer(Int(result.duration.milliseconds))),
            ("stdout", Self.json(result.stdout)),
            ("stderr", Self.json(result.stderr)),
        ]
        if result.wasKilledAfterGrace { observations.append(("killed_after_grace", .bool(true))) }
        if result.outputDrainTimedOut { observations.append(("output_drain_timed_out", .bool(true))) }
        let output = result.stdout.lastLine
        if result.wasCancelled {
            return ActionResult(
                .cancelled, reason: "cancelled: its process group was terminated", observations: observations, output: output)
        }
        if let status = result.exitStatus, status == command.expectedExit {
            return ActionResult(.succeeded, observations: observations, output: output)
        }
        let reason =
            result.exitStatus.map { "exit \($0), expected \(command.expectedExit)" }
            ?? "killed by signal \(result.terminatingSignal.map(String.init) ?? "?")"
        let detail = result.stderr.lastLine.isEmpty ? "" : ": \(result.stderr.lastLine)"
        return ActionResult(.failed, reason: reason + detail, observations: observations, output: output)
    }

    /// `exec /path/to/program args` for a script that is only a program given by its path and plain
    /// arguments: the shell then runs it without forking again (it would exec that same file anyway).
    static func execIfSingleProgram(_ script: String) -> String {
        let plain = script.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || " _./:=,@%+-".utf8.contains(byte)
        }
        guard plain, let program = script.split(separator: " ").first, program.contains("/"), !program.contains("=") else { return script }
        return "exec " + script
    }

    private static func json(_ output: CapturedOutput) -> JSONValue {
        .object([
            ("text", .string(output.text)), ("bytes", .integer(output.totalBytes)), ("sha256", .string(output.sha256)),
            ("truncated", .bool(output.truncated)),
        ])
    }
}
