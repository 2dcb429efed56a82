import ArgumentParser
import FiletEngine
import FiletReports
import FiletRunbook
import FiletSupport

struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a runbook as a readiness drill: checks for real, notifications marked as an exercise, commands simulated.",
        discussion: """
            Each step's `drill:` decides: run (do it for real), skip, or simulate (record what would have been done, \
            do nothing). By default checks, waits and notifications run (every message prefixed with the exercise marker \
            and flagged `drill: true`, sent to a channel's `drill_webhook` when it has one); `run` and `confirm` steps are \
            simulated. At the end, a readiness summary: each check's result and latency, each channel reached or not, the \
            share of steps that would have succeeded.

            Exit codes: 0 readiness at or above --min-readiness; 1 below it; 2 usage or validation error (nothing ran); \
            3 the journal could not be written; 124 the --timeout expired; 130 / 143 interrupted.
            """
    )

    @Argument(help: "The runbook file.")
    var file: String

    @OptionGroup var options: RunOptions

    @Option(help: "The readiness, in percent of steps that would have succeeded, below which the drill fails (exit 1).")
    var minReadiness: Int = 100

    @Option(help: "The marker put before every notification's text.")
    var prefix: String = "[EXERCICE]"

    func validate() throws {
        guard (0...100).contains(minReadiness) else { throw ValidationError("--min-readiness takes a percentage from 0 to 100") }
    }

    func run() async throws {
        let (outcome, plan) = try await options.execute(file: file, mode: .drill, drillPrefix: prefix)
        let readiness = DrillReadiness(outcome: outcome, plan: plan)
        if options.format == .json {
            Terminal.output(
                JSONValue.object([("event", "drill.readiness")] + readiness.jsonMembers(minimum: minReadiness)).rendered(pretty: false)
                    + "\n")
        } else {
            Terminal.output("\n" + readiness.text())
        }
        let status = ExitStatus(outcome)
        // A drill that ran to its end is judged by its readiness; an interrupted one, or a broken journal, by the run.
        guard status == .success || status == .failure else { throw status.exitCode }
        throw (readiness.meets(minimum: minReadiness) ? ExitStatus.success : .failure).exitCode
    }
}
