import ArgumentParser
import Foundation
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSyntax

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a runbook for real, recording every step in a hash-chained journal.",
        discussion: """
            The runbook is validated first: nothing runs on an invalid runbook. Each step is written to the \
            journal before it starts. Ctrl-C stops starting steps, cancels the running ones (killing their \
            processes), runs the finally steps and closes the journal; a second Ctrl-C stops the finally steps too.

            Exit codes: 0 every step succeeded; 1 the run failed; 2 usage or validation error (nothing ran); \
            3 the journal could not be written (the run stopped); 124 the --timeout expired; 130 interrupted \
            (SIGINT); 143 terminated (SIGTERM).
            """
    )

    @Argument(help: "The runbook file.")
    var file: String

    @OptionGroup var options: RunOptions

    func run() async throws {
        switch try await options.execute(file: file, mode: .run) {
        case .notRun(let code): throw ExitCode(code)
        case .ran(let outcome, _): throw ExitCode(outcome.exitCode)
        }
    }
}

/// What `RunOptions.execute` did: refused to start (with its exit code), or ran.
enum Execution {
    case notRun(Int32)
    case ran(RunOutcome, Plan)
}

/// The options `filet run` (and later `filet drill`) share.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable of the runbook.", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Flag(help: "Approve every confirmation in advance (recorded as pre-approved by flag).")
    var yes = false

    @Option(name: .customLong("operator"), help: "Who runs it, recorded in the journal (default: the login name).")
    var operatorName: String?

    @Option(help: "The directory of journals.")
    var journal: String = "filet-journal"

    @Option(help: "How many steps may run at once.")
    var concurrency: Int = 8

    @Option(help: "The whole run's time limit, such as 30m or 1h30m.")
    var timeout: String?

    @Flag(help: "Run the undo commands of completed steps, newest first, when the run aborts.")
    var rollback = false

    @Option(help: "Output format: text, or json (one JSON event per line).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Sign checkpoints of the journal with this Ed25519 key (filet audit keygen); default: the file named by FILET_SIGNING_KEY.", valueName: "FILE"))
    var signingKey: String?

    @Option(help: "With a signing key: a checkpoint every this many records.")
    var checkpointEvery: Int = 64

    @Option(help: "With a signing key: a checkpoint when this many seconds passed with unsigned records.")
    var checkpointSeconds: Int = 30

    func validate() throws {
        try validateSigning()
        guard concurrency >= 1 && concurrency <= 1024 else { throw ValidationError("--concurrency must be between 1 and 1024") }
        if let timeout, RunbookDuration(parsing: timeout) == nil {
            throw ValidationError("--timeout \(timeout) is not a duration; accepted forms: \(RunbookDuration.acceptedForms)")
        }
    }

    func execute(file: String, mode: RunMode, drillPrefix: String? = nil) async throws -> Execution {
        let environment = ProcessInfo.processInfo.environment
        let source = try SourceFile.read(path: file)
        guard let plan = loadPlan(source) else {
            Terminal.error("filet: \(file) is not valid: nothing ran")
            return .notRun(RunExitCode.usage)
        }
        let overrides = try variableAssignments(variables)
        let preflight = RunPreflight(plan: plan, overrides: overrides, environment: environment)
        if let problem = preflight.problem {
            Terminal.error("filet: \(problem)\nfilet: nothing ran")
            return .notRun(RunExitCode.usage)
        }
        for name in preflight.shortSecrets {
            Terminal.error("filet: warning: secret \(name) is shorter than \(Masker.recommendedMinimumLength) characters; masking it may also hide ordinary text")
        }
        let key: [UInt8]?
        do throws(JournalError) {
            key = try JournalKey.fromEnvironment(environment)
        } catch {
            Terminal.error("filet: \(error.message)\nfilet: nothing ran")
            return .notRun(RunExitCode.usage)
        }
        let checkpoints: CheckpointPolicy?
        do throws(CheckpointError) {
            checkpoints = try checkpointPolicy(environment: environment)
        } catch {
            Terminal.error("filet: \(error.message)\nfilet: nothing ran")
            return .notRun(RunExitCode.usage)
        }
        let writer: JournalWriter
        do throws(JournalError) {
            writer = try JournalWriter.create(directory: journal, runbookSHA256: source.sha256, key: key, checkpoints: checkpoints)
        } catch {
            Terminal.error("filet: cannot create the journal in \(journal): \(error.message)")
            return .notRun(RunExitCode.journalFailure)
        }
        let runID = writer.runID
        var configuration = RunConfiguration(runID: runID.description, operatorName: operatorName ?? Operator.loginName(environment),
                                             host: ProcessInfo.processInfo.hostName, environment: environment,
                                             runbookSHA256: source.sha256)
        configuration.mode = mode
        if let drillPrefix { configuration.drillPrefix = drillPrefix }
        configuration.concurrency = concurrency
        configuration.timeout = timeout.flatMap(RunbookDuration.init(parsing:)).map(\.duration)
        configuration.rollback = rollback ? true : nil
        configuration.variables = overrides
        configuration.runbookPath = Operator.absolute(file)

        let notifications = NotificationService(plan: plan, configuration: configuration, sender: ChannelSender(),
                                                outbox: Outbox(journalDirectory: journal), runbookPath: Operator.absolute(file))
        let view = TerminalView(format: format)
        await view.begin(runID: runID.description, journalPath: writer.path)
        let confirmations = TerminalConfirmation(preApproved: yes, operatorName: configuration.operatorName, view: view)
        let executor = Executor(plan: plan, configuration: configuration,
                                performer: StandardPerformer(environment: environment, forwarding: plan.runbook.environmentNames,
                                                             confirmations: confirmations, notifications: notifications),
                                recorder: writer, observer: view)
        let interruption = Interruption()
        let signals = SignalWatcher(interruption: interruption)
        let outcome = await executor.run(interruption: interruption)
        signals.stop()
        try? await writer.close()
        await view.end(outcome, journalPath: writer.path)
        return .ran(outcome, plan)
    }
}

enum Operator {
    /// `path` made absolute against the working directory (the outbox records where the runbook is).
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The login name, for the journal's `operator` when `--operator` is not given.
    static func loginName(_ environment: [String: String]) -> String {
        if let name = getlogin().map({ String(cString: $0) }), !name.isEmpty { return name }
        if let name = environment["USER"] ?? environment["LOGNAME"], !name.isEmpty { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
