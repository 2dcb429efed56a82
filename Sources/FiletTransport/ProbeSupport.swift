import FiletRunbook

#if canImport(Glibc)
    import Glibc
#endif

/// How probes print times: measured times one way, configured limits the runbook's way.
package enum ProbeTime {
    /// Whole milliseconds, rounded up so that a limit of 0.4 ms never prints as `0s`.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let extra = attoseconds > 0 ? (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 : 0
        return seconds * 1000 + extra
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A limit as written in a runbook: `2s`, `1m30s`, `250ms`.
    package static func setting(_ duration: Duration) -> String {
        RunbookDuration(milliseconds: milliseconds(duration)).description
    }

    /// A measured time: `840ms` under a second, else seconds with one decimal (`2.4s`).
    package static func measured(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let totalMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if totalMilliseconds < 1 { return "<1ms" }
        if totalMilliseconds < 1000 { return "\(totalMilliseconds)ms" }
        let tenths = (totalMilliseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10)s"
    }
}

#if canImport(Glibc)
    /// A close-on-exec, non-blocking pair of connected sockets (created atomically, unlike
    /// `pipe` + `fcntl`): writing a byte to `[1]` wakes every `poll` watching `[0]`.
    func makeWakeChannel() -> [Int32]? {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        return socketpair(AF_UNIX, type, 0, &fds) == 0 ? fds : nil
    }
#endif
