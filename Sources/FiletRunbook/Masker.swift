public import FiletSupport
import Foundation

/// Hides secrets from every text that leaves filet: the values of the environment
/// variables a runbook lists under `secrets:`, and any other value registered as secret
/// (webhook URLs and each token of their path and query, signing secrets). Built once per run,
/// used wherever text is shown, written or sent.
///
/// Masking works on UTF-8 bytes: a secret is found and replaced whatever characters stand next
/// to it (a combining mark after it does not hide it). Each secret is hidden as written and in the
/// forms a command may print it in: each of its lines (a multi-line secret), JSON-escaped,
/// percent-encoded (either case of hex digits, `+` or `%20` for a space), hex (either case) and
/// base64 (standard and URL-safe, at any alignment inside a longer encoded text, and wrapped: hex
/// and base64 are also found across line breaks). Masking is applied to whole texts, never to raw
/// chunks of a stream that could split a secret; a cut of a text moves out of a secret
/// (``secretRanges(in:)``, ``longestSpan``).
public struct Masker: Sendable, Hashable {
    public static let mask = "***"
    /// Secrets shorter than this also hide ordinary text; they get a warning.
    public static let recommendedMinimumLength = 8
    /// Lines and encoded fragments shorter than this are not hidden on their own.
    static let minimumFragmentLength = 6

    /// Forms found as written.
    private var patterns: [[UInt8]] = []
    /// Forms that tools wrap (hex, base64): found in the text with its line breaks removed.
    private var wrappablePatterns: [[UInt8]] = []

    public init(secrets: [String] = []) {
        for secret in secrets { add(secret) }
    }

    /// A masker for a runbook's `secrets:`, read from `environment`.
    public init(runbook: Runbook, environment: [String: String]) {
        self.init(secrets: runbook.secrets.compactMap { environment[$0] })
    }

    /// Whether there is nothing to hide.
    public var isEmpty: Bool { patterns.isEmpty && wrappablePatterns.isEmpty }

    /// The most bytes one hidden secret can take in a text, line breaks inside a wrapped form included:
    /// a cut that keeps this many bytes beyond it sees every secret the cut could split.
    public private(set) var longestSpan = 0

    /// Registers one more value to hide, with its encoded forms.
    public mutating func add(_ secret: String) {
        guard !secret.isEmpty else { return }
        let bytes = Array(secret.utf8)
        var forms = [secret] + Self.jsonEscapes(of: secret)
        forms += Self.percentEncodings(of: secret).flatMap { [$0, Self.lowercasingEscapes($0)] }
        let lines = secret.split(whereSeparator: \.isNewline).map(String.init)
        if lines.count > 1 { forms += lines }
        let base64 = Self.base64Cores(of: bytes)
        let wrappable = [Hex.string(bytes), Hex.string(bytes).uppercased()] + base64 + base64.map(Self.urlSafe)
        for form in forms { Self.insert(Array(form.utf8), into: &patterns, secret: bytes) }
        for form in wrappable { Self.insert(Array(form.utf8), into: &wrappablePatterns, secret: bytes) }
        // A form wrapped at 32 columns or more, with CR LF line ends, is at most 3 × 32 / 30 times its length.
        longestSpan = max(patterns.map(\.count).max() ?? 0, 2 * (wrappablePatterns.map(\.count).max() ?? 0))
    }

    /// Registers each part of a URL that may be a credential: its user information, each segment of its path
    /// and each value of its query, percent-decoded, that is at least ``recommendedMinimumLength`` bytes and not a
    /// plain lowercase word (`services`, `webhooks`, `incoming-webhook` stay readable). A receiver that echoes
    /// the token of its URL in an error then shows it masked.
    public mutating func addParts(ofURL url: String) {
        guard let components = URLComponents(string: url) else { return }
        var parts = [components.percentEncodedUser, components.percentEncodedPassword].compactMap { $0 }
        parts += components.percentEncodedPath.split(separator: "/").map(String.init)
        parts += (components.percentEncodedQueryItems ?? []).compactMap(\.value)
        for part in parts {
            let decoded = part.removingPercentEncoding ?? part
            guard decoded.utf8.count >= Self.recommendedMinimumLength, !Self.isPlainWord(decoded) else { continue }
            add(decoded)
        }
    }

    private static func isPlainWord(_ text: String) -> Bool {
        text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Adds `form` once; a form shorter than ``minimumFragmentLength`` only when it is the secret itself.
    private static func insert(_ form: [UInt8], into list: inout [[UInt8]], secret: [UInt8]) {
        guard !form.isEmpty, form == secret || form.count >= minimumFragmentLength, !list.contains(form) else { return }
        list.append(form)
    }

    public func callAsFunction(_ text: String) -> String {
        guard !isEmpty else { return text }
        var text = text
        return text.withUTF8 { bytes in
            let ranges = secretRanges(in: bytes)
            guard !ranges.isEmpty else { return String(decoding: bytes, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var next = 0
            for range in ranges {
                out.append(contentsOf: bytes[next..<range.lowerBound])
                out.append(contentsOf: Self.mask.utf8)
                next = range.upperBound
            }
            out.append(contentsOf: bytes[next...])
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Where `bytes` hold a secret in any of its forms: byte ranges in order, those that overlap or touch merged.
    public func secretRanges(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !isEmpty, !bytes.isEmpty else { return [] }
        var found: [Range<Int>] = []
        for pattern in patterns { Self.occurrences(of: pattern, in: bytes) { found.append($0) } }
        if !wrappablePatterns.isEmpty {
            if !bytes.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                for pattern in wrappablePatterns { Self.occurrences(of: pattern, in: bytes) { found.append($0) } }
            } else {
                // The text without its line breaks, and for each break removed, the index in `joined` it stood before.
                var joined: [UInt8] = []
                var breaks: [Int] = []
                joined.reserveCapacity(bytes.count)
                for byte in bytes {
                    if byte == 0x0A || byte == 0x0D { breaks.append(joined.count) } else { joined.append(byte) }
                }
                // Where byte `index` of `joined` was in `bytes`: shifted by each break removed before it.
                func origin(_ index: Int) -> Int {
                    var low = 0
                    var high = breaks.count
                    while low < high {
                        let middle = (low + high) / 2
                        if breaks[middle] <= index { low = middle + 1 } else { high = middle }
                    }
                    return index + low
                }
                joined.withUnsafeBufferPointer { joined in
                    for pattern in wrappablePatterns {
                        Self.occurrences(of: pattern, in: joined) {
                            found.append(origin($0.lowerBound)..<(origin($0.upperBound - 1) + 1))
                        }
                    }
                }
            }
        }
        guard found.count > 1 else { return found }
        found.sort { $0.lowerBound < $1.lowerBound }
        var merged = [found[0]]
        for range in found.dropFirst() {
            if range.lowerBound <= merged[merged.count - 1].upperBound {
                merged[merged.count - 1] = merged[merged.count - 1].lowerBound..<max(merged[merged.count - 1].upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Each place `pattern` starts in `bytes`, found with memchr and memcmp: most texts hold no secret,
    /// and this is the cost every text pays.
    private static func occurrences(of pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, _ found: (Range<Int>) -> Void) {
        guard let base = bytes.baseAddress, bytes.count >= pattern.count else { return }
        pattern.withUnsafeBufferPointer { needle in
            guard let wanted = needle.baseAddress else { return }
            let lastStart = bytes.count - needle.count
            var start = 0
            while start <= lastStart {
                guard let hit = memchr(base + start, Int32(wanted.pointee), lastStart - start + 1) else { return }
                let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + index, wanted, needle.count) == 0 {
                    found(index..<(index + needle.count))
                    start = index + needle.count
                } else {
                    start = index + 1
                }
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
    /// the same keeping '/' (Python's `quote`), ASCII letters and digits only, all letters and digits
    /// only (non-ASCII ones kept, as Foundation's `.alphanumerics`), and HTML form encoding
    /// (`*-._` kept); each also with `+` for a space (`quote_plus`, `application/x-www-form-urlencoded`).
    private static func percentEncodings(of text: String) -> [String] {
        let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        let unreserved = CharacterSet(charactersIn: letters + "-._~")
        let sets = [
            unreserved, unreserved.union(CharacterSet(charactersIn: "/")), CharacterSet(charactersIn: letters), .alphanumerics,
            CharacterSet(charactersIn: letters + "*-._"),
        ]
        let encoded = sets.compactMap { text.addingPercentEncoding(withAllowedCharacters: $0) }
        return encoded + encoded.filter { $0.contains("%20") }.map { $0.replacing("%20", with: "+") }
    }

    /// Base64 text in the URL-safe alphabet (RFC 4648 section 5).
    private static func urlSafe(_ base64: String) -> String {
        String(base64.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
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
