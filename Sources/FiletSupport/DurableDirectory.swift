#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What makes a new (or removed) name in a directory survive a crash: `fsync(2)` of the directory itself.
package enum DurableDirectory {
    /// The system call that failed, and its errno.
    package struct Failure: Error, Sendable, Hashable {
        /// `open` (the directory cannot be opened) or `fsync`.
        package var call: String
        package var errno: Int32
    }

    /// `fsync(2)` of the directory at `path`; nil when it succeeded.
    package static func sync(_ path: String) -> Failure? {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return Failure(call: "open", errno: errno) }
        defer { _ = close(descriptor) }
        return fsync(descriptor) == 0 ? nil : Failure(call: "fsync", errno: errno)
    }
}
