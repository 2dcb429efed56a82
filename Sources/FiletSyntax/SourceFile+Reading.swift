import FiletSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SourceFile {
    /// A runbook file that cannot be read at all (a usage problem, not a runbook problem).
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a runbook file, which must be a regular file (``RegularFile``). Reads at most one byte past
    /// ``Syntax/maximumFileSize`` so that an oversized file is reported as such without being loaded whole.
    public static func read(path: String) throws(ReadError) -> SourceFile {
        let descriptor: Int32
        switch RegularFile.openForReading(path) {
        case .success(let opened): descriptor = opened
        case .failure(let problem) where problem.description.hasPrefix("is a directory"):
            throw ReadError(description: "\(path): is a directory; give the path of a runbook file (for example \(path)/*.yaml)")
        case .failure(let problem):
            throw ReadError(description: "\(path): \(problem)")
        }
        defer { close(descriptor) }
        let limit = Syntax.maximumFileSize + 1
        var bytes = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, limit - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw ReadError(description: "\(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return SourceFile(path: path, bytes: bytes)
    }
}
