import ArgumentParser
import FiletKit
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Examine run journals.",
        subcommands: [VerifyCommand.self, AuditShowCommand.self, AuditReportCommand.self]
    )
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a journal's whole hash chain (and MACs, with the key) and say how far it verifies.",
        discussion: """
            Every line is parsed, every prev recomputed, seq continuity and timestamp order checked, every mac \
            checked when the key is given; a torn last line and a run that was never closed are reported. \
            Exit 0 when the journal is intact, 1 when it is not, 2 on usage errors.
            """
    )

    @Argument(help: "The journal file (.jsonl).")
    var journal: String

    @Option(help: "The environment variable that holds the journal key.")
    var keyEnv: String = JournalKey.environmentVariable

    @Option(help: "Output format: text, or json.")
    var format: OutputFormat = .text

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let key: [UInt8]?
        do throws(JournalError) {
            key = try environment[keyEnv].map { value throws(JournalError) in try JournalKey.validated(value, source: keyEnv) }
        } catch {
            throw ValidationError(error.message)
        }
        guard FileManager.default.fileExists(atPath: journal) else { throw ValidationError("\(journal): no such file") }
        let verification: JournalVerification
        do throws(JournalError) {
            verification = try JournalVerifier.verify(path: journal, key: key)
        } catch {
            throw ValidationError(error.message)
        }
        switch format {
        case .json:
            Terminal.output(JSONValue.object([
                ("journal", .string(journal)), ("intact", .bool(verification.isIntact)), ("verdict", .string(verification.verdict)),
                ("records", .integer(verification.recordCount)), ("verified_through", .integer(verification.verifiedThrough)),
                ("macs_checked", .bool(verification.macsChecked)), ("closed", .bool(verification.isClosed)),
                ("problems", .array(verification.problems.map { problem in
                    .object([("line", .integer(problem.line)), ("kind", .string(problem.kind.rawValue)), ("message", .string(problem.message))])
                })),
            ]).rendered() + "\n")
        case .text:
            Terminal.output("\(journal): \(verification.verdict)\n")
            for problem in verification.problems { Terminal.output("  \(journal):\(problem.line): \(problem.kind): \(problem.message)\n") }
            if key == nil && verification.hasMACs {
                Terminal.output("  note: the journal carries MACs; set \(keyEnv) to check them\n")
            }
        }
        if !verification.isIntact { throw ExitCode(ExitStatus.failure) }
    }
}
