import FiletRunbook
import FiletSupport
import FiletSyntax
// filet-bench: speed figures that are measured, never asserted in unit tests.
//
//   swift run -c release filet-bench parse
//
// Parses a generated 5,000-step runbook (about 2.4 MB) and a 40-step one with
// filet's parser and with Yams (`Yams.compose`: the same work, bytes to node tree),
// in the same process, and prints MB/s for both and their ratio; then times parse +
// full validation + plan, and `filet validate` as a whole process.
import FiletTestSupport
import Foundation
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// The best of several timed runs, in seconds: the least disturbed by the other work of a shared machine.
func best(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var fastest = Double.infinity
    for _ in 0..<runs {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        fastest = min(fastest, elapsed.seconds)
    }
    return fastest
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func parseBenchmark() throws {
    print("filet-bench parse — best of repeated runs, same process")
    print("document                size      filet MB/s    Yams MB/s    ratio")
    for steps in [5000, 40] {
        let text = RunbookGenerator.largeRunbook(steps: steps)
        let file = SourceFile(path: "generated-\(steps).yaml", text: text)
        let megabytes = Double(file.bytes.count) / 1_000_000
        let runs = steps > 1000 ? 15 : 400
        let filetSeconds = try best(runs: runs) { _ = try Syntax.parse(file) }
        let yamsSeconds = try best(runs: max(3, runs / 5)) { _ = try Yams.compose(yaml: text) }
        let filetRate = megabytes / filetSeconds
        let yamsRate = megabytes / yamsSeconds
        print(
            "\(String(steps).leftPadding(5))-step runbook  \(format(megabytes * 1000, 0).leftPadding(6)) kB  \(format(filetRate).leftPadding(10))  \(format(yamsRate).leftPadding(11))  \(format(filetRate / yamsRate).leftPadding(6))×"
        )
    }
    try validationBenchmark(runs: 10)
    try processBenchmark()
}

/// Parse alone, then parse + validation + plan, of the 5,000-step runbook.
func validationBenchmark(runs: Int) throws {
    let large = SourceFile(path: "generated-5000.yaml", text: RunbookGenerator.largeRunbook(steps: 5000))
    let parseSeconds = try best(runs: runs) { _ = try Syntax.parse(large) }
    let loadSeconds = try best(runs: runs) { _ = try RunbookLoader.load(large) }
    print("5,000-step runbook: parse \(format(parseSeconds * 1000)) ms, parse + validation + plan \(format(loadSeconds * 1000)) ms")
}

/// Times `filet validate` on a 40-step runbook as a whole process (start-up included), spawned with posix_spawn.
func processBenchmark() throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("filet").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("filet validate (process): skipped, build it first with `swift build -c release --product filet`")
        return
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("filet-bench-40.yaml").path
    try RunbookGenerator.largeRunbook(steps: 40).write(toFile: path, atomically: true, encoding: .utf8)
    let seconds = try best(runs: 30) {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(binary), strdup("validate"), strdup(path), nil]
        defer { for argument in argv { free(argument) } }
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else { throw POSIXError(.ENOENT) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw POSIXError(.EINVAL) }
    }
    print("filet validate on a 40-step runbook, whole process: \(format(seconds * 1000)) ms (\(binary))")
}

extension String {
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

switch CommandLine.arguments.dropFirst().first {
case "parse": try parseBenchmark()
case "validate": try validationBenchmark(runs: 50)
case "command": try await commandBenchmark()
case "journal": try await journalBenchmark()
case "engine": try await engineBenchmark()
case "notify": try await notifyBenchmark()
case "view": try viewBenchmark()
case "mask": maskBenchmark()
default:
    print("usage: filet-bench parse | validate | command | journal | engine | notify | view | mask")
    exit(2)
}
