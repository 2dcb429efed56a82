/// Prints diagnostics as compilers do:
///
/// ```
/// Runbooks/x.yaml:12:5: error: duplicate key 'id' in this mapping
///    12 |     id: b
///       |     ^
///       = hint: ...
/// Runbooks/x.yaml:10:5: note: 'id' is first set here
/// ```
public struct DiagnosticRenderer: Sendable {
    public var file: SourceFile

    public init(file: SourceFile) { self.file = file }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = header(diagnostic.location, diagnostic.severity.rawValue, diagnostic.message)
        out += excerpt(diagnostic.location)
        if let hint = diagnostic.hint {
            out += "\(gutter(for: diagnostic.location)) = hint: \(hint)\n"
        }
        for note in diagnostic.notes {
            out += header(note.location, "note", note.message)
            out += excerpt(note.location)
        }
        return out
    }

    private func header(_ location: SourceLocation, _ kind: String, _ message: String) -> String {
        "\(file.path):\(location.line):\(location.column): \(kind): \(message)\n"
    }

    private func gutter(for location: SourceLocation) -> String {
        String(repeating: " ", count: String(location.line).count + 1)
    }

    private func excerpt(_ location: SourceLocation) -> String {
        guard let text = file.lineText(containing: location) else { return "" }
        let pad = gutter(for: location)
        // Keep tabs under tabs so the caret lines up in any terminal.
        let prefix = text.unicodeScalars.prefix(max(0, location.column - 1))
            .map { $0 == "\t" ? "\t" : " " }.joined()
        return " \(location.line) | \(text)\n\(pad) | \(prefix)^\n"
    }
}
