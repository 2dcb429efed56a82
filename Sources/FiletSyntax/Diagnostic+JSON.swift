public import FiletSupport

extension Diagnostic {
    /// The diagnostic for editors and CI: `file`, `line`, `column` (1-based), `offset` (bytes),
    /// `severity`, `code`, `message`, `hint` and `notes`.
    public func json(file: String) -> JSONValue {
        .object([
            ("file", .string(file)),
            ("line", .integer(location.line)),
            ("column", .integer(location.column)),
            ("offset", .integer(location.offset)),
            ("severity", .string(severity.rawValue)),
            ("code", .string(code.rawValue)),
            ("message", .string(message)),
            ("hint", .optional(hint)),
            (
                "notes",
                .array(
                    notes.map { note in
                        .object([
                            ("line", .integer(note.location.line)),
                            ("column", .integer(note.location.column)),
                            ("offset", .integer(note.location.offset)),
                            ("message", .string(note.message)),
                        ])
                    })
            ),
        ])
    }
}
