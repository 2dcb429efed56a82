import Foundation
import Testing

/// Bad inputs on purpose, on the real binary: each fails at once (none blocks, none grows without bound), with a
/// non-zero exit and a message that names the place; nothing is written.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: @Sendable (TestDirectory) throws -> [String]
        var status: Int32
        var says: String
        var name: String
        var testDescription: String { name }
    }

    static let header = "runbook: mauvais\ntitle: Mauvais\n"

    static let cases: [Case] = [
        Case(
            arguments: { ["validate", try $0.fifo("tube.yaml")] }, status: 2, says: "tube.yaml: is a FIFO (named pipe), not a regular file",
            name: "validate a FIFO"),
        Case(
            arguments: { _ in ["validate", "/dev/zero"] }, status: 2, says: "/dev/zero: is a character device", name: "validate /dev/zero"),
        Case(
            arguments: { ["validate", $0.url.path] }, status: 2, says: "is a directory; give the path of a runbook file",
            name: "validate a directory"),
        Case(
            arguments: { ["audit", "verify", try $0.fifo("tube.jsonl")] }, status: 2, says: "is a FIFO (named pipe)", name: "verify a FIFO"),
        Case(
            arguments: { _ in ["audit", "verify", "/dev/zero"] }, status: 2, says: "/dev/zero: is a character device",
            name: "verify /dev/zero"),
        Case(
            arguments: { ["audit", "verify", try $0.write("long.jsonl", String(repeating: "a", count: 17 << 20))] }, status: 2,
            says: "long.jsonl:1: a line longer than 16 MiB: not a journal record", name: "verify a 17 MiB line"),
        Case(arguments: { ["audit", "show", try $0.fifo("tube.jsonl")] }, status: 2, says: "is a FIFO (named pipe)", name: "show a FIFO"),
        Case(arguments: { ["resume", try $0.fifo("tube.jsonl")] }, status: 2, says: "is a FIFO (named pipe)", name: "resume a FIFO"),
        Case(
            arguments: { ["outbox", "deliver", "--journal", $0.path("absent")] }, status: 2, says: "absent: no such directory",
            name: "deliver from a missing directory"),
        Case(
            arguments: { ["outbox", "list", "--journal", try $0.write("fichier", "x")] }, status: 2, says: "fichier: not a directory",
            name: "list from a file"),
        Case(
            arguments: { ["run", try $0.write("r.yaml", header + "steps:\n  - { id: a, run: 'true' }\n"), "--journal", ""] }, status: 2,
            says: "--journal takes a directory, not an empty text", name: "run with an empty --journal"),
        Case(
            arguments: {
                let deep = String(repeating: "(", count: 12_000) + "mode == 'run'" + String(repeating: ")", count: 12_000)
                return ["validate", try $0.write("r.yaml", header + "steps:\n  - id: a\n    wait: 0s\n    when: \"\(deep)\"\n")]
            }, status: 1, says: "nests 'not' and '(' more than 32 deep", name: "a when 12,000 parentheses deep"),
        Case(
            arguments: {
                [
                    "validate",
                    try $0.write(
                        "r.yaml",
                        header
                            + "steps:\n  - id: a\n    check:\n      http: http://127.0.0.1:1/\n      headers: { X-A: \"a\\r\\nX-Injected: 1\" }\n"
                    ),
                ]
            }, status: 1, says: "the value of header 'X-A' holds a line break or a NUL byte", name: "a header with CR LF"),
    ]

    @Test(arguments: cases)
    func failsAtOnceAndSaysWhere(_ bad: Case) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let arguments = try bad.arguments(directory)
        let result = try await FiletProcess.run(arguments, limit: .seconds(20))
        #expect(result.status == bad.status, "\(bad.name): \(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).contains(bad.says), "\(bad.name): \(result.stdout)\(result.stderr)")
        // A file that is not what it should be is said plainly; only a bad flag gets the usage text.
        #expect(!result.stderr.contains("Usage:") || result.stderr.contains("--journal"), "\(bad.name): \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.journal), "\(bad.name): a journal was written")
    }

    /// A header whose value a variable made two lines: the check fails and says why; nothing is sent cut.
    @Test func aHeaderThatAVariableBreaksFailsTheCheck() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write(
            "r.yaml",
            Self.header
                + "vars:\n  jeton: x\nsteps:\n  - id: a\n    check:\n      http: http://127.0.0.1:1/\n      headers: { X-A: '${vars.jeton}' }\n"
        )
        let result = try await FiletProcess.run(["run", runbook, "--journal", directory.journal, "--var", "jeton=a\r\nX-Injected: 1"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("the value of header 'X-A' holds a line break or a NUL byte"), "\(result.stdout)")
    }
}

extension BadInputTests {
    /// The same last record spelled otherwise (an escape, a number form, a space) is not a record filet wrote: the
    /// journal does not verify, and the message says why.
    @Test(arguments: [#""status":"succ\u0065eded""#, #""status": "succeeded""#, #""status":"succeeded" "#])
    func aRecordSpelledOtherwiseDoesNotVerify(_ spelling: String) async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let runbook = try directory.write("r.yaml", Self.header + "steps:\n  - { id: a, run: 'true' }\n")
        #expect(try await FiletProcess.run(["run", runbook, "--journal", directory.journal]).status == 0)
        let journal = try JournalFile.only(in: directory.journal)
        let text = try String(contentsOfFile: journal.path, encoding: .utf8)
        // Only the last record (run.finished) changes: no later prev covers it.
        let last = try #require(text.range(of: #""status":"succeeded""#, options: .backwards))
        #expect(text[..<last.lowerBound].contains(#""type":"run.finished""#))
        let edited = text.replacingCharacters(in: last, with: spelling)
        try edited.write(toFile: journal.path, atomically: false, encoding: .utf8)
        let verify = try await FiletProcess.run(["audit", "verify", journal.path])
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("NOT INTACT"), "\(verify.stdout)")
    }
}

extension TestDirectory {
    /// A named pipe in the directory: a read of it would wait for a writer forever.
    func fifo(_ name: String) throws -> String {
        let path = self.path(name)
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return path
    }
}
