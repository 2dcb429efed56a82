import ArgumentParser
import FiletJournal
import FiletReports
import Foundation

struct AuditShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run's journal as a readable timeline.",
        discussion: """
            Each event with its time and offset from the start, its step, attempt, outcome and what it observed; \
            then a summary with the integrity verdict. A journal that does not verify is shown with its verdict first. \
            Exit 0 once shown (even when the journal is not intact: 'filet audit verify' is the gate), 2 on usage errors.
            """
    )

    @Argument(help: "The journal file (.jsonl).")
    var journal: String

    @Option(help: "Only the events of this step.")
    var step: String?

    @Flag(help: "Only the steps that failed, and their events.")
    var failed = false

    @Option(help: "Only the events of this record type (step.attempt) or family (step, confirm, run).")
    var type: String?

    @Option(help: "The environment variable that holds the journal key.")
    var keyEnv: String = JournalKey.environmentVariable

    func run() throws {
        let timeline = try loadTimeline(journal, keyEnv: keyEnv)
        Terminal.say(TimelineText.render(timeline, filter: TimelineText.Filter(step: step, failedOnly: failed, type: type)))
    }
}

/// The journal key from `keyEnv`, if set; a bad key is a usage error.
func journalKey(_ keyEnv: String) throws -> [UInt8]? {
    do throws(JournalError) {
        return try ProcessInfo.processInfo.environment[keyEnv].map { value throws(JournalError) in
            try JournalKey.validated(value, source: keyEnv)
        }
    } catch {
        throw InputError(error.message)
    }
}

/// Reads and verifies a journal. A journal so damaged that it cannot be read (a corrupt middle line) prints
/// its verdict and exits 1.
func loadTimeline(_ path: String, keyEnv: String) throws -> RunTimeline {
    let key = try journalKey(keyEnv)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw InputError("\(path): no such file") }
    guard !isDirectory.boolValue else { throw InputError("\(path): is a directory, not a journal file") }
    do throws(JournalError) {
        return try RunTimeline.load(path: path, key: key)
    } catch  where error.kind == .corrupt {
        if let verification = try? JournalVerifier.verify(path: path, key: key) {
            Terminal.say("INTEGRITY: \(verification.verdict)\n")
            for problem in verification.problems { Terminal.say("  line \(problem.line): \(problem.kind): \(problem.message)\n") }
        }
        Terminal.error("filet: \(error.message)")
        throw ExitStatus.failure.exitCode
    } catch {
        throw InputError(error.message)
    }
}
