import ArgumentParser
import FiletJournal
import Foundation

/// `filet audit keygen --out DIR`: a new Ed25519 key pair for signed checkpoints.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an Ed25519 key pair that signs journal checkpoints (filet run --signing-key).",
        discussion: """
            Writes filet-signing.key (the private key, mode 0600: give it to filet run --signing-key, keep it from \
            those whose actions the journal records) and filet-signing.pub (the public key: give it to auditors, \
            filet audit verify --public-key). Refuses to overwrite either file. Exit 0 when written, 1 when not.
            """
    )

    @Option(help: "The directory to write the two files into (created if missing).")
    var out: String

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            Terminal.error("filet: cannot create \(out): \(error.localizedDescription)")
            throw ExitStatus.failure.exitCode
        }
        do throws(CheckpointError) {
            let key = try SigningKeyFiles.generate(in: out)
            let directory = out.hasSuffix("/") ? String(out.dropLast()) : out
            Terminal.say(
                """
                wrote \(directory)/\(SigningKeyFiles.privateName) (private, mode 0600) and \(directory)/\(SigningKeyFiles.publicName)
                fingerprint \(key.publicKey.fingerprint)

                """)
        } catch {
            Terminal.error("filet: \(error.message)")
            throw ExitStatus.failure.exitCode
        }
    }
}

/// `filet audit anchor JOURNAL`: the chain head as one line to keep elsewhere.
struct AnchorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anchor",
        abstract: "Print the journal's chain head as one line to keep outside the journal (a ticket, an e-mail).",
        discussion: """
            Prints `filet-anchor v1 run=<run id> records=<n> head=<sha256 of line n>` for the verified records. \
            Later, `filet audit verify JOURNAL --anchor LINE` proves that the first n records are still the same. \
            Refuses (exit 1) when the chain does not verify; a torn last line or a run still going is fine (the \
            anchor covers the whole records before it).
            """
    )

    @Argument(help: "The journal file (.jsonl).")
    var journal: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: journal) else { throw InputError("\(journal): no such file") }
        let verification: JournalVerification
        do throws(JournalError) {
            verification = try JournalVerifier.verify(path: journal)
        } catch {
            throw InputError(error.message)
        }
        let damage = verification.problems.filter { ![.notClosed, .tornTail].contains($0.kind) }
        guard damage.isEmpty, let anchor = verification.currentAnchor else {
            Terminal.error("filet: \(journal): \(verification.verdict)")
            for problem in damage { Terminal.error("  \(journal):\(problem.line): \(problem.kind): \(problem.message)") }
            Terminal.error("filet: no anchor: the chain does not verify")
            throw ExitStatus.failure.exitCode
        }
        Terminal.say(anchor.line + "\n")
    }
}
