import FiletActions
import FiletEngine
import FiletJournal
import FiletNotify
import FiletRunbook
import FiletSupport
import FiletSyntax
import FiletTestSupport
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `filet-bench notify`: 1,000 notifications (one runbook, 1,000 `notify` steps across 10 channels) to a
/// local receiver, through the whole engine with journaling and write-ahead intents on, at concurrency
/// 1, 16 and 64; and the same number of POSTs sent by a bare URLSession loop in the same run.
func notifyBenchmark() async throws {
    let server = try TestHTTPServer { _ in .respond(.status(200)) }
    defer { server.stop() }
    let directory = FileManager.default.currentDirectoryPath + "/.build/filet-bench-notify"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let count = 1000
    let channels = (0..<10).map { "  c\($0): { webhook: \"\(server.url("/c\($0)"))\", format: generic, retries: 0 }\n" }.joined()
    let steps = (0..<count).map { "  - { id: n\($0), needs: [], notify: { channel: c\($0 % 10), text: \"Service \($0) prévenu\" } }\n" }
        .joined()
    let plan = try RunbookLoader.load(
        SourceFile(path: "notify.yaml", text: "runbook: bench\ntitle: Bench\nchannels:\n\(channels)steps:\n\(steps)"))
    print("filet-bench notify — \(count) notifications to a loopback receiver; journal on disk, fsync on")
    print("concurrency   filet (s)   filet/s   bare URLSession (s)   bare/s   filet ÷ bare")
    for concurrency in [1, 16, 64] {
        let filet = try await timedNotifications(plan: plan, directory: directory, concurrency: concurrency)
        let bare = try await bareURLSession(count: count, url: server.url("/bare"), concurrency: concurrency)
        print(
            "\(String(concurrency).leftPadding(11))   \(format(filet, 2).leftPadding(9))   \(format(Double(count) / filet, 0).leftPadding(7))"
                + "   \(format(bare, 2).leftPadding(19))   \(format(Double(count) / bare, 0).leftPadding(6))   \(format(filet / bare, 2).leftPadding(11))×"
        )
    }
}

private func timedNotifications(plan: Plan, directory: String, concurrency: Int) async throws -> Double {
    let writer = try JournalWriter.create(directory: directory, runbookSHA256: String(repeating: "0", count: 64), key: nil)
    var configuration = RunConfiguration(
        runID: writer.runID.description, operatorName: "bench", host: "bench",
        environment: ["PATH": "/usr/bin:/bin"], runbookSHA256: String(repeating: "0", count: 64))
    configuration.concurrency = concurrency
    let notifications = NotificationService(
        plan: plan, configuration: configuration, sender: ChannelSender(),
        outbox: Outbox(journalDirectory: directory), runbookPath: "notify.yaml")
    let executor = Executor(
        plan: plan, configuration: configuration,
        performer: StandardPerformer(
            environment: configuration.environment, forwarding: [],
            confirmations: NobodyConfirms(), notifications: notifications),
        recorder: writer)
    let start = ContinuousClock.now
    let outcome = await executor.run()
    let seconds = (ContinuousClock.now - start).seconds
    try await writer.close()
    guard outcome.status == .succeeded else { throw BenchmarkError("the notification run ended \(outcome.status)") }
    return seconds
}

/// The same POSTs with nothing but URLSession: one shared session, `concurrency` requests in flight.
private func bareURLSession(count: Int, url: String, concurrency: Int) async throws -> Double {
    let session = URLSession(configuration: .ephemeral)
    defer { session.invalidateAndCancel() }
    let body = Data(#"{"text":"Service prévenu","severity":"info"}"#.utf8)
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var sent = 0
        func post() {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            group.addTask {
                let (_, response) = try await session.data(for: request)
                guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw BenchmarkError("bare POST failed") }
            }
            sent += 1
        }
        while sent < min(concurrency, count) { post() }
        while try await group.next() != nil {
            if sent < count { post() }
        }
    }
    return (ContinuousClock.now - start).seconds
}

private struct NobodyConfirms: ConfirmationProvider {
    func confirm(prompt: String, stepID: String, approvers: [String]) async -> ConfirmationAnswer { .unavailable("benchmark") }
}
