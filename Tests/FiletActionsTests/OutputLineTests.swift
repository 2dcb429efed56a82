import FiletActions
import Foundation
import Synchronization
import Testing

/// The lines a running command writes, as the live view gets them: whole lines only, a few a second.
@Suite struct OutputLineTests {
    func lines(of script: String) async throws -> ([String], CommandResult) {
        let seen = Mutex<[String]>([])
        let spec = CommandSpec(script: script, environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])
        let result = try await CommandRunner.run(spec, progress: ActionProgress(outputLine: { line in seen.withLock { $0.append(line) } }))
        return (seen.withLock { $0 }, result)
    }

    @Test func wholeLinesOfEitherStreamAtMostEveryQuarterSecond() async throws {
        let started = ContinuousClock.now
        let (lines, result) = try await lines(
            of: "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"out $i\"; echo \"err $i\" >&2; sleep 0.1; done; printf 'no end'")
        let elapsed = ContinuousClock.now - started
        #expect(result.exitStatus == 0)
        #expect(!lines.isEmpty)
        let most = Int(elapsed / CommandRunner.outputLineInterval) + 1
        #expect(lines.count <= most, "\(lines) in \(elapsed)")
        #expect(lines.allSatisfy { $0.hasPrefix("out ") || $0.hasPrefix("err ") }, "\(lines)")
        #expect(!lines.contains("no end"))
        // Later lines come later.
        let numbers = lines.compactMap { Int($0.split(separator: " ").last!) }
        #expect(numbers == numbers.sorted(), "\(lines)")
    }

    @Test func aProgressBarsCarriageReturnsEndItsLines() async throws {
        let (lines, _) = try await lines(of: "printf '10%%\\r'; sleep 0.3; printf '50%%\\r'; sleep 0.3; printf '   \\r'; sleep 0.3")
        #expect(lines == ["10%", "50%"], "\(lines)")
    }

    @Test func nobodyListeningCostsNothingMore() async throws {
        let spec = CommandSpec(script: "echo a; echo b", environment: ["PATH": "/usr/bin:/bin"])
        let result = try await CommandRunner.run(spec)
        #expect(result.stdout.text == "a\nb\n")
    }
}
