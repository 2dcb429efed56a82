import FiletJournal
import FiletSupport
// filet-bench journal: append and verification speed of the journal, on this disk.
//
//   swift run -c release filet-bench journal
//
// Measures the disk's bare write + fdatasync pace first (it varies with the machine's other
// work), then appends one by one (each waits for its fdatasync), from 16 and 64 concurrent
// tasks (group commit), one by one on tmpfs (the writer's own cost), and verifies a journal
// of about 125 MB with and without a key. Files go to a fresh directory under the system's
// temporary directory (and /dev/shm), removed at the end.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `step.attempt` record of a realistic size (about 420 bytes with the envelope and a MAC).
func sampleAttempt(_ index: Int) -> [(String, JSONValue)] {
    [
        ("step", .string("check-portail-\(index % 40)")),
        ("attempt", .integer(index % 3 + 1)),
        ("outcome", "succeeded"),
        ("duration_ms", .integer(120 + index % 900)),
        (
            "observations",
            .object([
                ("http_status", 200), ("latency_ms", .integer(35 + index % 200)),
                ("addresses", .array(["192.0.2.10", "2001:db8::10"])),
            ])
        ),
    ]
}

/// Appends a 420-byte line `count` times with `write(2)` + `fdatasync(2)`, as a C program would.
func rawSyncedAppendsPerSecond(directory: String, count: Int) throws -> Double {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/baseline.jsonl"
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    guard descriptor >= 0 else { throw POSIXError(.EIO) }
    defer {
        close(descriptor)
        unlink(path)
    }
    let line = [UInt8](repeating: UInt8(ascii: "x"), count: 419) + [0x0A]
    let start = ContinuousClock.now
    for _ in 0..<count {
        guard line.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == line.count, fdatasync(descriptor) == 0 else {
            throw POSIXError(.EIO)
        }
    }
    return Double(count) / (ContinuousClock.now - start).seconds
}

func journalBenchmark() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filet-bench-journal-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let runbookHash = String(repeating: "0", count: 64)
    let key = Array("filet-bench-key-0123456789abcdef".utf8)
    print("filet-bench journal — \(directory) (\(ProcessInfo.processInfo.activeProcessorCount) cores)")

    // The disk's own pace: a bare write(2) + fdatasync(2) of one line, the floor of any durable append.
    let baseline = try rawSyncedAppendsPerSecond(directory: directory, count: 1000)
    print("bare write + fdatasync (baseline):  \(format(baseline, 0).leftPadding(9)) per second (\(format(1e6 / baseline, 0)) µs each)")

    // One by one: each append waits for its own write + fdatasync.
    let oneByOne = try JournalWriter.create(directory: directory, runbookSHA256: runbookHash, key: key)
    let sequentialCount = 3000
    var start = ContinuousClock.now
    for index in 0..<sequentialCount { try await oneByOne.append(.stepAttempt, sampleAttempt(index)) }
    let sequentialSeconds = (ContinuousClock.now - start).seconds
    try await oneByOne.close()
    print(
        "appends one by one (each durable):  \(format(Double(sequentialCount) / sequentialSeconds, 0).leftPadding(9)) records/s  (\(format(sequentialSeconds / Double(sequentialCount) * 1e6, 0)) µs each)"
    )

    // Concurrent: tasks append while a sync is in flight; they share the next write + fdatasync.
    for tasks in [16, 64] {
        let concurrent = try JournalWriter.create(directory: directory, runbookSHA256: runbookHash, key: key)
        let perTask = 40_000 / tasks
        start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<perTask { try await concurrent.append(.stepAttempt, sampleAttempt(task * perTask + index)) }
                }
            }
            try await group.waitForAll()
        }
        let concurrentSeconds = (ContinuousClock.now - start).seconds
        try await concurrent.close()
        print(
            "appends from \(String(tasks).leftPadding(2)) tasks (group commit): \(format(Double(tasks * perTask) / concurrentSeconds, 0).leftPadding(9)) records/s"
        )
    }

    // The writer's own cost, without a disk: the same on tmpfs, where fdatasync returns at once.
    if FileManager.default.fileExists(atPath: "/dev/shm") {
        let memoryDirectory = "/dev/shm/filet-bench-journal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: memoryDirectory) }
        let inMemory = try JournalWriter.create(directory: memoryDirectory, runbookSHA256: runbookHash, key: key)
        start = ContinuousClock.now
        for index in 0..<20_000 { try await inMemory.append(.stepAttempt, sampleAttempt(index)) }
        let memorySeconds = (ContinuousClock.now - start).seconds
        try await inMemory.close()
        print(
            "appends one by one on tmpfs (no disk: the writer's own cost): \(format(20_000 / memorySeconds, 0)) records/s (\(format(memorySeconds / 20_000 * 1e6, 0)) µs each)"
        )
    }

    // Verification of a ~125 MB journal, written through the writer (group commit).
    let large = try JournalWriter.create(directory: directory, runbookSHA256: runbookHash, key: key)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<64 {
            group.addTask {
                for index in 0..<4700 { try await large.append(.stepAttempt, sampleAttempt(task * 4700 + index)) }
            }
        }
        try await group.waitForAll()
    }
    try await large.append(.runFinished, [("status", "succeeded")])
    try await large.close()
    let size = Double((try FileManager.default.attributesOfItem(atPath: large.path)[.size] as? NSNumber)?.intValue ?? 0)
    var verification: JournalVerification?
    let chainSeconds = try best(runs: 3) { verification = try JournalVerifier.verify(path: large.path) }
    guard verification?.isIntact == true else {
        print("unexpected: \(verification?.verdict ?? "")")
        exit(1)
    }
    let macSeconds = try best(runs: 3) { verification = try JournalVerifier.verify(path: large.path, key: key) }
    guard verification?.isIntact == true else {
        print("unexpected: \(verification?.verdict ?? "")")
        exit(1)
    }
    var count = 0
    let readSeconds = try best(runs: 3) {
        count = 0
        _ = try JournalReader.forEachRecord(path: large.path) { _ in count += 1 }
    }
    let megabytes = size / 1_000_000
    print(
        "journal of \(format(megabytes)) MB, \(verification!.recordCount) records (\(format(size / Double(verification!.recordCount), 0)) bytes each):"
    )
    print("  verify, chain only:                \(format(megabytes / chainSeconds).leftPadding(9)) MB/s")
    print("  verify, chain and MACs:            \(format(megabytes / macSeconds).leftPadding(9)) MB/s")
    print("  read every record into JSONValue:  \(format(megabytes / readSeconds).leftPadding(9)) MB/s (\(count) records)")
    print("  \(verification!.verdict)")
}
