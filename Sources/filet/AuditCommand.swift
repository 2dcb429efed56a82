import ArgumentParser
import FiletJournal
import FiletRunbook
import FiletSupport
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Examine run journals.",
        subcommands: [VerifyCommand.self, AuditShowCommand.self, AuditReportCommand.self, KeygenCommand.self, AnchorCommand.self]
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

    @Option(
        help:
            "The public key (filet-signing.pub) that signs the journal's checkpoints: check every signature, and report records after the last checkpoint (unsigned-tail)."
    )
    var publicKey: String?

    @Option(
        help: ArgumentHelp("An anchor line printed by `filet audit anchor`: check that the journal still matches it.", valueName: "LINE"))
    var anchor: String?

    @Option(help: "Output format: text, or json.")
    var format: OutputFormat = .text

    func run() throws {
        let key = try journalKey(keyEnv)
        guard FileManager.default.fileExists(atPath: journal) else { throw InputError("\(journal): no such file") }
        let verifyingKey: VerifyingKey?
        let anchorLine: JournalAnchor?
        do throws(CheckpointError) {
            verifyingKey = try publicKey.map { path throws(CheckpointError) in try VerifyingKey(path: path) }
            anchorLine = try anchor.map { line throws(CheckpointError) in try JournalAnchor(line: line) }
        } catch {
            throw InputError(error.message)
        }
        let verification: JournalVerification
        do throws(JournalError) {
            verification = try JournalVerifier.verify(path: journal, key: key, publicKey: verifyingKey, anchor: anchorLine)
        } catch {
            throw InputError(error.message)
        }
        switch format {
        case .json:
            Terminal.say(
                JSONValue.object([
                    ("journal", .string(journal)), ("intact", .bool(verification.isIntact)), ("verdict", .string(verification.verdict)),
                    ("records", .integer(verification.recordCount)), ("verified_through", .integer(verification.verifiedThrough)),
                    ("macs_checked", .bool(verification.macsChecked)), ("closed", .bool(verification.isClosed)),
                    (
                        "signing",
                        verification.signing.map { signing in
                            .object([
                                ("checkpoints", .integer(signing.checkpoints)), ("signatures_checked", .bool(signing.signaturesChecked)),
                                ("signed_through", .integer(signing.signedThrough)), ("unsigned_tail", .integer(signing.unsignedTail)),
                            ])
                        } ?? .null
                    ),
                    (
                        "anchor",
                        verification.anchor.map { check in
                            .object([
                                ("line", .string(check.anchor.line)), ("matches", .bool(check.matches)),
                                ("records_after", .integer(check.recordsAfter)),
                            ])
                        } ?? .null
                    ),
                    (
                        "problems",
                        .array(
                            verification.problems.map { problem in
                                .object([
                                    ("line", .integer(problem.line)), ("kind", .string(problem.kind.rawValue)),
                                    ("message", .string(problem.message)),
                                ])
                            })
                    ),
                ]).rendered() + "\n")
        case .text:
            Terminal.say("\(journal): \(verification.verdict)\n")
            for problem in verification.problems { Terminal.say("  \(journal):\(problem.line): \(problem.kind): \(problem.message)\n") }
            if let check = verification.anchor, check.matches {
                Terminal.say(
                    "  anchor: records 1..\(check.anchor.records) match the anchor; \(check.recordsAfter) record\(check.recordsAfter == 1 ? "" : "s") after the anchor\n"
                )
            }
            if let signing = verification.signing, !signing.signaturesChecked {
                Terminal.say(
                    "  note: the journal carries \(signing.checkpoints) checkpoint\(signing.checkpoints == 1 ? "" : "s"), checked against the chain only; give --public-key to check their signatures\n"
                )
            }
            if key == nil && verification.hasMACs {
                Terminal.say("  note: the journal carries MACs; set \(keyEnv) to check them\n")
            }
        }
        if !verification.isIntact { throw ExitStatus.failure.exitCode }
    }
}
