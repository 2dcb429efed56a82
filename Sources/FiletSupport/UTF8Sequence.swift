/// Decoding of one multi-byte UTF-8 sequence, shared by the runbook's encoding check and the
/// journal's JSON reader. `@inlinable`, so that the encoding check in FiletSyntax gets it
/// specialized for its byte buffer instead of a generic call per non-ASCII character.
package enum UTF8Sequence {
    /// The scalar encoded by the 2-to-4-byte sequence that starts at `index`, and its length; nil for
    /// a bad lead byte, a truncated or overlong sequence, a surrogate, or a value above U+10FFFF.
    @inlinable
    package static func decode<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: Bytes.Index) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(lead & 0x07)
        default: return nil
        }
        guard bytes.distance(from: index, to: bytes.endIndex) >= length else { return nil }
        for offset in 1..<length {
            let byte = bytes[bytes.index(index, offsetBy: offset)]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
