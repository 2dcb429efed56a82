#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The operating-system account filet runs as: what the journal records beside `--operator`, which is a label
/// anyone may type, not an authentication.
public struct SystemUser: Sendable, Hashable {
    /// The real user id (`getuid`).
    public var uid: Int
    /// The account's login name, from the user database (`getpwuid`); nil when the uid has no entry there
    /// (a container started with an arbitrary uid).
    public var name: String?

    public init(uid: Int, name: String?) {
        self.uid = uid
        self.name = name
    }

    /// `root, uid 0`, or `uid 1234` for an account without a name: for people.
    public var label: String { name.map { "\($0), uid \(uid)" } ?? "uid \(uid)" }

    /// The account of this process.
    public static func current() -> SystemUser {
        let uid = getuid()
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let name: String? = buffer.withUnsafeMutableBufferPointer { storage in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard let base = storage.baseAddress, getpwuid_r(uid, &entry, base, storage.count, &result) == 0, result != nil else {
                return nil
            }
            return entry.pw_name.map { String(cString: $0) }
        }
        return SystemUser(uid: Int(uid), name: name.flatMap { $0.isEmpty ? nil : $0 })
    }
}
