/// The secret that authenticates every journal record with HMAC-SHA256.
///
/// The key is the raw UTF-8 bytes of the `FILET_JOURNAL_KEY` value, used as they are (a
/// hex-looking value is not decoded), so that an auditor can recompute a MAC with
/// `openssl dgst -sha256 -hmac "$FILET_JOURNAL_KEY"`.
public enum JournalKey: Sendable {
    /// The environment variable the engine reads the key from.
    public static let environmentVariable = "FILET_JOURNAL_KEY"
    /// The shortest key accepted, in bytes.
    public static let minimumLength = 16

    /// The key from `environment`: nil when the variable is not set, an error when it is set
    /// but shorter than ``minimumLength`` bytes (an empty value included).
    public static func fromEnvironment(_ environment: [String: String]) throws(JournalError) -> [UInt8]? {
        guard let value = environment[environmentVariable] else { return nil }
        return try validated(value, source: environmentVariable)
    }

    /// The key held by an environment variable's value, checked: `source` names the variable in errors.
    public static func validated(_ value: String, source: String) throws(JournalError) -> [UInt8] {
        let key = Array(value.utf8)
        try validate(key, source: source)
        return key
    }

    /// Throws ``JournalError/Kind/invalidKey`` for a key shorter than ``minimumLength`` bytes.
    static func validate(_ key: [UInt8], source: String = "the journal key") throws(JournalError) {
        guard key.count >= minimumLength else {
            throw JournalError(
                .invalidKey, path: source,
                message: """
                    \(source) is \(key.count) byte\(key.count == 1 ? "" : "s") long; a journal key must be at least \
                    \(minimumLength) bytes (for example the output of `openssl rand -hex 32`)
                    """)
        }
    }
}
