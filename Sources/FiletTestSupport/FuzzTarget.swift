import FiletJournal
import FiletRunbook
import FiletSyntax
import Foundation

/// The fuzz targets of `scripts/fuzz.sh` (the `filet-fuzz` executable, built with libFuzzer and AddressSanitizer),
/// shared with the test that replays every input they found (`Tests/Fixtures/fuzz/<target>/`).
///
/// Each takes arbitrary bytes and must return: any diagnostic, refusal or verification problem is an answer; a
/// trap, a crash or a hang is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The runbook parser and validator: `Syntax.parse`, then `RunbookLoader.load` (schema, references, plan).
    case runbook
    /// The `when` condition parser: `Condition(parsing:)` on the bytes as UTF-8 (invalid sequences replaced).
    case condition
    /// The journal reader and verifier: the bytes written to a file, then `JournalReader.read` and
    /// `JournalVerifier.verify`, with and without a key.
    case journal

    /// Runs the target on one input.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .runbook:
            let file = SourceFile(path: "fuzz.yaml", bytes: bytes)
            _ = try? Syntax.parse(file)
            _ = try? RunbookLoader.load(file)
        case .condition:
            _ = try? Condition(parsing: String(decoding: bytes, as: UTF8.self))
        case .journal:
            let path = Self.journalPath
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                fatalError("filet-fuzz: cannot write \(path)")
            }
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try? JournalReader.read(path: path)
            _ = try? JournalVerifier.verify(path: path)
            _ = try? JournalVerifier.verify(path: path, key: Array(repeating: 7, count: 32))
        }
    }

    /// One file per process, reused by every input.
    private static let journalPath = NSTemporaryDirectory() + "/filet-fuzz-\(ProcessInfo.processInfo.processIdentifier).jsonl"
}
