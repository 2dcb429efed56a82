/// The tree a generated document is meant to compose to: what a YAML parser must
/// build from its text (keys in order, scalars as text after unescaping and folding).
public indirect enum GeneratedNode: Hashable, Sendable, CustomStringConvertible {
    case scalar(String)
    case sequence([GeneratedNode])
    case mapping([Entry])

    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: GeneratedNode

        public init(_ key: String, _ value: GeneratedNode) {
            self.key = key
            self.value = value
        }
    }

    /// How deeply collections nest (a scalar is 0).
    public var depth: Int {
        switch self {
        case .scalar: 0
        case .sequence(let items): 1 + (items.map(\.depth).max() ?? 0)
        case .mapping(let entries): 1 + (entries.map(\.value.depth).max() ?? 0)
        }
    }

    /// An indented, one-node-per-line dump with every scalar escaped, for failure messages.
    public var description: String {
        var out = ""
        dump(into: &out, indent: "")
        return out
    }

    private func dump(into out: inout String, indent: String) {
        switch self {
        case .scalar(let text):
            out += indent + Self.quote(text) + "\n"
        case .sequence(let items):
            out += indent + "[\(items.count) items]\n"
            for item in items { item.dump(into: &out, indent: indent + "  ") }
        case .mapping(let entries):
            out += indent + "{\(entries.count) entries}\n"
            for entry in entries {
                out += indent + "  " + Self.quote(entry.key) + ":\n"
                entry.value.dump(into: &out, indent: indent + "    ")
            }
        }
    }

    /// `text` in double quotes with every non-printable or non-ASCII-space character escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value):
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
