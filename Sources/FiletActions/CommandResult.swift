/// What a command did: how it ended, what it wrote, how long it took.
/// A non-zero exit or a cancellation is a result to record, not an error.
public struct CommandResult: Sendable, Hashable {
    /// The shell's exit status, when it exited by itself (or after a trapped SIGTERM).
    public var exitStatus: Int32?
    /// The signal that ended the shell (SIGTERM or SIGKILL after a cancellation), when it did not exit.
    public var terminatingSignal: Int32?
    /// The task was cancelled (timeout or Ctrl-C) while the command ran: its process group was
    /// sent SIGTERM, or the remaining output was no longer awaited.
    public var wasCancelled: Bool
    /// The process group did not exit within the termination grace and was sent SIGKILL.
    public var wasKilledAfterGrace: Bool
    /// After the shell exited, a process it left behind kept the output open beyond the drain
    /// limit; it was killed and its later output, if any, is lost.
    public var outputDrainTimedOut: Bool
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    /// From just before the spawn to the shell's reaping.
    public var duration: Duration
    /// The shell's process ID, which is also the ID of the process group of the whole step.
    public var processID: Int32

    /// Exited with status 0 and was not cancelled.
    public var succeeded: Bool { exitStatus == 0 && !wasCancelled }
}

/// One output stream of a command as it is kept: whole lines from its start and from its end,
/// with a marker line between them when the middle was dropped.
public struct CapturedOutput: Sendable, Hashable {
    /// The kept bytes decoded as UTF-8 (invalid sequences replaced). When ``truncated``, a line
    /// made by ``truncationMarker(droppedBytes:)`` stands where bytes were dropped; the kept parts
    /// are cut at line ends, so every other line is a whole line of the stream (unless one line
    /// alone was longer than half the limit: then it is cut at the marker).
    public var text: String
    /// The size of the whole stream, kept or not.
    public var totalBytes: Int
    /// The SHA-256 of the whole stream, kept or not, in lowercase hex.
    public var sha256: String
    /// Some bytes of the middle of the stream were not kept.
    public var truncated: Bool
    /// How many bytes of the stream are not in ``text``.
    public var droppedBytes: Int
    /// The last line of the stream that is not blank, trimmed of surrounding whitespace and cut
    /// to ``lastLineLimit`` bytes; empty when there is none. For stdout it is `${steps.ID.output}`.
    public var lastLine: String

    /// The longest ``lastLine`` kept, in bytes of UTF-8.
    public static let lastLineLimit = 1024

    public init(text: String, totalBytes: Int, sha256: String, truncated: Bool, droppedBytes: Int, lastLine: String) {
        self.text = text
        self.totalBytes = totalBytes
        self.sha256 = sha256
        self.truncated = truncated
        self.droppedBytes = droppedBytes
        self.lastLine = lastLine
    }

    /// The line that stands for the dropped middle of a stream: `…[12345 bytes not kept]…`.
    public static func truncationMarker(droppedBytes: Int) -> String { "…[\(droppedBytes) bytes not kept]…" }

    /// ``text`` as lines, without their line feeds (and without an empty last one after a final line feed):
    /// the unit in which secrets are masked.
    public var lines: [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
