/// filet's version, recorded in journals and printed by `filet --version`.
public enum FiletVersion {
    public static let current = "0.1.0"
}
