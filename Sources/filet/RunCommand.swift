import ArgumentParser
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation

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
        let (outcome, _, _) = try await options.execute(file: file, mode: .run)
        throw ExitStatus(outcome).exitCode
    }
}

/// The options `filet run` (and later `filet drill`) share.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable of the runbook.", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Flag(help: "Approve every confirmation in advance (recorded as pre-approved by flag).")
    var yes = false

    @Option(
        name: .customLong("operator"),
        help: "Who runs it, recorded in the journal and compared with approvers: a label, not an authentication (default: the login name).")
    var operatorName: String?

    @Option(help: "The directory of journals.")
    var journal: String = "filet-journal"

    @Option(help: "How many steps may run at once.")
    var concurrency: Int = 8

    @Option(help: "The whole run's time limit, such as 30m or 1h30m.")
    var timeout: String?

    @Option(help: "After SIGTERM, how long the run may take to stop, finally steps included, before they are cancelled.")
    var shutdownGrace: String = "20s"

    @Flag(help: "Run the undo commands of completed steps, newest first, when the run aborts.")
    var rollback = false

    @Option(help: "Output format: text, or json (one JSON event per line).")
    var format: OutputFormat = .text

    @OptionGroup var language: LanguageOption

    @Option(
        help: ArgumentHelp(
            "Sign checkpoints of the journal with this Ed25519 key (filet audit keygen); default: the file named by FILET_SIGNING_KEY.",
            valueName: "FILE"))
    var signingKey: String?

    @Option(help: "With a signing key: a checkpoint every this many records.")
    var checkpointEvery: Int = 64

    @Option(help: "With a signing key: a checkpoint when this many seconds passed with unsigned records.")
    var checkpointSeconds: Int = 30

    func validate() throws {
        guard !journal.isEmpty else { throw ValidationError("--journal takes a directory, not an empty text (default: filet-journal)") }
        try validateSigning()
        guard concurrency >= 1 && concurrency <= 1024 else { throw ValidationError("--concurrency must be between 1 and 1024") }
        if let timeout, RunbookDuration(parsing: timeout) == nil {
            throw ValidationError("--timeout \(timeout) is not a duration; accepted forms: \(RunbookDuration.acceptedForms)")
        }
        _ = try parsedShutdownGrace(shutdownGrace)
    }

    /// Runs the runbook through the library's one run session, showing it on the terminal. Throws the exit
    /// code when nothing ran. Returns the outcome, the plan and the path of the journal the run wrote.
    func execute(file: String, mode: RunMode, drillPrefix: String? = nil) async throws -> (RunOutcome, Plan, journal: String) {
        let environment = ProcessInfo.processInfo.environment
        var request = RunRequest(
            runbookFile: file, mode: mode, drillPrefix: drillPrefix, variables: try variableAssignments(variables),
            concurrency: concurrency,
            timeout: timeout.flatMap(RunbookDuration.init(parsing:)).map(\.duration), rollback: rollback,
            operatorName: operatorName ?? Operator.loginName(environment), journalDirectory: journal, environment: environment,
            signing: SigningRequest.keyPath(flag: signingKey, environment: environment).map {
                SigningRequest(keyPath: $0, everyRecords: checkpointEvery, interval: .seconds(checkpointSeconds))
            }, preApproved: yes, canAsk: isatty(STDIN_FILENO) == 1)
        request.shutdownGrace = try parsedShutdownGrace(shutdownGrace)
        let prepared: PreparedRun
        do throws(SessionRefusal) { prepared = try RunSession.prepare(request) } catch { throw error.exit(.nothingRan) }
        let outcome = await TerminalSession.run(prepared, operatorName: request.operatorName, preApproved: yes, format: format)
        return (outcome, prepared.plan, prepared.journalPath)
    }
}

/// What the terminal adds around a prepared run: its warnings, the live view, the confirmation prompt and the signals.
enum TerminalSession {
    static func run(_ prepared: PreparedRun, operatorName: String, preApproved: Bool, format: OutputFormat) async -> RunOutcome {
        for warning in prepared.warnings { Terminal.error("filet: " + warning.text(Terminal.language)) }
        let view = TerminalView(format: format, language: Terminal.language)
        await view.begin(prepared)
        let confirmations = TerminalConfirmation(
            preApproved: preApproved, operatorName: operatorName, language: Terminal.language, view: view)
        let interruption = Interruption()
        let signals = SignalWatcher(interruption: interruption)
        let resizes = ResizeWatcher(view: view)
        let outcome = await prepared.run(confirmations: confirmations, observer: view, interruption: interruption)
        resizes.stop()
        signals.stop()
        await view.end(outcome, journalPath: prepared.journalPath)
        return outcome
    }
}

/// `--shutdown-grace`, of run, drill and resume.
func parsedShutdownGrace(_ text: String) throws -> Duration {
    guard let grace = RunbookDuration(parsing: text) else {
        throw ValidationError("--shutdown-grace \(text) is not a duration; accepted forms: \(RunbookDuration.acceptedForms)")
    }
    return grace.duration
}

enum Operator {
    /// The login name, for the journal's `operator` when `--operator` is not given.
    static func loginName(_ environment: [String: String]) -> String {
        if let name = getlogin().map({ String(cString: $0) }), !name.isEmpty { return name }
        if let name = environment["USER"] ?? environment["LOGNAME"], !name.isEmpty { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
