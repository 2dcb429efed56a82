import FiletSupport

/// The identity of one run: its UTC start time to the second and four random hex digits,
/// `20261129T081502Z-4f2a`. Run ids sort by time as text, and name the run's journal file
/// (`20261129T081502Z-4f2a.jsonl`).
///
/// Four hex digits make two runs started in the same second unlikely to collide, not
/// impossible: ``JournalWriter/create(directory:runID:runbookSHA256:key:)`` creates the file
/// exclusively and fails with ``JournalError/Kind/exists`` rather than share it.
public struct RunID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id's text, such as `20261129T081502Z-4f2a`.
    public let rawValue: String

    /// Accepts exactly the form that ``generate()`` makes: `YYYYMMDDTHHMMSSZ-xxxx`, with
    /// lowercase hex digits. Returns nil for anything else.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 21, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"), bytes[16] == UInt8(ascii: "-"),
            (bytes[0..<8] + bytes[9..<15]).allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            bytes[17...].allSatisfy({ Hex.value($0) != nil })
        else { return nil }
        rawValue = text
    }

    /// A new run id from the wall clock (UTC) and four random hex digits.
    public static func generate() -> RunID {
        generate(milliseconds: UTCTime.nowMilliseconds(), random: UInt16.random(in: 0...UInt16.max))
    }

    static func generate(milliseconds: Int64, random: UInt16) -> RunID {
        let suffix = String(random, radix: 16)
        let text = UTCTime.compact(milliseconds) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
        guard let id = RunID(text) else { preconditionFailure("generated an ill-formed run id \(text)") }
        return id
    }

    /// The journal file's name: the id followed by `.jsonl`.
    public var fileName: String { rawValue + ".jsonl" }

    public var description: String { rawValue }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }
}
