import FiletJournal
import FiletSupport
import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("filet-journal-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The SHA-256 of an empty runbook, standing in for a runbook file's hash.
public let sampleRunbookSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// A 32-byte key, as `FILET_JOURNAL_KEY` would hold it.
public let sampleKey = Array("0123456789abcdef0123456789abcdef".utf8)

/// Writes a closed journal: run.started, `steps` step.finished records, run.finished (their fields are not the engine's:
/// only the chain matters here).
/// Returns its path; it has `steps + 2` lines.
public func writeSampleJournal(in directory: String, steps: Int = 8, key: [UInt8]? = nil) async throws -> String {
    let writer = try JournalWriter.create(directory: directory, runID: .generate(), runbookSHA256: sampleRunbookSHA256, key: key)
    try await writer.append(.runStarted, [("runbook", "essai"), ("title", "Essai de bascule"), ("mode", "run")])
    for step in 1...steps {
        try await writer.append(
            .stepFinished, [("step", .string("step-\(step)")), ("outcome", "succeeded"), ("duration_ms", .integer(step * 10))])
    }
    try await writer.append(.runFinished, [("status", "succeeded"), ("steps", .integer(steps))])
    try await writer.close()
    return writer.path
}

/// The file's lines, without their newlines (a trailing newline ends the last line).
public func lines(of path: String) throws -> [[UInt8]] {
    var result = try Data(contentsOf: URL(fileURLWithPath: path)).split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
    if result.last == [] { result.removeLast() }
    return result
}

/// Rewrites the file with these lines, each followed by a newline.
public func write(lines: [[UInt8]], to path: String) throws {
    try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: path))
}

public func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Runs a tool with `input` on its standard input; returns its standard output.
public func run(_ tool: String, _ arguments: [String], input: [UInt8]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
}

/// The SHA-256 of `bytes` as coreutils' `sha256sum` computes it: an auditor's independent check.
public func sha256sum(_ bytes: [UInt8]) throws -> String {
    String(try run("/usr/bin/sha256sum", [], input: bytes).prefix(64))
}

/// The JSON string value of `member` in a record line, found by text (not by filet's parser).
public func member(_ name: String, in line: [UInt8]) -> String? {
    let text = text(line)
    guard let start = text.range(of: "\"\(name)\":\"") else { return nil }
    return String(text[start.upperBound...].prefix { $0 != "\"" })
}

/// Journal lines edited by a test (times moved, say), each `prev` set again to the SHA-256 of the line before
/// (the first line keeps its own): a journal without MACs that still verifies as a hash chain.
public func rechained(_ lines: [[UInt8]]) throws -> [[UInt8]] {
    var out: [[UInt8]] = []
    for line in lines {
        let text = text(line)
        guard let previous = out.last, let range = text.range(of: #""prev":"[0-9a-f]{64}""#, options: .regularExpression) else {
            out.append(line)
            continue
        }
        out.append(Array(text.replacingCharacters(in: range, with: "\"prev\":\"\(try sha256sum(previous))\"").utf8))
    }
    return out
}
