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
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.hasPrefix("ms") ? 3 : ["h": 0, "m": 1, "s": 2][rest.first.map(String.init) ?? ""]
            guard let unit, unit >= nextUnit else { return nil }
            rest = rest.dropFirst(Self.units[unit].suffix.count)
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
