import Foundation

extension SourceFile {
    /// A runbook file that cannot be read at all (a usage problem, not a runbook problem).
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a runbook file. Reads at most one byte past ``Syntax/maximumFileSize`` so that
    /// an oversized file is reported as such without being loaded whole.
    public static func read(path: String) throws(ReadError) -> SourceFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(description: "\(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw ReadError(description: "\(path): is a directory; give the path of a runbook file (for example \(path)/*.yaml)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReadError(description: "\(path): cannot be opened for reading (check its permissions)")
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: Syntax.maximumFileSize + 1) ?? Data()
            return SourceFile(path: path, bytes: Array(data))
        } catch {
            throw ReadError(description: "\(path): \(error.localizedDescription)")
        }
    }
}
