public import FiletSyntax

/// A validated runbook: what `filet validate` accepts and `filet plan` lays out.
public struct Runbook: Sendable {
    public var id: String
    public var title: String
    public var description: String?
    public var owner: String?
    public var version: Int?
    /// Named texts, in the order written; values may use `${env.NAME}`.
    public var vars: [Variable]
    /// Names of environment variables whose values are masked everywhere.
    public var secrets: [String]
    public var channels: [Channel]
    public var defaults: StepDefaults
    public var steps: [Step]
    public var finallySteps: [Step]

    public func channel(named name: String) -> Channel? { channels.first { $0.name == name } }
    public func variable(named name: String) -> Variable? { vars.first { $0.name == name } }
}

public struct Variable: Sendable {
    public var name: String
    public var value: Template
    public var location: SourceLocation
}

/// Step settings that apply where a step does not set its own.
public struct StepDefaults: Sendable {
    public var timeout: RunbookDuration?
    public var retries: Int = 0
    public var backoff: RunbookDuration = .seconds(1)
    public var onFailure: FailurePolicy = .abort
    /// Whether `undo` commands run when a run aborts.
    public var rollback = false
}

public enum FailurePolicy: String, Sendable, CaseIterable {
    /// No new steps start; `finally` still runs.
    case abort
    /// The failure is recorded and the run goes on.
    case `continue`
}

/// What a drill does with a step.
public enum DrillBehaviour: String, Sendable, CaseIterable {
    case run, skip, simulate
}

/// Step identifiers: lowercase letters, digits, `_` and `-`.
public enum StepID: Sendable {
    public static func isValid<Text: StringProtocol>(_ text: Text) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D }
    }
}

public struct Step: Sendable {
    public var id: String
    public var title: String?
    /// The steps written in `needs:`, or nil when the step waits for the one above it.
    public var explicitNeeds: [StepReference]?
    public var when: Condition?
    public var action: Action
    /// The step's own timeout, else the runbook default; nil means no limit.
    public var timeout: RunbookDuration?
    public var retries: Int
    public var backoff: RunbookDuration
    public var onFailure: FailurePolicy
    public var idempotent: Bool
    public var drill: DrillBehaviour
    public var undo: ShellScript?
    public var isFinally: Bool
    public var location: SourceLocation
}

/// A step id written somewhere in a runbook, and where.
public struct StepReference: Sendable, Hashable {
    public var id: String
    public var location: SourceLocation
}

public enum Action: Sendable {
    case check(Check)
    case run(Command)
    case notify(Notification)
    case confirm(Confirmation)
    case wait(RunbookDuration)

    /// What it is, as the journal names it.
    public var kind: ActionKind {
        switch self {
        case .check(.http): .checkHTTP
        case .check(.tcp): .checkTCP
        case .check(.dns): .checkDNS
        case .run: .run
        case .notify: .notify
        case .confirm: .confirm
        case .wait: .wait
        }
    }

    /// The action's key in a runbook.
    public var keyword: String { kind.keyword }
}

/// What a step does, named once for the journal, the terminal and the reports.
public enum ActionKind: String, Sendable, CaseIterable {
    case run
    case checkHTTP = "check.http"
    case checkTCP = "check.tcp"
    case checkDNS = "check.dns"
    case notify, confirm, wait

    /// The action's key in a runbook (and in `run.started`'s plan): the name up to its dot, `check` for every check.
    public var keyword: String { String(rawValue.prefix { $0 != "." }) }

    /// `check.http`, `check.tcp`, `check.dns`.
    public var isCheck: Bool { keyword != rawValue }

    /// Whether a failure is tried again (`retries`, `defaults.retries`). A confirmation is a person's answer,
    /// and a wait does not fail: neither is ever retried.
    public var isRetried: Bool { self != .confirm && self != .wait }
}

public enum Check: Sendable {
    case http(HTTPCheck)
    case tcp(target: Template)
    case dns(name: Template)
}

public struct HTTPCheck: Sendable {
    public var url: Template
    public var method: String = "GET"
    /// Accepted status codes; empty means any 2xx.
    public var statuses: [Int] = []
    public var contains: Template?
    public var maxLatency: RunbookDuration?
    public var headers: [Header] = []
}

public struct Header: Sendable {
    public var name: String
    public var value: Template
}

public struct Command: Sendable {
    public var command: ShellScript
    public var shell: String = "/bin/sh"
    public var environment: [(name: String, value: Template)] = []
    public var workdir: Template?
    public var expectedExit: Int32 = 0
}

public struct Notification: Sendable {
    public var channel: String
    public var text: Template
    public var severity: Severity = .info
    /// What an undelivered notification (kept in the outbox) does to its step.
    public var undelivered: Undelivered = .fail

    public enum Severity: String, Sendable, CaseIterable { case info, warning, critical }

    public enum Undelivered: String, Sendable, CaseIterable {
        /// The step fails (the default); the outbox keeps the notification.
        case fail
        /// The step succeeds as `delivered_later`; the outbox keeps the notification.
        case later
    }
}

public struct Confirmation: Sendable {
    public var prompt: Template
    /// Who may approve; empty means any operator.
    public var approvers: [String] = []
}

/// Where notifications go.
public struct Channel: Sendable {
    public enum Destination: Sendable {
        case webhook(Template)
        case file(Template)
    }

    public enum Format: String, Sendable, CaseIterable {
        case generic, slack, mattermost, teams, rocketchat
    }

    public var name: String
    public var destination: Destination
    public var format: Format = .generic
    public var signingSecret: Template?
    public var headers: [Header] = []
    public var timeout: RunbookDuration?
    public var retries: Int?
    /// The channel tried when this one cannot deliver.
    public var fallback: String?
    /// Replaces the webhook in drills.
    public var drillWebhook: Template?
    public var location: SourceLocation
}
