/// Path text, worked on as bytes, the way the kernel reads it.
public enum FilePaths: Sendable {
    /// The directory that holds `path`: `a/b` → `a`, `a` → `.`, `/a` → `/`, `/` → `/`, `a//b/` → `a`.
    ///
    /// Foundation's `deletingLastPathComponent` is not used: on Linux (Swift 6.3) it traps on a one-character
    /// relative path such as `j`, and gives an empty string for `a`.
    public static func parent(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        var end = slash
        while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }
}
