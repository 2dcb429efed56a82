import ArgumentParser
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted or crashed run in its own journal.",
        discussion: """
            A torn last line (a crash during a write) is saved to JOURNAL.broken and cut off, and the journal says so \
            (journal.recovered); any other problem is refused: nothing is built on a journal that does not verify. \
            The runbook (the path recorded in run.started, or --runbook) must still have the recorded SHA-256, \
            unless --force. Steps that succeeded are not run again; failed, cancelled and skipped ones are; a step \
            stopped mid-way (running at a crash, or cut short by Ctrl-C, SIGTERM or a timeout) runs again if it is \
            idempotent, else the operator decides: --rerun ID or --mark-done ID, or, on a terminal, the answer to "run \
            it again?" (yes/y/oui/o runs it again, no/n/non marks it done, anything else asks again, Ctrl-C stops). \
            Finally steps run again. While a process group of the stopped run still runs, nothing is resumed unless \
            --kill-leftover. A journal has one writer at a time: while a run or another resume writes it, the resume is \
            refused at once, naming that filet; a lock left by a filet that was killed is taken over (recorded in \
            run.resumed). The run's --var values hold; one whose value the journal masks (a secret) must be given again \
            with --var, and a --var giving another value than the run's is refused.

            Exit codes: as filet run (0 succeeded, 1 failed, 3 journal, 124, 130, 143); 2 nothing was resumed \
            (the journal does not verify or is being written, the runbook changed, a decision or a masked --var is \
            missing, the run already succeeded).
            """
    )

    @Argument(help: "The journal of the run to continue (.jsonl).")
    var journal: String

    @Option(help: "The runbook file, when it is not at the path recorded in the journal.")
    var runbook: String?

    @Flag(help: "Approve every confirmation in advance (recorded as pre-approved by flag).")
    var yes = false

    @Option(name: .customLong("rerun"), help: ArgumentHelp("Run this step again, whatever the journal says it did.", valueName: "ID"))
    var rerun: [String] = []

    @Option(name: .customLong("mark-done"), help: ArgumentHelp("Take this step as done: it does not run again.", valueName: "ID"))
    var markDone: [String] = []

    @Option(
        name: .customLong("var"),
        help: ArgumentHelp(
            "Give again a variable the run was given with --var and whose value its journal masks (a secret); the others are kept.",
            valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Flag(help: "Resume even though the runbook file changed since the run started (recorded in the journal).")
    var force = false

    @Flag(
        help: """
            End the processes of steps that the stopped run left running (SIGTERM, then SIGKILL after 5s; recorded in \
            the journal) instead of refusing to resume while they run.
            """)
    var killLeftover = false

    @Option(help: "After SIGTERM, how long the run may take to stop, finally steps included, before they are cancelled.")
    var shutdownGrace: String = "20s"

    @Option(
        name: .customLong("operator"),
        help:
            "Who resumes it, recorded in the journal and compared with approvers: a label, not an authentication (default: the login name)."
    )
    var operatorName: String?

    @Option(help: "Sign checkpoints of the resumed part with this Ed25519 key (default: the file named by FILET_SIGNING_KEY).")
    var signingKey: String?

    @Option(help: "How many steps may run at once (default: as the run started).")
    var concurrency: Int?

    @Option(help: "Output format: text, or json (one JSON event per line).")
    var format: OutputFormat = .text

    @OptionGroup var language: LanguageOption

    func validate() throws {
        if let concurrency, !(1...1024).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 1024") }
        _ = try parsedShutdownGrace(shutdownGrace)
        if let both = rerun.first(where: markDone.contains) {
            throw ValidationError("step '\(both)' is given both --rerun and --mark-done: choose one")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let request = ResumeRequest(
            journalPath: journal, runbookFile: runbook, rerun: rerun, markDone: markDone, force: force, killLeftover: killLeftover,
            shutdownGrace: try parsedShutdownGrace(shutdownGrace),
            operatorName: operatorName ?? Operator.loginName(environment), concurrency: concurrency, environment: environment,
            signing: SigningRequest.keyPath(flag: signingKey, environment: environment).map { SigningRequest(keyPath: $0) },
            preApproved: yes, canAsk: isatty(STDIN_FILENO) == 1, variables: try variableAssignments(variables))
        let prepared: PreparedRun
        do throws(SessionRefusal) {
            prepared = try await RunSession.prepareResume(
                request, decider: request.canAsk ? TerminalDecider(language: Terminal.language) : nil)
        } catch {
            throw error.exit(.nothingResumed)
        }
        let outcome = await TerminalSession.run(prepared, operatorName: request.operatorName, preApproved: yes, format: format)
        throw ExitStatus(outcome).exitCode
    }
}

/// Asks at the terminal about a step that was running when the run stopped and is not idempotent. The same words as
/// a confirmation: yes runs it again, no takes it as done; anything else asks again; Ctrl-C (or the end of input)
/// stops, and nothing is resumed.
struct TerminalDecider: InterruptedStepDecider {
    let language: Language

    func decide(stepID: String) async -> InterruptedStepDecision? {
        Terminal.output(Message.interruptedStepQuestion(stepID).text(language))
        while true {
            guard let line = await Terminal.readLine() else { return nil }
            switch YesNoAnswer(typed: line) {
            case .yes: return .rerun
            case .no: return .markDone
            case nil: Terminal.output("  " + Message.notAnAnswer(Terminal.printable(line), then: .interruptedStepAgain).text(language))
            }
        }
    }
}
