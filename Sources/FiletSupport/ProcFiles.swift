#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What filet reads of this machine and its processes in `/proc` (Linux): small files, read whole. The boot and a
/// process's start time tell a process from a later one that reuses its pid.
package enum ProcFiles {
    /// One process as `/proc/PID/stat` shows it.
    package struct Stat: Sendable, Hashable {
        /// R, S, D, Z, T…
        package var state: String
        package var parent: Int32
        package var processGroup: Int32
        /// When it started, in clock ticks after boot (field 22).
        package var startTicks: Int
    }

    /// This boot's ID (`/proc/sys/kernel/random/boot_id`), read once; nil when unknown.
    package static let bootID: String? = text(of: "/proc/sys/kernel/random/boot_id").map {
        String($0.filter { !$0.isWhitespace })
    }.flatMap { $0.isEmpty ? nil : $0 }

    /// `/proc/PID/stat`, nil when the process is gone.
    package static func stat(of pid: Int32) -> Stat? {
        guard let text = text(of: "/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After the name in parentheses: state (field 3), ppid, pgrp, … starttime (field 22).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let parent = Int32(fields[1]), let group = Int32(fields[2]), let start = Int(fields[19]) else {
            return nil
        }
        return Stat(state: String(fields[0]), parent: parent, processGroup: group, startTicks: start)
    }

    package static func text(of path: String) -> String? { bytes(of: path).map { String(decoding: $0, as: UTF8.self) } }

    /// A whole (small, /proc) file, read with open(2) and read(2).
    package static func bytes(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                result += buffer[..<count]
            } else if count == 0 {
                return result
            } else if errno != EINTR {
                return result.isEmpty ? nil : result
            }
        }
    }
}
