import FiletActions
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation

/// `filet-bench engine`: the cost of steps through the whole engine, journal included.
///
/// - 1,000 `run: /bin/true` steps in a chain (goal ≤ 2 ms a step);
/// - 10,000 `wait: 0s` steps, in a chain and as a wide DAG (all `needs: []`), with the journal
///   on this disk (fsync on), on /dev/shm (fsync costs nothing, thread hand-offs remain), and with
///   no journal at all (the engine's own overhead).
func engineBenchmark() async throws {
    let disk = FileManager.default.currentDirectoryPath + "/.build/filet-bench-journals"
    let memory = "/dev/shm/filet-bench-journals"
    defer { for directory in [disk, memory] { try? FileManager.default.removeItem(atPath: directory) } }
    print("filet-bench engine — whole runs through Executor, StandardPerformer and JournalWriter")

    let commands = try await timedRun(chain(1000, action: "run: /bin/true"), journal: disk, concurrency: 8)
    print("1,000 'run: /bin/true' in a chain, journal on disk: \(format(commands * 1000 / 1000, 2)) ms a step")

    for (name, text, concurrency) in [("chain", chain(10_000, action: "wait: 0s"), 8), ("wide DAG", wide(10_000), 64)] {
        for (place, directory) in [("disk, fsync on", disk), ("/dev/shm", memory), ("nowhere (engine alone)", nil)] {
            let seconds = try await timedRun(text, journal: directory, concurrency: concurrency)
            print(
                "10,000 'wait: 0s', \(name), journal on \(place): \(format(10_000 / seconds, 0)) steps/s, "
                    + "\(format(seconds * 1_000_000 / 10_000, 1)) µs a step")
        }
    }
}

private func chain(_ count: Int, action: String) -> String {
    "runbook: bench\ntitle: Bench\nsteps:\n" + (0..<count).map { "  - { id: s\($0), \(action) }\n" }.joined()
}

private func wide(_ count: Int) -> String {
    "runbook: bench\ntitle: Bench\nsteps:\n" + (0..<count).map { "  - { id: s\($0), needs: [], wait: 0s }\n" }.joined()
}

/// Runs a runbook to the end and returns the wall time of the run itself (not the parse).
private func timedRun(_ text: String, journal directory: String?, concurrency: Int) async throws -> Double {
    let plan = try RunbookLoader.load(SourceFile(path: "bench.yaml", text: text))
    let writer = try directory.map { try JournalWriter.create(directory: $0, runbookSHA256: String(repeating: "0", count: 64), key: nil) }
    var configuration = RunConfiguration(
        runID: writer?.runID.description ?? "bench", operatorName: "bench", host: "bench",
        environment: ["PATH": "/usr/bin:/bin"], runbookSHA256: String(repeating: "0", count: 64))
    configuration.concurrency = concurrency
    let executor = Executor(
        plan: plan, configuration: configuration,
        performer: StandardPerformer(
            environment: configuration.environment, forwarding: [], confirmations: Unattended(),
            notifications: NotificationService(
                plan: plan, configuration: configuration,
                sender: ChannelSender(), outbox: Outbox(journalDirectory: directory ?? "/tmp"),
                runbookPath: "bench.yaml")),
        recorder: writer.map { $0 as any RunRecorder } ?? Discard())
    let start = ContinuousClock.now
    let outcome = await executor.run()
    let seconds = (ContinuousClock.now - start).seconds
    try await writer?.close()
    guard outcome.status == .succeeded else { throw BenchmarkError("the benchmark run ended \(outcome.status)") }
    return seconds
}

/// No journal: what remains is the engine's own cost.
private struct Discard: RunRecorder {
    func record(_ kind: JournalRecordKind, _ fields: [(String, JSONValue)], durable: Bool) async throws {}
}

private struct Unattended: ConfirmationProvider {
    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer { .unavailable("benchmark") }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
