import ArgumentParser
import FiletEngine
import FiletJournal
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
        let (outcome, _, journal) = try await options.execute(file: file, mode: .drill, drillPrefix: prefix)
        let status = ExitStatus(outcome)
        guard outcome.journalFailure == nil else {
            Terminal.error("filet: no readiness for drill \(outcome.runID): its journal could not be written")
            throw status.exitCode
        }
        // Rebuilt from the journal the drill just wrote, as `filet audit report` rebuilds it: the two cannot disagree.
        let readiness: DrillReadiness
        do throws(JournalError) {
            guard let rebuilt = try RunTimeline.load(path: journal).readiness else {
                throw JournalError(.corrupt, path: journal, message: "its run.started does not say it is a drill")
            }
            readiness = rebuilt
        } catch {
            Terminal.error("filet: no readiness for drill \(outcome.runID): \(error.message)")
            throw ExitStatus.journal.exitCode
        }
        if options.format == .json {
            Terminal.output(
                JSONValue.object([("event", "drill.readiness")] + readiness.jsonMembers(minimum: minReadiness)).rendered(pretty: false)
                    + "\n")
        } else {
            let text = readiness.text(language: Terminal.language, minimum: minReadiness)
            Terminal.output("\n" + Terminal.fitted(text))
        }
        // A drill that ran to its end is judged by its readiness; an interrupted one, or a broken journal, by the run.
        guard status == .success || status == .failure else { throw status.exitCode }
        throw (readiness.meets(minimum: minReadiness) ? ExitStatus.success : .failure).exitCode
    }
}
