public import FiletSupport
import Foundation

/// Hides secrets from every text that leaves filet: the values of the environment
/// variables a runbook lists under `secrets:`, and any other value registered as secret
/// (webhook URLs, signing secrets). Built once per run, used wherever text is shown or written.
///
/// Each secret is hidden as written and in the forms a command may print it in: each of
/// its lines (a multi-line secret), base64 (at any alignment inside a longer base64 text),
/// URL-encoded and JSON-escaped. Masking is applied to whole texts, never to raw chunks
/// of a stream that could split a secret.
public struct Masker: Sendable {
    public static let mask = "***"
    /// Secrets shorter than this also hide ordinary text; they get a warning.
    public static let recommendedMinimumLength = 8
    /// Lines and encoded fragments shorter than this are not hidden on their own.
    static let minimumFragmentLength = 6

    private var patterns: [String] = []

    public init(secrets: [String] = []) {
        for secret in secrets { add(secret) }
    }

    /// A masker for a runbook's `secrets:`, read from `environment`.
    public init(runbook: Runbook, environment: [String: String]) {
        self.init(secrets: runbook.secrets.compactMap { environment[$0] })
    }

    /// Registers one more value to hide, with its encoded forms. Longer patterns are replaced
    /// first, so a secret that contains another is hidden whole.
    public mutating func add(_ secret: String) {
        guard !secret.isEmpty else { return }
        var forms = [secret] + Self.jsonEscapes(of: secret)
        forms += Self.percentEncodings(of: secret).flatMap { [$0, Self.lowercasingEscapes($0)] }
        forms += Self.base64Cores(of: Array(secret.utf8))
        let lines = secret.split(whereSeparator: \.isNewline).map(String.init)
        if lines.count > 1 { forms += lines.filter { $0.count >= Self.minimumFragmentLength } }
        for form in forms where !form.isEmpty && !patterns.contains(form) && (form == secret || form.count >= Self.minimumFragmentLength) {
            patterns.append(form)
        }
        patterns.sort { $0.count > $1.count }
    }

    public func callAsFunction(_ text: String) -> String {
        patterns.reduce(text) { Self.occurs($1, in: $0) ? $0.replacing($1, with: Self.mask) : $0 }
    }

    /// A byte search (memmem): most texts hold no secret, and this is the cost every text pays.
    private static func occurs(_ pattern: String, in text: String) -> Bool {
        var text = text
        var pattern = pattern
        return text.withUTF8 { haystack in
            pattern.withUTF8 { needle in
                guard let base = haystack.baseAddress, let wanted = needle.baseAddress, needle.count > 0, haystack.count >= needle.count
                else {
                    return false
                }
                let lastStart = haystack.count - needle.count
                var start = 0
                while start <= lastStart {
                    guard let found = memchr(base + start, Int32(wanted.pointee), lastStart - start + 1) else { return false }
                    let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + index, wanted, needle.count) == 0 { return true }
                    start = index + 1
                }
                return false
            }
        }
    }

    /// Every string inside a JSON value, masked.
    public func mask(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(self(text))
        case .array(let items): .array(items.map(mask))
        case .object(let members): .object(members.map { ($0.0, mask($0.1)) })
        case .integer, .bool, .null: value
        }
    }

    /// A URL shown without what may be a credential: only the scheme and host stay.
    public static func redactedURL(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return mask }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { !"/?#".contains($0) }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let rest = afterScheme.dropFirst(authority.count)
        return url[..<schemeEnd.upperBound] + host + (rest.isEmpty ? "" : "/" + mask)
    }

    /// The secret inside a JSON string as common encoders write it: filet's own form, with `\/`
    /// for '/' (PHP, Foundation), with `\uXXXX` for every non-ASCII character (Python's default),
    /// and with both.
    private static func jsonEscapes(of text: String) -> [String] {
        let plain = String(JSONValue.quoted(text).dropFirst().dropLast())
        var ascii = ""
        for scalar in plain.unicodeScalars {
            if scalar.isASCII {
                ascii.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 { ascii += "\\u" + Hex.codePoint(UInt32(unit)).lowercased() }
            }
        }
        return [plain, ascii].flatMap { [$0, $0.replacing("/", with: "\\/")] }
    }

    /// URL encodings as common tools write them: RFC 3986 unreserved characters kept,
    /// the same keeping '/' (Python's `quote`), and letters and digits only.
    private static func percentEncodings(of text: String) -> [String] {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let sets = [unreserved, unreserved.union(CharacterSet(charactersIn: "/")), CharacterSet.alphanumerics]
        return sets.compactMap { text.addingPercentEncoding(withAllowedCharacters: $0) }
    }

    /// `%2F` → `%2f`, the rest untouched.
    private static func lowercasingEscapes(_ text: String) -> String {
        var out = ""
        var hexLeft = 0
        for character in text {
            if character == "%" {
                hexLeft = 2
                out.append(character)
            } else if hexLeft > 0 {
                hexLeft -= 1
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The part of the base64 encoding that depends only on the secret's bytes, for each of
    /// the three alignments the secret can have inside a longer encoded text.
    private static func base64Cores(of bytes: [UInt8]) -> [String] {
        (0..<3).compactMap { offset in
            let encoded = Array((Data(repeating: 0, count: offset) + Data(bytes)).base64EncodedString().utf8)
            let firstGroup = (offset + 2) / 3
            let lastGroup = (offset + bytes.count) / 3
            guard lastGroup > firstGroup else { return nil }
            return String(decoding: encoded[(firstGroup * 4)..<(lastGroup * 4)], as: UTF8.self)
        }
    }
}
