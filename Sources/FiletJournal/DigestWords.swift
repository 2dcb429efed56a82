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
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// From 64 lowercase hex digits at `start` in `bytes`, or nil when they are not.
    init?(hex bytes: UnsafeBufferPointer<UInt8>, at start: Int) {
        guard start >= 0, start + 64 <= bytes.count, let base = bytes.baseAddress else { return nil }
        var invalid = false
        let digits = base + start
        let w0 = Self.word(digits, &invalid)
        let w1 = Self.word(digits + 16, &invalid)
        let w2 = Self.word(digits + 32, &invalid)
        let w3 = Self.word(digits + 48, &invalid)
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
            let decimal = byte &- UInt8(ascii: "0")
            let letter = byte &- UInt8(ascii: "a")
            let isDecimal = decimal < 10
            let isLetter = letter < 6
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
