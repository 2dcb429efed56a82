#if canImport(Glibc)
    public import Glibc
#endif

/// Spawn attributes for a child that must start as from a shell: no signal blocked and every signal at its default.
/// A child of a Swift thread otherwise inherits the signals that thread blocks (a tmux server that never sees SIGCHLD,
/// a pane that never takes kill-server's SIGHUP and outlives it).
public enum CleanSpawn: Sendable {
    /// Calls `body` with such attributes, destroyed when it returns.
    public static func withAttributes<Result>(_ body: (inout posix_spawnattr_t) throws -> Result) rethrows -> Result {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return try body(&attributes)
    }
}
