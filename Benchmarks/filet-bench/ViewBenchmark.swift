import FiletSupport
import FiletTestSupport
// `swift build -c release && .build/release/filet-bench view`: what the live view costs, measured, never asserted.
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the release `filet` (beside this program) on generated runbooks three ways: in a pseudo-terminal of
/// 120 × 40 (openpty: the live view), through a pipe (plain lines) and with `--format json` through a pipe;
/// prints the wall time of each whole process (best of a few) and the bytes it wrote, and the ratios the
/// goals are stated in: terminal ≤ 1.2 × pipe and ≤ 2 MB written, pipe ≤ 1.1 × json.
func viewBenchmark() throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("filet").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("filet-bench view: build filet first (swift build -c release --product filet)")
        return
    }
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let directory = base + "/filet-bench-view-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print("filet-bench view — whole `filet run` processes (\(binary)), journals in \(base); best of 3")
    print("runbook                          output     seconds      bytes   × pipe")
    for (name, steps, text) in [
        ("3,000 'wait: 0s' in a chain", 3000, viewChain(3000, action: "wait: 0s")),
        ("3,000 'wait: 0s', wide DAG", 3000, viewWide(3000)),
        ("200 'run: echo' in a chain", 200, viewChain(200, action: "run: echo step output")),
    ] {
        let path = directory + "/bench-\(steps).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var results: [(String, Double, Int)] = []
        for output in ViewOutput.allCases {
            var best = (Double.infinity, 0)
            for _ in 0..<3 {
                let (seconds, bytes) = try runFilet(binary, ["run", path, "--journal", directory + "/journal"] + output.flags, output)
                if seconds < best.0 { best = (seconds, bytes) }
            }
            results.append((output.rawValue, best.0, best.1))
        }
        let pipe = results.first { $0.0 == ViewOutput.pipe.rawValue }!.1
        for (output, seconds, bytes) in results {
            print(
                "\(name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(output.padding(toLength: 9, withPad: " ", startingAt: 0))"
                    + " \(format(seconds, 3).leftPadding(8)) \(String(bytes).leftPadding(10)) \(format(seconds / pipe, 2).leftPadding(7))×")
        }
        try? FileManager.default.removeItem(atPath: directory + "/journal")
    }
}

private enum ViewOutput: String, CaseIterable {
    case terminal, pipe, json

    var flags: [String] { self == .json ? ["--format", "json"] : [] }
}

private func viewChain(_ count: Int, action: String) -> String {
    "runbook: bench\ntitle: Bench\nsteps:\n" + (0..<count).map { "  - { id: s\($0), \(action) }\n" }.joined()
}

private func viewWide(_ count: Int) -> String {
    "runbook: bench\ntitle: Bench\nsteps:\n" + (0..<count).map { "  - { id: s\($0), needs: [], wait: 0s }\n" }.joined()
}

/// Runs `binary arguments` with stdout and stderr on a pseudo-terminal or a pipe, reads all it writes, and
/// returns the wall time until it exited and its output was read, and the byte count.
private func runFilet(_ binary: String, _ arguments: [String], _ output: ViewOutput) throws -> (Double, Int) {
    var readEnd: Int32 = -1
    var writeEnd: Int32 = -1
    if output == .terminal {
        var size = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&readEnd, &writeEnd, nil, nil, &size) == 0 else { throw POSIXError(.ENOTTY) }
    } else {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        (readEnd, writeEnd) = (fds[0], fds[1])
    }
    let bytes = Mutex<Int?>(nil)
    let reader = readEnd
    DedicatedThread.start("bench-reader") {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }  // EIO on a pseudo-terminal once its other end is closed
            total += count
        }
        bytes.withLock { $0 = total }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
    posix_spawn_file_actions_addclose(&actions, readEnd)
    posix_spawn_file_actions_addclose(&actions, writeEnd)
    var environment = ProcessInfo.processInfo.environment
    environment["TERM"] = "xterm-256color"
    environment["LANG"] = "C.UTF-8"
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    let start = ContinuousClock.now
    var pid: pid_t = 0
    let spawned = CleanSpawn.withAttributes { posix_spawn(&pid, binary, &actions, &$0, argv, envp) }
    close(writeEnd)
    guard spawned == 0 else {
        close(readEnd)
        throw POSIXError(.ENOENT)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    while bytes.withLock({ $0 }) == nil { usleep(200) }
    let seconds = (ContinuousClock.now - start).seconds
    close(readEnd)
    guard status == 0 else { throw BenchmarkError("filet \(arguments.joined(separator: " ")) exited with status \(status)") }
    return (seconds, bytes.withLock { $0 } ?? 0)
}
