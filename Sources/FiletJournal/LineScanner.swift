import FiletSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file in large chunks and hands over each line in place, without copying it
/// into a `String` or an array: a multi-gigabyte journal is read once, in constant memory.
enum LineScanner {
    /// The longest line a journal may hold. A record is far smaller (a command's output is kept to 64 KiB a stream);
    /// a longer line is not a journal, and reading it whole would only fill the memory.
    static let maximumLineLength = 16 << 20

    /// What a scan saw.
    struct Totals {
        var lines = 0
        var bytes = 0
    }

    /// Calls `body` with each line (without its `\n`), its 1-based number, and whether it
    /// ended with `\n` (only the last line can be unterminated); `body` returns false to stop.
    /// The buffer is valid only during the call.
    static func scan(
        path: String, chunkSize: Int = 1 << 22,
        _ body: (_ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ terminated: Bool) -> Bool
    ) throws(JournalError) -> Totals {
        let descriptor: Int32
        switch RegularFile.openForReading(path) {
        case .success(let opened): descriptor = opened
        case .failure(let problem):
            throw JournalError(.read, path: path, errno: problem.errno, message: "\(path): \(problem) (a journal is a .jsonl file)")
        }
        defer { _ = systemClose(descriptor) }
        #if os(Linux)
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif

        var capacity = max(chunkSize, 4096)
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var totals = Totals()
        while true {
            if filled == capacity {
                guard capacity < maximumLineLength else {
                    throw JournalError(
                        .corrupt, path: path,
                        message: "\(path):\(totals.lines + 1): a line longer than \(maximumLineLength >> 20) MiB: not a journal record")
                }
                // One line longer than the buffer: grow it.
                let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                larger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            var count: Int
            repeat { count = read(descriptor, buffer + filled, capacity - filled) } while count < 0 && errno == EINTR
            guard count >= 0 else { throw JournalError.system(.read, path: path, "cannot read the journal", errno: errno) }
            if count == 0 {
                if filled > 0 {
                    totals.lines += 1
                    _ = body(UnsafeBufferPointer(start: buffer, count: filled), totals.lines, false)
                }
                return totals
            }
            totals.bytes += count
            let end = filled + count
            var start = 0
            var searchFrom = filled
            while searchFrom < end, let newline = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let position = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                totals.lines += 1
                guard body(UnsafeBufferPointer(start: buffer + start, count: position - start), totals.lines, true) else { return totals }
                start = position + 1
                searchFrom = start
            }
            filled = end - start
            if start > 0, filled > 0 { memmove(buffer, buffer + start, filled) }
        }
    }
}
