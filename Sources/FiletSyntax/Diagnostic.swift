/// A problem found in a runbook, with where it is and, where one helps, how to fix it.
///
/// Diagnostics are values: the parser and the validator return every one they find,
/// and ``DiagnosticRenderer`` prints them the way compilers do.
public struct Diagnostic: Error, Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    /// A stable, machine-readable identifier of the kind of problem (for editors, CI and tests).
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }
    }

    /// A second place that explains the first, such as the earlier of two duplicate keys.
    public struct Note: Sendable, Hashable {
        public var message: String
        public var location: SourceLocation
        public init(_ message: String, at location: SourceLocation) {
            self.message = message
            self.location = location
        }
    }

    public var severity: Severity
    public var code: Code
    public var message: String
    public var location: SourceLocation
    public var hint: String?
    public var notes: [Note]

    public init(
        _ code: Code, _ message: String, at location: SourceLocation,
        hint: String? = nil, notes: [Note] = [], severity: Severity = .error
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.notes = notes
    }
}

/// One or more diagnostics, thrown when a file cannot be used.
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
