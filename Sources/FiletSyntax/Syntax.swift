/// filet YAML: the strict subset of YAML that runbooks are written in.
///
/// `Syntax.parse` turns a file's bytes into a ``Node`` tree (or located diagnostics).
/// Every document it accepts composes to the same tree as a YAML 1.2 parser would
/// build; everything outside the subset is rejected with its own message.
/// The grammar and its limits are documented in `docs/runbook-language.md`.
public enum Syntax: Sendable {
    /// The largest file accepted, in bytes.
    public static let maximumFileSize = 8 * 1024 * 1024
    /// The deepest nesting of mappings and lists accepted.
    public static let maximumDepth = 64
    /// The longest mapping key accepted, in bytes (YAML's own limit for simple keys is 1024 characters).
    public static let maximumKeyLength = 1024

    /// Parses one document. Throws every diagnostic found (a syntax error stops the
    /// parse; duplicate keys are all collected).
    public static func parse(_ file: SourceFile) throws(DiagnosticList) -> Node {
        if file.bytes.count > maximumFileSize {
            throw DiagnosticList([
                Diagnostic(
                    "file-too-large",
                    "the file is larger than \(maximumFileSize) bytes (8 MiB), the limit for a runbook",
                    at: .start, hint: "split the runbook into smaller ones")
            ])
        }
        do throws(Diagnostic) {
            try EncodingCheck.check(file.bytes)
        } catch {
            throw DiagnosticList([error])
        }
        return try file.bytes.withUnsafeBufferPointer { buffer throws(DiagnosticList) -> Node in
            var parser = Parser(buffer)
            let root: Node
            do throws(Diagnostic) {
                root = try parser.parseStream()
            } catch {
                throw DiagnosticList(parser.duplicateKeys + [error])
            }
            if !parser.duplicateKeys.isEmpty { throw DiagnosticList(parser.duplicateKeys) }
            return root
        }
    }

    /// Characters that make a file read differently than it runs (bidirectional
    /// overrides and isolates), and Unicode line separators that YAML 1.1 parsers
    /// treat as line breaks.
    static func isInvisibleHazard(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029, 0x85, 0xFEFF: true
        default: false
        }
    }
}
