/// A length of time written in a runbook: `500ms`, `30s`, `5m`, `1h`, `1h30m`, `2m30s`, `0s`.
public struct RunbookDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func seconds(_ value: Int64) -> RunbookDuration { .init(milliseconds: value * 1000) }

    /// The accepted forms, for error messages.
    public static let acceptedForms = "500ms, 30s, 5m, 1h, 1h30m (units h, m, s, ms, largest first, each at most once)"

    private static let units: [(suffix: String, milliseconds: Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]

    /// Parses the runbook notation, or returns nil.
    public init?(parsing text: String) {
        var total: Int64 = 0
        var nextUnit = 0
        var bytes = text.utf8[...]
        guard !bytes.isEmpty else { return nil }
        while !bytes.isEmpty {
            var value: Int64 = 0
            var digits = 0
            while let byte = bytes.first, byte >= 0x30, byte <= 0x39 {
                value = value * 10 + Int64(byte - 0x30)
                digits += 1
                bytes = bytes.dropFirst()
            }
            guard digits > 0, digits <= 9 else { return nil }
            let unit: Int
            switch (bytes.first, bytes.dropFirst().first) {
            case (UInt8(ascii: "m"), UInt8(ascii: "s")): unit = 3
            case (UInt8(ascii: "h"), _): unit = 0
            case (UInt8(ascii: "m"), _): unit = 1
            case (UInt8(ascii: "s"), _): unit = 2
            default: return nil
            }
            guard unit >= nextUnit else { return nil }
            bytes = bytes.dropFirst(Self.units[unit].suffix.utf8.count)
            total += value * Self.units[unit].milliseconds
            nextUnit = unit + 1
        }
        milliseconds = total
    }

    /// The shortest runbook notation: `1h30m`, `2s500ms`, `0s`.
    public var description: String {
        guard milliseconds > 0 else { return "0s" }
        var rest = milliseconds
        var out = ""
        for (suffix, size) in Self.units where rest >= size {
            out += "\(rest / size)\(suffix)"
            rest %= size
        }
        return out
    }

    public var timeInterval: Double { Double(milliseconds) / 1000 }

    public static func < (lhs: RunbookDuration, rhs: RunbookDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }
}
