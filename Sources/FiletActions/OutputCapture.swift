import Crypto
import FiletRunbook
import FiletSupport

/// Collects one output stream of a command in bounded memory: the first half of the limit,
/// the last half, the total size, the SHA-256 of everything, and the last non-blank line.
/// No cut splits a secret: it moves out of it, so that the secret is kept whole (and masked by the caller) or not at all.
struct OutputCapture {
    private let headCapacity: Int
    private let tailCapacity: Int
    private let secrets: Masker
    /// Bytes kept beyond each cut, to see a secret the cut would split.
    private let margin: Int
    /// The first `headCapacity + margin` bytes of the stream.
    private var head: [UInt8] = []
    /// The bytes after `head`; once more than twice `tailWindow` long, trimmed to the last `tailWindow`.
    private var tail: [UInt8] = []
    private var totalBytes = 0
    private var hasher = SHA256()
    private var lastLine: LastLineTracker
    /// The newest complete line, for a live view; nil when nobody follows the output.
    private var liveLine: LiveLineTracker?

    /// The kept end of the stream plus the byte before it, which tells whether it starts a line, and the margin.
    private var tailWindow: Int { tailCapacity + 1 + margin }

    init(limit: Int, followsLines: Bool = false, secrets: Masker = Masker()) {
        headCapacity = max(0, limit) / 2
        tailCapacity = max(0, limit) - headCapacity
        self.secrets = secrets
        margin = secrets.longestSpan
        lastLine = LastLineTracker(margin: margin, secrets: secrets)
        if followsLines { liveLine = LiveLineTracker(margin: margin) }
    }

    /// Whether a line completed since the last ``takeNewLine()``.
    var hasNewLine: Bool { liveLine?.newLine != nil }

    /// When the line ``takeNewLine()`` would return was completed (the distant past when none waits).
    var newLineTime: ContinuousClock.Instant { liveLine?.completedAt ?? .zeroInstant }

    /// The newest complete line, once.
    mutating func takeNewLine() -> String? {
        guard let line = liveLine?.newLine else { return nil }
        liveLine?.newLine = nil
        let end = SecretCut.end(min(line.count, LiveLineTracker.limit), in: line, secrets)
        return String(decoding: line[..<end], as: UTF8.self)
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        totalBytes += bytes.count
        hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        lastLine.consume(bytes)
        liveLine?.consume(bytes)
        var rest = bytes[...]
        if head.count < headCapacity + margin {
            let taken = rest.prefix(headCapacity + margin - head.count)
            head.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
        }
        guard !rest.isEmpty else { return }
        if rest.count >= tailWindow {
            tail.removeAll(keepingCapacity: true)
            tail.append(contentsOf: rest.suffix(tailWindow))
        } else {
            tail.append(contentsOf: rest)
            if tail.count > 2 * tailWindow { tail.removeFirst(tail.count - tailWindow) }
        }
    }

    func finish() -> CapturedOutput {
        let sha256 = Hex.string(hasher.finalize())
        let lastLine = lastLine.finish()
        guard totalBytes > headCapacity + tailCapacity else {
            // Never trimmed: `tail` holds everything after `head`.
            return CapturedOutput(
                text: String(decoding: head + tail, as: UTF8.self), totalBytes: totalBytes,
                sha256: sha256, truncated: false, droppedBytes: 0, lastLine: lastLine)
        }
        let newline = UInt8(ascii: "\n")
        // The head ends at its last line end; with none, at the last whole character; never inside a secret.
        var kept = head.prefix(headCapacity)
        if kept.last != newline {
            if let end = kept.lastIndex(of: newline) { kept = kept[...end] } else { kept = UTF8Cut.wholeCharacters(kept) }
        }
        kept = head[..<SecretCut.end(kept.endIndex, in: head, secrets)]
        // The tail starts at a line start; with none, at the first whole character; never inside a secret.
        let window = Array((tail.count >= tailWindow ? tail : head + tail).suffix(tailWindow))
        let first = window.count - tailCapacity
        var end = window[first...]
        if window[first - 1] != newline {
            if let start = end.firstIndex(of: newline) { end = end[(start + 1)...] } else { end = UTF8Cut.fromWholeCharacter(end) }
        }
        end = window[SecretCut.start(end.startIndex, in: window, secrets)...]
        let dropped = totalBytes - kept.count - end.count
        var text = String(decoding: kept, as: UTF8.self)
        if !text.isEmpty, kept.last != newline { text += "\n" }
        text += CapturedOutput.truncationMarker(droppedBytes: dropped) + "\n"
        text += String(decoding: end, as: UTF8.self)
        return CapturedOutput(
            text: text, totalBytes: totalBytes, sha256: sha256, truncated: true, droppedBytes: dropped, lastLine: lastLine)
    }
}

/// Follows a stream to find its last non-blank line, keeping at most
/// ``CapturedOutput/lastLineLimit`` bytes of it, from its first non-blank byte.
struct LastLineTracker {
    private static let limit = CapturedOutput.lastLineLimit
    private static let newline = UInt8(ascii: "\n")
    /// The bytes kept of a line: the limit and a margin to see a secret the cut would split.
    private let capacity: Int
    private let secrets: Masker
    /// The last complete non-blank line seen.
    private var line: [UInt8] = []
    /// The line being written (no line feed yet), from its first non-blank byte; empty while blank.
    private var pending: [UInt8] = []

    init(margin: Int = 0, secrets: Masker = Masker()) {
        capacity = Self.limit + margin
        self.secrets = secrets
    }

    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let lastNewline = bytes.lastIndex(of: Self.newline) else {
            appendPending(bytes[...])
            return
        }
        // Walk back over the lines this chunk completes to the last non-blank one.
        var end = lastNewline
        while true {
            guard let previous = bytes[..<end].lastIndex(of: Self.newline) else {
                appendPending(bytes[..<end])
                if !pending.isEmpty { line = pending }
                break
            }
            let candidate = Self.dropLeadingBlanks(bytes[(previous + 1)..<end])
            if !candidate.isEmpty {
                line = Array(candidate.prefix(capacity))
                break
            }
            end = previous
        }
        pending.removeAll(keepingCapacity: true)
        appendPending(bytes[(lastNewline + 1)...])
    }

    private mutating func appendPending(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        let bytes = pending.isEmpty ? Self.dropLeadingBlanks(bytes) : bytes
        guard pending.count < capacity else { return }
        pending.append(contentsOf: bytes.prefix(capacity - pending.count))
    }

    func finish() -> String {
        let bytes = pending.isEmpty ? line : pending
        var kept = bytes[...]
        if bytes.count >= Self.limit {
            kept = UTF8Cut.wholeCharacters(bytes.prefix(Self.limit))
            kept = bytes[..<SecretCut.end(kept.endIndex, in: bytes, secrets)]
        }
        while let last = kept.last, Self.isBlank(last) { kept = kept.dropLast() }
        return String(decoding: kept, as: UTF8.self)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private static func dropLeadingBlanks<C: Collection<UInt8>>(_ bytes: C) -> C.SubSequence {
        bytes.drop(while: isBlank)
    }
}

/// Follows a stream for a live view: the newest non-blank line ended by a line feed or a carriage return
/// (a progress bar redraws its line with carriage returns), at most ``limit`` bytes of it. A line not ended
/// yet is never shown: a secret being written would be masked only once whole. It keeps a margin beyond the
/// limit, for the cut to see a secret it would split.
struct LiveLineTracker {
    static let limit = 512
    private let capacity: Int
    /// The newest complete line not taken yet.
    var newLine: [UInt8]?
    var completedAt: ContinuousClock.Instant = .zeroInstant
    /// The line being written, at most ``limit`` bytes of it.
    private var pending: [UInt8] = []

    init(margin: Int = 0) { capacity = Self.limit + margin }

    private static func ends(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }

    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let lastEnd = bytes.lastIndex(where: Self.ends) else {
            append(bytes[...])
            return
        }
        var end = lastEnd
        while true {
            let previous = bytes[..<end].lastIndex(where: Self.ends)
            let candidate: [UInt8]
            if let previous {
                candidate = Array(bytes[(previous + 1)..<end].prefix(capacity))
            } else {
                append(bytes[..<end])
                candidate = pending
            }
            if candidate.contains(where: { $0 != 0x20 && $0 != 0x09 }) {
                newLine = candidate
                completedAt = .now
                break
            }
            guard let previous else { break }
            end = previous
        }
        pending.removeAll(keepingCapacity: true)
        append(bytes[(lastEnd + 1)...])
    }

    private mutating func append(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        guard pending.count < capacity else { return }
        pending.append(contentsOf: bytes.prefix(capacity - pending.count))
    }
}

/// Cuts of byte sequences that never split a secret: a cut that falls inside one moves out of it,
/// before it for where kept bytes end, after it for where they start.
enum SecretCut {
    /// `cut` (an index of `bytes`, where kept bytes end), moved to the start of a secret it falls inside.
    static func end(_ cut: Int, in bytes: [UInt8], _ secrets: Masker) -> Int {
        secretAround(cut, in: bytes, secrets)?.lowerBound ?? cut
    }

    /// `cut` (an index of `bytes`, where kept bytes start), moved to the end of a secret it falls inside.
    static func start(_ cut: Int, in bytes: [UInt8], _ secrets: Masker) -> Int {
        secretAround(cut, in: bytes, secrets)?.upperBound ?? cut
    }

    private static func secretAround(_ cut: Int, in bytes: [UInt8], _ secrets: Masker) -> Range<Int>? {
        guard !secrets.isEmpty else { return nil }
        let ranges = bytes.withUnsafeBufferPointer { secrets.secretRanges(in: $0) }
        return ranges.first { $0.lowerBound < cut && cut < $0.upperBound }
    }
}

extension ContinuousClock.Instant {
    /// An instant before any the clock will give.
    fileprivate static let zeroInstant = ContinuousClock.now - .seconds(1_000_000_000)
}

/// Cuts of byte sequences that do not split a UTF-8 character.
enum UTF8Cut {
    /// `bytes` without an incomplete character at its end.
    static func wholeCharacters<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
        var index = bytes.endIndex
        var continuation = 0
        while index > bytes.startIndex, continuation < 4 {
            bytes.formIndex(before: &index)
            let byte = bytes[index]
            guard byte & 0xC0 == 0x80 else {
                let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return length > continuation + 1 ? bytes[..<index] : bytes[...]
            }
            continuation += 1
        }
        return bytes[...]
    }

    /// `bytes` without the continuation bytes of a character that began before it.
    static func fromWholeCharacter<C: Collection<UInt8>>(_ bytes: C) -> C.SubSequence {
        var rest = bytes[...]
        for _ in 0..<3 {
            guard let first = rest.first, first & 0xC0 == 0x80 else { break }
            rest = rest.dropFirst()
        }
        return rest
    }
}
