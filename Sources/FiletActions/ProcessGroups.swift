import FiletSupport
import Glibc

/// A process group that a command ran in, as the journal records it (`step.process`): its ID (the shell's pid)
/// and what tells it from a later group that reuses the number: the boot it started in and its leader's start time.
public struct ProcessGroupIdentity: Sendable, Hashable {
    /// The group's ID, which is also the pid of its leader (the step's shell).
    public var pgid: Int32
    /// `/proc/sys/kernel/random/boot_id` when the group started; nil when unknown.
    public var bootID: String?
    /// The leader's start time, in clock ticks after boot (field 22 of `/proc/PID/stat`); nil when unknown.
    public var leaderStart: Int?

    public init(pgid: Int32, bootID: String?, leaderStart: Int?) {
        self.pgid = pgid
        self.bootID = bootID
        self.leaderStart = leaderStart
    }

    /// The identity of the group `pid` leads, read now (from /proc).
    public static func of(leader pid: Int32) -> ProcessGroupIdentity {
        ProcessGroupIdentity(pgid: pid, bootID: ProcFiles.bootID, leaderStart: ProcFiles.stat(of: pid)?.startTicks)
    }
}

/// One process still running in a group.
public struct ProcessGroupMember: Sendable, Hashable {
    public var pid: Int32
    /// Its command line, arguments separated by spaces (its name in brackets when it has none).
    public var commandLine: String
}

/// Process groups that a run left behind: whether one still runs, and ending it. Read from `/proc`, so that a group
/// of zombies (processes ended but not reaped by a parent that is not filet) counts as ended.
public enum ProcessGroups: Sendable {
    /// The processes of `group` that still run, or none when the group has ended, started in another boot, or its
    /// number now names another group (its leader runs with another start time).
    public static func survivors(of group: ProcessGroupIdentity) -> [ProcessGroupMember] {
        let pgid = group.pgid
        guard pgid > 1, pgid != getpgrp() else { return [] }
        if let recorded = group.bootID, let now = ProcFiles.bootID, recorded != now { return [] }
        if kill(-pgid, 0) != 0, errno == ESRCH { return [] }
        if let leader = ProcFiles.stat(of: pgid), leader.state != "Z", leader.processGroup == pgid,
            let recorded = group.leaderStart, leader.startTicks != recorded
        {
            return []
        }
        return ProcessTable.processes().compactMap { pid, stat in
            stat.processGroup == pgid && stat.state != "Z"
                ? ProcessGroupMember(pid: pid, commandLine: ProcessTable.commandLine(of: pid)) : nil
        }
    }

    /// How ``terminate(_:grace:)`` ended.
    public struct Termination: Sendable, Hashable {
        /// `SIGTERM`, or `SIGKILL` when the group outlived the grace.
        public var lastSignal: String
        /// Nothing of the group runs any more.
        public var ended: Bool
        public var waited: Duration
    }

    /// Ends what still runs of `group`: SIGTERM (and SIGCONT, for a stopped process), then SIGKILL after `grace`,
    /// waiting at most `grace` and 10 s more.
    public static func terminate(_ group: ProcessGroupIdentity, grace: Duration) async -> Termination {
        let start = ContinuousClock.now
        guard !survivors(of: group).isEmpty else { return Termination(lastSignal: "SIGTERM", ended: true, waited: .zero) }
        kill(-group.pgid, SIGTERM)
        kill(-group.pgid, SIGCONT)
        if await ended(group, by: start + grace) {
            return Termination(lastSignal: "SIGTERM", ended: true, waited: ContinuousClock.now - start)
        }
        // Still the group it was: `survivors` said so a moment ago.
        kill(-group.pgid, SIGKILL)
        let ended = await ended(group, by: ContinuousClock.now + .seconds(10))
        return Termination(lastSignal: "SIGKILL", ended: ended, waited: ContinuousClock.now - start)
    }

    private static func ended(_ group: ProcessGroupIdentity, by deadline: ContinuousClock.Instant) async -> Bool {
        while ContinuousClock.now < deadline {
            if survivors(of: group).isEmpty { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return survivors(of: group).isEmpty
    }
}

/// What filet reads of processes in `/proc`, beyond ``ProcFiles``.
enum ProcessTable {
    /// Every process now, with its stat.
    static func processes() -> [(Int32, ProcFiles.Stat)] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [(Int32, ProcFiles.Stat)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let stat = ProcFiles.stat(of: pid) else { continue }
            found.append((pid, stat))
        }
        return found
    }

    /// The children of this process, of every thread: `/proc/self/task/*/children`, else a scan of `/proc`.
    static func children() -> [Int32] {
        let me = getpid()
        if let directory = opendir("/proc/self/task") {
            defer { closedir(directory) }
            var children: [Int32] = []
            var readable = false
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard Int32(name) != nil, let text = ProcFiles.text(of: "/proc/self/task/\(name)/children") else { continue }
                readable = true
                children += text.split(separator: " ").compactMap { Int32($0.filter { !$0.isWhitespace }) }
            }
            if readable { return children }
        }
        return processes().compactMap { pid, stat in stat.parent == me ? pid : nil }
    }

    /// `/proc/PID/cmdline` with spaces for its NULs; `[name]` when it has none (a kernel thread, a zombie).
    static func commandLine(of pid: Int32) -> String {
        if let bytes = ProcFiles.bytes(of: "/proc/\(pid)/cmdline"), !bytes.isEmpty {
            var bytes = bytes
            if bytes.last == 0 { bytes.removeLast() }
            return String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
        return "[\(ProcFiles.text(of: "/proc/\(pid)/comm")?.filter { $0 != "\n" } ?? "?")]"
    }

    /// The value of `name` in the environment `pid` was started with; nil when it has none or it cannot be read.
    static func environmentValue(_ name: String, of pid: Int32) -> String? {
        guard let bytes = ProcFiles.bytes(of: "/proc/\(pid)/environ") else { return nil }
        let prefix = Array((name + "=").utf8)
        for entry in bytes.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }
}
