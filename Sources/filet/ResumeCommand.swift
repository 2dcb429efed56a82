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
            idempotent, else the operator decides: --rerun ID or --mark-done ID (asked on a terminal). Finally steps \
            run again. While a process group of the stopped run still runs, nothing is resumed unless --kill-leftover.

            Exit codes: as filet run (0 succeeded, 1 failed, 3 journal, 124, 130, 143); 2 nothing was resumed \
            (the journal does not verify, the runbook changed, a decision is missing, the run already succeeded).
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

    @Option(name: .customLong("operator"), help: "Who resumes it, recorded in the journal (default: the login name).")
    var operatorName: String?

    @Option(help: "Sign checkpoints of the resumed part with this Ed25519 key (default: the file named by FILET_SIGNING_KEY).")
    var signingKey: String?

    @Option(help: "How many steps may run at once (default: as the run started).")
    var concurrency: Int?

    @Option(help: "Output format: text, or json (one JSON event per line).")
    var format: OutputFormat = .text

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
            signing: SigningRequest.keyPath(flag: signingKey, environment: environment).map { SigningRequest(keyPath: $0) })
        let prepared: PreparedRun
        do throws(SessionRefusal) {
            prepared = try await RunSession.prepareResume(request, decider: isatty(STDIN_FILENO) == 1 ? TerminalDecider() : nil)
        } catch {
            throw error.exit("nothing resumed")
        }
        let outcome = await TerminalSession.run(prepared, operatorName: request.operatorName, preApproved: yes, format: format)
        throw ExitStatus(outcome).exitCode
    }
}

/// Asks at the terminal about a step that was running when the run stopped and is not idempotent.
struct TerminalDecider: InterruptedStepDecider {
    func decide(stepID: String) async -> InterruptedStepDecision? {
        Terminal.output(
            """
            ? step '\(stepID)' was running when the run stopped and is not idempotent: it may or may not have taken effect.
              y = run it again, d = mark it done, anything else = stop: 
            """)
        switch await Terminal.readLine()?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "y": return .rerun
        case "d": return .markDone
        default: return nil
        }
    }
}
