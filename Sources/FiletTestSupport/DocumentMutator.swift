/// Seeded mutations of documents, for robustness tests and fuzzing: byte and token
/// insertions, deletions, re-indentation, line shuffles, truncations and splices, biased
/// toward the characters that matter to a YAML parser.
public enum DocumentMutator: Sendable {
    /// Bytes and snippets a mutation inserts or substitutes.
    static let tokens: [[UInt8]] =
        [
            ": ", ":", " #", "#", "- ", "-", "? ", "?", ",", "[", "]", "{", "}", "'", "''", "\"", "\\", "\\\n", "|", ">",
            "|+", "|-", ">2", "|9-", "&a ", "*a", "!t ", "!!str ", "%YAML 1.2\n", "<<: ", "---", "---\n", "...", "...\n",
            "\t", " ", "  ", "\n", "\n\n", "\r\n", "\r", "\n  ", "\n- ", "\n  - ", "\na: ", "\\x4", "\\u00e9", "\\U0001F6A8",
            "\\q", "\\", "é", "日", "🚨", "\u{FEFF}", "\u{202E}", "\u{2028}", "\u{85}", "@", "`", "%", "{a: [b, {c: d}]}",
            "[a, [b, [c]]]", "\"a\\\n b\"", "'a\n\n b'", "key: |\n  text\n", "- - x\n",
        ].map { Array($0.utf8) } + [[0x00], [0x01], [0x7F], [0xC3], [0xE2, 0x82], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80]]

    /// One to four random mutations of `bytes`.
    public static func mutate(_ bytes: [UInt8], rng: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<rng.int(1...4) { mutateOnce(&bytes, rng: &rng) }
        return bytes
    }

    /// `first` up to a random point, then `second` from a random point.
    public static func splice(_ first: [UInt8], _ second: [UInt8], rng: inout SplitMix64) -> [UInt8] {
        Array(first[..<rng.int(0...first.count)]) + Array(second[rng.int(0...second.count)...])
    }

    /// Random bytes of length 0 to `maxLength`, mostly made of YAML-significant characters.
    public static func randomBytes(maxLength: Int, rng: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        let length = rng.int(0...maxLength)
        while bytes.count < length {
            switch rng.below(10) {
            case 0..<5: bytes += rng.pick(tokens)
            case 5..<8: bytes += Array(rng.pick(["a", "key", "value", "x y", "0", "é"]).utf8)
            default: bytes.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return bytes
    }

    private static func mutateOnce(_ bytes: inout [UInt8], rng: inout SplitMix64) {
        let position = rng.int(0...bytes.count)
        switch rng.below(10) {
        case 0, 1:
            bytes.insert(contentsOf: rng.pick(tokens), at: position)
        case 2:
            if position < bytes.count { bytes.replaceSubrange(position...position, with: rng.pick(tokens)) }
        case 3:
            bytes.removeSubrange(position..<min(bytes.count, position + rng.int(1...8)))
        case 4:
            if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
        case 5:
            bytes.removeSubrange(position...)
        case 6:
            // Re-indent a line: add or remove spaces at its start.
            let start = lineStart(bytes, position)
            if rng.chance(0.5) {
                bytes.insert(contentsOf: Array(repeating: UInt8(ascii: " "), count: rng.int(1...3)), at: start)
            } else {
                var end = start
                while end < bytes.count && end - start < rng.int(1...3) && bytes[end] == UInt8(ascii: " ") { end += 1 }
                bytes.removeSubrange(start..<end)
            }
        case 7:
            // Duplicate a line somewhere else.
            let start = lineStart(bytes, position)
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let line = Array(bytes[start..<min(bytes.count, end + 1)])
            bytes.insert(contentsOf: line, at: lineStart(bytes, rng.int(0...bytes.count)))
        case 8:
            // Swap a line with the one after it.
            let start = lineStart(bytes, position)
            guard let firstEnd = bytes[start...].firstIndex(of: 0x0A) else { return }
            let secondEnd = bytes[(firstEnd + 1)...].firstIndex(of: 0x0A) ?? bytes.count
            let first = bytes[start...firstEnd]
            let second = bytes[(firstEnd + 1)..<secondEnd]
            bytes.replaceSubrange(start..<secondEnd, with: Array(second) + [0x0A] + Array(first.dropLast()))
        default:
            // Change a character of an indicator into another.
            let indicators = Array(":-#'\"[]{},|>&*!?%@` \t\n\\".utf8)
            for _ in 0..<8 {
                let index = rng.int(0...max(0, bytes.count - 1))
                if index < bytes.count && indicators.contains(bytes[index]) {
                    bytes[index] = rng.pick(indicators)
                    return
                }
            }
        }
    }

    private static func lineStart(_ bytes: [UInt8], _ position: Int) -> Int {
        var start = min(position, bytes.count)
        while start > 0 && bytes[start - 1] != 0x0A { start -= 1 }
        return start
    }
}
