/// How a scalar was written. The parser never guesses types: every scalar is text,
/// and the runbook schema decides what is a number, a duration or a boolean.
public enum ScalarStyle: String, Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar's text (after unescaping and folding) and how it was written.
public struct Scalar: Sendable, Hashable {
    public var text: String
    public var style: ScalarStyle

    public init(_ text: String, style: ScalarStyle = .plain) {
        self.text = text
        self.style = style
    }

    /// True for an empty plain scalar, what YAML reads as null (`key:` with nothing after it).
    public var isNull: Bool { style == .plain && text.isEmpty }
}

/// A node of a composed document. Every node keeps where it starts in the file.
public struct Node: Sendable {
    public enum Content: Sendable {
        case scalar(Scalar)
        case sequence([Node])
        case mapping([Entry])
    }

    /// One `key: value` pair of a mapping. Keys are always scalars in filet YAML.
    public struct Entry: Sendable {
        public var key: Scalar
        public var keyLocation: SourceLocation
        public var value: Node

        public init(key: Scalar, keyLocation: SourceLocation, value: Node) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var sequence: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [Entry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    /// What kind of node this is, in words for error messages.
    public var kindDescription: String {
        switch content {
        case .scalar(let scalar): scalar.isNull ? "an empty value" : "a text value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
