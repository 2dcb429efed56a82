public import FiletRunbook
public import FiletSupport

/// A step's action with every interpolation resolved, ready to perform.
public enum PreparedAction: Sendable {
    case command(PreparedCommand)
    case http(PreparedHTTPCheck)
    /// `timeout`: the step's, which the probe keeps to (nil: the probe's own default, 30 s).
    case tcp(host: String, port: Int, timeout: Duration?)
    case dns(name: String, timeout: Duration?)
    case notify(
        channel: String, text: String, severity: FiletRunbook.Notification.Severity, undelivered: FiletRunbook.Notification.Undelivered)
    case confirm(prompt: String, approvers: [String])
    case wait(Duration)

    /// What it does, in one line (for a drill's simulated steps).
    public var summary: String {
        let word = kind.rawValue
        return switch self {
        case .command(let command): "\(word): \(command.shown)"
        case .http(let check): "\(word) \(check.method) \(check.url)"
        case .tcp(let host, let port, _): "\(word) \(host):\(port)"
        case .dns(let name, _): "\(word) \(name)"
        case .notify(let channel, let text, let severity, _): "\(word) \(channel) [\(severity.rawValue)]: \(text)"
        case .confirm(let prompt, _): "\(word): \(prompt)"
        case .wait(let duration): "\(word) \(RunbookDuration(milliseconds: duration.milliseconds))"
        }
    }

    /// What it is, as the journal names it.
    public var kind: ActionKind {
        switch self {
        case .command: .run
        case .http: .checkHTTP
        case .tcp: .checkTCP
        case .dns: .checkDNS
        case .notify: .notify
        case .confirm: .confirm
        case .wait: .wait
        }
    }
}

public struct PreparedCommand: Sendable {
    public var shell: String
    /// The text the shell receives after `-c`. It names its interpolated values (`"$FILET_V1"`), never holds them.
    public var script: String
    /// The interpolated values, each in the environment variable its binding names.
    public var values: [(binding: ShellScript.Binding, value: String)]
    /// The command as a person reads it: the runbook's text with each value in its place (what the journal records,
    /// masked). Never given to a shell.
    public var shown: String
    /// The step's own `env`, added to the minimal environment.
    public var environment: [String: String]
    public var workingDirectory: String?
    public var expectedExit: Int32

    public init(
        shell: String, script: String, values: [(binding: ShellScript.Binding, value: String)], shown: String,
        environment: [String: String], workingDirectory: String?, expectedExit: Int32
    ) {
        self.shell = shell
        self.script = script
        self.values = values
        self.shown = shown
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.expectedExit = expectedExit
    }
}

public struct PreparedHTTPCheck: Sendable {
    public var url: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var statuses: [Int]
    public var contains: String?
    public var maxLatency: Duration?
    /// The step's timeout, which the whole exchange keeps to; nil: the probe's own default (30 s).
    public var timeout: Duration?

    public init(
        url: String, method: String, headers: [(name: String, value: String)], statuses: [Int], contains: String?,
        maxLatency: Duration?, timeout: Duration? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.statuses = statuses
        self.contains = contains
        self.maxLatency = maxLatency
        self.timeout = timeout
    }
}

/// What one attempt of an action did and saw. A failed check is an observation, not an error.
public struct ActionResult: Sendable {
    public enum Outcome: String, Sendable {
        case succeeded, failed
        case timedOut = "timed_out"
        case cancelled
    }

    public var outcome: Outcome
    /// Why it did not succeed, in words.
    public var reason: String?
    /// What it observed (exit code, HTTP status and latency, addresses…), recorded in the journal.
    public var observations: [(String, JSONValue)]
    /// The last line of its output: `${steps.ID.output}`.
    public var output: String

    public init(_ outcome: Outcome, reason: String? = nil, observations: [(String, JSONValue)] = [], output: String = "") {
        self.outcome = outcome
        self.reason = reason
        self.observations = observations
        self.output = output
    }

    public static func failed(_ reason: String, observations: [(String, JSONValue)] = []) -> ActionResult {
        ActionResult(.failed, reason: reason, observations: observations)
    }
}

/// Performs prepared actions. The engine applies timeouts, retries and journaling around it.
public protocol ActionPerformer: Sendable {
    /// Performs one attempt. Must return promptly once the task is cancelled
    /// (killing whatever it started), with outcome `.cancelled`.
    func perform(_ action: PreparedAction, stepID: String) async -> ActionResult

    /// Performs one attempt as ``perform(_:stepID:)`` does, telling `progress` what it sees on the way
    /// (a command's process group and output lines). By default, tells it nothing.
    func perform(_ action: PreparedAction, stepID: String, progress: ActionProgress) async -> ActionResult
}

extension ActionPerformer {
    public func perform(_ action: PreparedAction, stepID: String, progress: ActionProgress) async -> ActionResult {
        await perform(action, stepID: stepID)
    }
}

/// What an action tells while it runs. Both are called on the command's own thread and must return at once.
public struct ActionProgress: Sendable {
    /// The last complete line a command wrote (on stdout or stderr, unmasked), at most every
    /// ``CommandRunner/outputLineInterval``: for the live view.
    public var outputLine: (@Sendable (String) -> Void)?
    /// The process group of each command the action starts, as soon as it started (before its end is awaited):
    /// what the engine records in the journal (`step.process`).
    public var processStarted: (@Sendable (ProcessGroupIdentity) -> Void)?

    public init(
        outputLine: (@Sendable (String) -> Void)? = nil, processStarted: (@Sendable (ProcessGroupIdentity) -> Void)? = nil
    ) {
        self.outputLine = outputLine
        self.processStarted = processStarted
    }

    /// Nobody listens.
    public static let none = ActionProgress()
}

/// Who approves a `confirm` step, and how.
public enum ConfirmationAnswer: Sendable {
    case granted(by: String, how: String)
    case refused(by: String, how: String)
    /// Nobody could be asked (no terminal, no --yes).
    case unavailable(String)
}

/// Asks an operator to confirm a step: the terminal prompt, or `--yes`.
public protocol ConfirmationProvider: Sendable {
    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer
}
