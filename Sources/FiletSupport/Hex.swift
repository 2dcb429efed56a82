/// Lowercase hexadecimal, as the journal writes digests and MACs. The per-byte functions are
/// `@inlinable`: the journal's writer and verifier call them for every record, from another module.
package enum Hex {
    @usableFromInline static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex text.
    package static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `bytes` to `out` as lowercase hex digits.
    @inlinable
    package static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// The value of one lowercase hex digit, or nil (uppercase is not the journal's form).
    @inlinable @inline(__always)
    package static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit &- UInt8(ascii: "a") &+ 10
        default: nil
        }
    }

    /// The value of one hex digit of either case, or nil (JSON's `\u` escapes allow both).
    @inline(__always)
    static func value(ofAnyCase digit: UInt8) -> UInt8? {
        if let value = value(digit) { return value }
        return (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(digit) ? digit &- UInt8(ascii: "A") &+ 10 : nil
    }

    /// A code point in the form of `U+00E9`: at least four uppercase hex digits.
    package static func codePoint(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Whether `text` is 64 lowercase hex digits: the form of a SHA-256 digest or an HMAC-SHA256.
    @inlinable
    package static func isDigest(_ text: some Collection<UInt8>) -> Bool {
        text.count == 64 && text.allSatisfy { value($0) != nil }
    }
}
