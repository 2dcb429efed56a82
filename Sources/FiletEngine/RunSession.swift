public import FiletActions
import FiletJournal
import FiletNotify
public import FiletRunbook
public import FiletSupport
public import FiletSyntax
import Foundation

/// Why a session did not start. Nothing ran, and nothing was written but what the case says.
public enum SessionRefusal: Error, Sendable {
    /// The runbook file cannot be read.
    case unreadable(SourceFile.ReadError)
    /// The runbook does not validate: every diagnostic, located in `source`.
    case invalidRunbook(file: String, source: SourceFile, diagnostics: DiagnosticList)
    /// A bad input (a key, the journal to resume, a missing decision), in words for the operator.
    case refused(Message)
    /// What the preflight found (``RunPreflight``): every problem at once, for the operator. Nothing was created.
    case preflight([Message])
    /// The journal could not be created or continued, in words naming it.
    case journal(String)
}

/// What `filet run` and `filet drill` ask for, once their flags are read.
public struct RunRequest: Sendable {
    public var runbookFile: String
    public var mode: RunMode
    /// In a drill, the marker put before every notification's text; nil for the default.
    public var drillPrefix: String?
    /// `--var NAME=VALUE` values.
    public var variables: [String: String]
    public var concurrency: Int
    public var timeout: Duration?
    public var rollback: Bool
    public var operatorName: String
    public var journalDirectory: String
    public var environment: [String: String]
    /// Where checkpoints are signed, if they are.
    public var signing: SigningRequest?
    /// `--yes`: every confirmation approved in advance.
    public var preApproved: Bool
    /// Whether a confirmation can be asked: for the command line, whether stdin is a terminal. Without it and
    /// without `preApproved`, a run with a confirmation to ask does not start.
    public var canAsk: Bool
    /// After SIGTERM, how long the run may take to stop, `finally` included (`--shutdown-grace`); nil: no bound.
    public var shutdownGrace: Duration? = .seconds(20)

    public init(
        runbookFile: String, mode: RunMode, drillPrefix: String? = nil, variables: [String: String] = [:], concurrency: Int = 8,
        timeout: Duration? = nil, rollback: Bool = false, operatorName: String, journalDirectory: String,
        environment: [String: String], signing: SigningRequest? = nil, preApproved: Bool = false, canAsk: Bool = true
    ) {
        self.runbookFile = runbookFile
        self.mode = mode
        self.drillPrefix = drillPrefix
        self.variables = variables
        self.concurrency = concurrency
        self.timeout = timeout
        self.rollback = rollback
        self.operatorName = operatorName
        self.journalDirectory = journalDirectory
        self.environment = environment
        self.signing = signing
        self.preApproved = preApproved
        self.canAsk = canAsk
    }
}

/// `--signing-key FILE` (or `FILET_SIGNING_KEY`) and how often to sign.
public struct SigningRequest: Sendable {
    /// The environment variable that names the key file when no flag does.
    public static let environmentVariable = "FILET_SIGNING_KEY"

    public var keyPath: String
    /// A checkpoint every this many records; nil for the policy's default.
    public var everyRecords: Int?
    /// A checkpoint when this long passed with unsigned records; nil for the policy's default.
    public var interval: Duration?

    public init(keyPath: String, everyRecords: Int? = nil, interval: Duration? = nil) {
        self.keyPath = keyPath
        self.everyRecords = everyRecords
        self.interval = interval
    }

    /// The key file named by the flag, else by ``environmentVariable``; nil when neither names one.
    public static func keyPath(flag: String?, environment: [String: String]) -> String? {
        flag ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    func policy() throws(SessionRefusal) -> CheckpointPolicy {
        do throws(CheckpointError) {
            var policy = CheckpointPolicy(signingKey: try SigningKey(path: keyPath))
            if let everyRecords { policy.everyRecords = max(1, everyRecords) }
            if let interval { policy.interval = interval }
            return policy
        } catch {
            throw .refused(.verbatim(error.message))
        }
    }
}

/// A run whose journal is open and whose first record is yet to be written: what the terminal shows
/// before it starts, then ``run(confirmations:observer:interruption:)``.
public struct PreparedRun: Sendable {
    public let plan: Plan
    public let runID: String
    public let journalPath: String
    /// What the operator should read before the run starts (short secrets, a repaired journal).
    public let warnings: [Message]
    let configuration: RunConfiguration
    let writer: JournalWriter
    let notifications: NotificationService
    let resuming: ResumeState?

    /// A real run or a drill.
    public var mode: RunMode { configuration.mode }
    /// In a drill, the marker put before every notification's text.
    public var drillPrefix: String { configuration.drillPrefix }
    /// Who runs it, as the journal records it.
    public var operatorName: String { configuration.operatorName }

    /// Runs it to the end and closes the journal. A journal that cannot be written or closed makes
    /// the outcome a ``RunOutcome/journalFailure``, whatever the steps did.
    public func run(confirmations: any ConfirmationProvider, observer: (any RunObserver)?, interruption: Interruption) async -> RunOutcome {
        let performer = StandardPerformer(
            environment: configuration.environment, forwarding: plan.runbook.environmentNames,
            confirmations: confirmations, notifications: notifications,
            secrets: RunSecrets.masker(for: plan.runbook, configuration: configuration))
        let executor = Executor(plan: plan, configuration: configuration, performer: performer, recorder: writer, observer: observer)
        var outcome = await executor.run(interruption: interruption, resuming: resuming)
        do throws(JournalError) {
            try await writer.close()
        } catch {
            if outcome.journalFailure == nil { outcome.journalFailure = error.message }
        }
        if let failure = outcome.journalFailure, !failure.contains(writer.path) {
            outcome.journalFailure = "\(writer.path): \(failure)"
        }
        return outcome
    }
}

/// The one way a run starts: `filet run`, `filet drill` and `filet resume` go through it.
public enum RunSession: Sendable {
    /// Reads and checks everything a run needs (``RunPreflight``, then the journal and signing keys: every problem at
    /// once), then creates its journal. Throws what stops it, before anything ran.
    public static func prepare(_ request: RunRequest) throws(SessionRefusal) -> PreparedRun {
        let environment = request.environment
        let source = try read(request.runbookFile)
        let plan = try load(source, file: request.runbookFile)
        let preflight = RunPreflight(
            plan: plan, mode: request.mode, overrides: request.variables, environment: environment, operatorName: request.operatorName,
            answering: RunPreflight.Answering(preApproved: request.preApproved, canAsk: request.canAsk),
            journalDirectory: request.journalDirectory)
        var problems = preflight.problems
        let key = collecting(&problems) { () throws(SessionRefusal) in try journalKey(environment) } ?? nil
        let checkpoints = collecting(&problems) { () throws(SessionRefusal) in try request.signing?.policy() } ?? nil
        guard problems.isEmpty else { throw .preflight(problems) }
        let writer: JournalWriter
        do throws(JournalError) {
            writer = try JournalWriter.create(
                directory: request.journalDirectory, runbookSHA256: source.sha256, key: key, checkpoints: checkpoints)
        } catch {
            throw .journal("cannot create the journal in \(request.journalDirectory): \(error.message)")
        }
        var configuration = RunConfiguration(
            runID: writer.runID.description, operatorName: request.operatorName,
            host: ProcessInfo.processInfo.hostName, environment: environment, runbookSHA256: source.sha256)
        configuration.mode = request.mode
        if let prefix = request.drillPrefix { configuration.drillPrefix = prefix }
        configuration.concurrency = request.concurrency
        configuration.timeout = request.timeout
        configuration.shutdownGrace = request.shutdownGrace
        configuration.rollback = request.rollback ? true : nil
        configuration.variables = request.variables
        configuration.runbookPath = absolute(request.runbookFile)
        configuration.systemUser = SystemUser.current()
        return prepared(
            plan: plan, configuration: configuration, writer: writer, outboxDirectory: request.journalDirectory,
            warnings: shortSecretWarnings(preflight), resuming: nil)
    }

    static func read(_ file: String) throws(SessionRefusal) -> SourceFile {
        do throws(SourceFile.ReadError) { return try SourceFile.read(path: file) } catch { throw .unreadable(error) }
    }

    /// The plan of a runbook, or every diagnostic that prevents it.
    static func load(_ source: SourceFile, file: String) throws(SessionRefusal) -> Plan {
        do throws(DiagnosticList) {
            return try RunbookLoader.load(source)
        } catch {
            throw .invalidRunbook(file: file, source: source, diagnostics: error)
        }
    }

    /// The value of `work`, or nil with its refusal added to `problems`.
    static func collecting<Value>(_ problems: inout [Message], _ work: () throws(SessionRefusal) -> Value) -> Value? {
        do throws(SessionRefusal) {
            return try work()
        } catch {
            switch error {
            case .refused(let message): problems.append(message)
            case .journal(let text): problems.append(.verbatim(text))
            case .preflight(let more): problems += more
            case .unreadable(let failure): problems.append(.verbatim(failure.description))
            case .invalidRunbook(let file, _, _): problems.append(Message(en: "\(file) is not valid", fr: "\(file) n’est pas valide"))
            }
            return nil
        }
    }

    static func journalKey(_ environment: [String: String]) throws(SessionRefusal) -> [UInt8]? {
        do throws(JournalError) { return try JournalKey.fromEnvironment(environment) } catch { throw .refused(.verbatim(error.message)) }
    }

    static func shortSecretWarnings(_ preflight: RunPreflight) -> [Message] {
        preflight.shortSecrets.map {
            Message(
                en:
                    "warning: secret \($0) is shorter than \(Masker.recommendedMinimumLength) characters; masking it may also hide ordinary text",
                fr:
                    "attention\u{A0}: le secret \($0) fait moins de \(Masker.recommendedMinimumLength) caractères\u{A0}; le masquer peut aussi cacher du texte ordinaire"
            )
        }
    }

    static func prepared(
        plan: Plan, configuration: RunConfiguration, writer: JournalWriter, outboxDirectory: String, warnings: [Message],
        resuming: ResumeState?
    ) -> PreparedRun {
        let notifications = NotificationService(
            plan: plan, configuration: configuration, sender: ChannelSender(),
            outbox: Outbox(journalDirectory: outboxDirectory), runbookPath: configuration.runbookPath ?? "")
        return PreparedRun(
            plan: plan, runID: writer.runID.description, journalPath: writer.path, warnings: warnings,
            configuration: configuration, writer: writer, notifications: notifications, resuming: resuming)
    }

    /// `path` made absolute against the working directory (the journal and the outbox record where the runbook is).
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
