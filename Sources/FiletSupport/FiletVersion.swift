/// filet's version, recorded in journals and printed by `filet --version`.
public enum FiletVersion: Sendable {
    public static let current = "0.1.0"
}
