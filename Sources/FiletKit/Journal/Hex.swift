/// Lowercase hexadecimal, as the journal writes digests and MACs.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex text.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `bytes` to `out` as lowercase hex digits.
    static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// The value of one lowercase hex digit, or nil (uppercase is not the journal's form).
    @inline(__always)
    static func value(_ digit: UInt8) -> UInt8? {
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

    /// Whether `text` is 64 lowercase hex digits: the form of a SHA-256 digest or an HMAC-SHA256.
    static func isDigest(_ text: some Collection<UInt8>) -> Bool {
        text.count == 64 && text.allSatisfy { value($0) != nil }
    }
}

/// A SHA-256 digest as four big-endian words: compared without allocating, the way the
/// verifier checks millions of `prev` members.
struct DigestWords: Hashable, Sendable {
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    static let zero = DigestWords(w0: 0, w1: 0, w2: 0, w3: 0)

    /// From the 32 bytes of a digest.
    init(digest: UnsafeRawBufferPointer) {
        w0 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w1 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// From 64 lowercase hex digits at `start` in `bytes`, or nil when they are not.
    init?(hex bytes: UnsafeBufferPointer<UInt8>, at start: Int) {
        guard start >= 0, start + 64 <= bytes.count, let base = bytes.baseAddress else { return nil }
        var invalid = false
        let digits = base + start
        let w0 = Self.word(digits, &invalid), w1 = Self.word(digits + 16, &invalid)
        let w2 = Self.word(digits + 32, &invalid), w3 = Self.word(digits + 48, &invalid)
        guard !invalid else { return nil }
        self.init(w0: w0, w1: w1, w2: w2, w3: w3)
    }

    /// 16 lowercase hex digits as a big-endian word, without branches; sets `invalid` when
    /// one is not a lowercase hex digit. (The verifier decodes two per line.)
    @inline(__always)
    private static func word(_ digits: UnsafePointer<UInt8>, _ invalid: inout Bool) -> UInt64 {
        var value: UInt64 = 0
        var bad = false
        for offset in 0..<16 {
            let byte = digits[offset]
            let decimal = byte &- UInt8(ascii: "0"), letter = byte &- UInt8(ascii: "a")
            let isDecimal = decimal < 10, isLetter = letter < 6
            bad = bad || !(isDecimal || isLetter)
            value = value << 4 | UInt64(isDecimal ? decimal : letter &+ 10)
        }
        invalid = invalid || bad
        return value
    }

    /// From 64 lowercase hex digits, or nil.
    init?(hex text: String) {
        var text = text
        guard let words = text.withUTF8({ DigestWords(hex: $0, at: 0) }), text.utf8.count == 64 else { return nil }
        self = words
    }
}
