public import FiletSupport

extension Node {
    /// The composed document as JSON: every scalar as a string (an empty value as `""`),
    /// mapping order kept. This is what `filet parse` prints.
    public var json: JSONValue {
        switch content {
        case .scalar(let scalar): .string(scalar.text)
        case .sequence(let items): .array(items.map(\.json))
        case .mapping(let entries): .object(entries.map { ($0.key.text, $0.value.json) })
        }
    }
}
