import FiletActions
import FiletRunbook
import Foundation
import Synchronization
import Testing

/// No cut of a command's output splits a secret: the kept head ends before it, the kept tail starts after it,
/// and the last line (`${steps.ID.output}`) and the live line end before it.
@Suite struct SecretCutTests {
    static let secret = "Sekr3t-Value-Qz9x"
    static let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "SECRET": secret]

    func run(_ script: String, outputLimit: Int = CommandSpec.defaultOutputLimit) async throws -> (CommandResult, [String]) {
        let seen = Mutex<[String]>([])
        let spec = CommandSpec(
            script: script, environment: Self.environment, outputLimit: outputLimit, secrets: Masker(secrets: [Self.secret]))
        let result = try await CommandRunner.run(spec, progress: ActionProgress(outputLine: { line in seen.withLock { $0.append(line) } }))
        return (result, seen.withLock { $0 })
    }

    static func repeated(_ character: Character, _ count: Int) -> String { String(repeating: character, count: count) }

    @Test func theHeadAndTheTailCutsMoveOutOfASecret() async throws {
        // A 100-byte limit: the head's cut (byte 50) and the tail's (50 bytes from the end) fall inside the secret.
        let (result, _) = try await run(
            "printf '%s%s%s%s%s' \(Self.repeated("a", 45)) \"$SECRET\" \(Self.repeated("b", 200)) \"$SECRET\" \(Self.repeated("c", 40))",
            outputLimit: 100)
        let dropped = 45 + 17 + 200 + 17 + 40 - 45 - 40
        #expect(result.stdout.truncated)
        #expect(
            result.stdout.text
                == Self.repeated("a", 45) + "\n" + CapturedOutput.truncationMarker(droppedBytes: dropped) + "\n" + Self.repeated("c", 40))
        #expect(result.stdout.droppedBytes == dropped)
    }

    @Test func theLastLineAndTheLiveLineEndBeforeASecret() async throws {
        let (result, lines) = try await run(
            "printf '%s%s\\n' \(Self.repeated("l", 505)) \"$SECRET\"; sleep 0.3; printf '%s%s' \(Self.repeated("a", 1011)) \"$SECRET\"")
        #expect(result.stdout.lastLine == Self.repeated("a", 1011))
        #expect(lines.first == Self.repeated("l", 505), "\(lines)")
    }
}
