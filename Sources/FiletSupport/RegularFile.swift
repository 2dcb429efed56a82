#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opening a file that filet reads whole (a runbook, a journal): it must be a regular file. A FIFO would block
/// the read forever, `/dev/zero` would never end, a directory is a mistake; each is said at once.
public enum RegularFile: Sendable {
    /// Why a path is not a regular file that can be read.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// The `errno` of a failed `open(2)`, nil when the file opened but is not a regular file.
        public var errno: Int32?
        /// `no such file`, `is a FIFO (named pipe), not a regular file`…, without the path.
        public var description: String
    }

    /// Opens `path` for reading (`O_CLOEXEC`; `O_NONBLOCK` so that opening a FIFO does not wait for a writer, then
    /// cleared) and returns its descriptor, or why it is not a regular file. The caller closes the descriptor.
    public static func openForReading(_ path: String) -> Result<Int32, Problem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            let text =
                switch code {
                case ENOENT: "no such file"
                case EACCES: "cannot be opened for reading (check its permissions)"
                case ENOTDIR: "no such file (a part of the path is not a directory)"
                default: String(cString: strerror(code))
                }
            return .failure(Problem(errno: code, description: text))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            return .failure(Problem(errno: code, description: String(cString: strerror(code))))
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(descriptor)
            let what =
                switch type {
                case S_IFDIR: "a directory"
                case S_IFIFO: "a FIFO (named pipe)"
                case S_IFCHR: "a character device"
                case S_IFBLK: "a block device"
                case S_IFSOCK: "a socket"
                default: "not a regular file"
                }
            return .failure(Problem(errno: nil, description: "is \(what), not a regular file"))
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return .success(descriptor)
    }
}
