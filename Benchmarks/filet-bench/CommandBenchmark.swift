import FiletActions
import FiletSupport
// `swift run -c release filet-bench command`: the cost of one `run` step, measured, never asserted.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `/bin/true` 1,000 times in a chain (each run after the previous one ended) through
/// ``CommandRunner`` (posix_spawn, its thread, pipes, poll on a pidfd, reaping): as a step
/// does (`/bin/sh -c /bin/true`, where dash forks again for the external command), with the
/// shell's builtin `true`, and with `/bin/true` itself as the shell (the runner's own cost over
/// the floor). The floor is a bare posix_spawn + waitpid of `/bin/true`. Then, for comparison in
/// the same process, 20 runs with Foundation.Process + waitUntilExit, of `/bin/true` and of a
/// 10 ms command (where waitUntilExit's polling of its run loop would show).
func commandBenchmark() async throws {
    let environment = CommandRunner.minimalEnvironment(from: ProcessInfo.processInfo.environment, adding: [:])
    let external = CommandSpec(script: "/bin/true", environment: environment)
    var builtin = external
    builtin.script = "true"
    var direct = external
    direct.shell = "/bin/true"
    var shortSleep = external
    shortSleep.script = "sleep 0.01"

    print("filet-bench command — 1,000 runs in a chain (5 batches of 200), same process; ms per run")
    print("what                                                  mean of all  best batch")
    report("floor: posix_spawn + waitpid, /bin/true", try measure { try spawnAndWait("/bin/true", environment: environment) })
    for (label, spec) in [
        ("CommandRunner, /bin/sh -c /bin/true", external),
        ("CommandRunner, /bin/sh -c true (builtin)", builtin),
        ("CommandRunner, /bin/true as the shell", direct),
    ] {
        report(
            label,
            try await measure {
                let result = try await CommandRunner.run(spec)
                guard result.exitStatus == 0 else { throw POSIXError(.ECHILD) }
            })
    }

    print("20 runs in a chain, same process; ms per run")
    report("Foundation.Process + waitUntilExit, sh -c /bin/true", try measure(batches: 1, of: 20) { try runWithFoundation(external) })
    report("CommandRunner, sh -c 'sleep 0.01'", try await measure(batches: 1, of: 20) { _ = try await CommandRunner.run(shortSleep) })
    report("Foundation.Process + waitUntilExit, sh -c 'sleep 0.01'", try measure(batches: 1, of: 20) { try runWithFoundation(shortSleep) })
}

private func report(_ label: String, _ figures: (mean: Double, best: Double)) {
    print(
        "\(label.padding(toLength: 54, withPad: " ", startingAt: 0)) \(format(figures.mean * 1000, 3).leftPadding(10)) \(format(figures.best * 1000, 3).leftPadding(11))"
    )
}

/// Seconds per run: the mean over all batches and the best batch (the least disturbed by the
/// other work of a shared machine), after a few runs to warm up.
private func measure(batches: Int = 5, of size: Int = 200, _ body: () throws -> Void) rethrows -> (mean: Double, best: Double) {
    for _ in 0..<min(size, 20) { try body() }
    var total = 0.0
    var best = Double.infinity
    for _ in 0..<batches {
        let start = ContinuousClock.now
        for _ in 0..<size { try body() }
        let each = (ContinuousClock.now - start).seconds / Double(size)
        total += each
        best = min(best, each)
    }
    return (total / Double(batches), best)
}

private func measure(batches: Int = 5, of size: Int = 200, _ body: () async throws -> Void) async rethrows -> (mean: Double, best: Double) {
    for _ in 0..<min(size, 20) { try await body() }
    var total = 0.0
    var best = Double.infinity
    for _ in 0..<batches {
        let start = ContinuousClock.now
        for _ in 0..<size { try await body() }
        let each = (ContinuousClock.now - start).seconds / Double(size)
        total += each
        best = min(best, each)
    }
    return (total / Double(batches), best)
}

private func runWithFoundation(_ spec: CommandSpec) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: spec.shell)
    process.arguments = ["-c", spec.script]
    process.environment = spec.environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw POSIXError(.ECHILD) }
}

private func spawnAndWait(_ path: String, environment: [String: String]) throws {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in argv + envp { free(pointer) } }
    guard posix_spawn(&pid, path, nil, nil, argv, envp) == 0 else { throw POSIXError(.ENOENT) }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { throw POSIXError(.ECHILD) }
}
