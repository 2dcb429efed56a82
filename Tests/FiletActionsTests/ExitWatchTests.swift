import Foundation
import Testing

@testable import FiletActions

#if canImport(Glibc)
    import Glibc
#endif

/// Both ways of learning that a shell exited: a pidfd, and the fallback of a thread in waitid
/// for systems without pidfd_open. Neither may reap the process.
@Suite struct ExitWatchTests {
    @Test(arguments: [true, false]) func signalsTheExitWithoutReaping(usePidFD: Bool) throws {
        let process = try ShellProcess.spawn(CommandSpec(script: "sleep 1", environment: ["PATH": "/usr/bin:/bin"])).get()
        defer {
            close(process.stdout)
            close(process.stderr)
        }
        let fd = try ExitWatch.start(process.pid, usePidFD: usePidFD).get()
        defer { close(fd) }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 0) == 0)  // still running
        #expect(poll(&entry, 1, 10_000) == 1)
        // Exited but not reaped: its group ID is still reserved until this waitpid.
        var status: Int32 = -1
        #expect(waitpid(process.pid, &status, WNOHANG) == process.pid)
        #expect(status == 0)
    }
}
