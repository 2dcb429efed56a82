import FiletSupport
import Glibc
import Synchronization

/// filet as the reaper of what its commands leave behind.
///
/// A command runs in a process group of its own, which filet kills when the command ends, times out or is
/// cancelled. A process that leaves the group (`setsid`, `setpgid`, a daemon's double fork) escapes that kill;
/// when its parent ends, it is re-parented to the nearest *subreaper*, which ``enable()`` makes filet. At the end of
/// every command, the sweep then kills (SIGKILL) and reaps the children of filet that are not the shell of a
/// running command and that came from the command that ended: each command's processes carry
/// ``tagVariable`` in their environment, which tells whose they are. A process without the tag (its environment
/// was emptied) is swept when no other command runs.
public enum Subreaper: Sendable {
    /// Set by filet in the environment of every command while the sweep is on: what tells which command a process
    /// that left its group came from. Its value means nothing to the command.
    public static let tagVariable = "FILET_COMMAND_TAG"

    /// Makes this process the subreaper of its descendants (`prctl(PR_SET_CHILD_SUBREAPER)`) and turns the sweep on.
    /// Only for a program whose only children are its commands (the `filet` binary): the sweep reaps and kills the
    /// children that no running command owns. Returns false when the system refused (the sweep stays off).
    @discardableResult
    public static func enable() -> Bool {
        guard let prctl = prctlFunction, prctl(setChildSubreaper, 1, 0, 0, 0) == 0 else { return false }
        CommandRegistry.shared.enable()
        return true
    }

    public static var isEnabled: Bool { CommandRegistry.shared.isEnabled }

    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    /// `prctl` is variadic in C, which Swift does not import: looked up by name with a fixed signature.
    private static let prctlFunction: Prctl? = dlsym(nil, "prctl").map { unsafeBitCast($0, to: Prctl.self) }
    /// `PR_SET_CHILD_SUBREAPER` of <linux/prctl.h> (Linux 3.4).
    private static let setChildSubreaper: Int32 = 36
}

/// The commands running now: the shells not yet reaped (which the sweep must never reap) and the tag of each.
final class CommandRegistry: Sendable {
    static let shared = CommandRegistry()

    private struct State {
        var enabled = false
        var shells: Set<Int32> = []
        /// The tags of the commands whose sweep is not done, each with its shell.
        var tags: [String: Int32] = [:]
        var counter = 0
    }

    private let state = Mutex(State())

    var isEnabled: Bool { state.withLock { $0.enabled } }

    func enable() { state.withLock { $0.enabled = true } }

    /// Starts `spec`'s shell; with the sweep on, tagged and registered in the same critical section, so that a
    /// sweep never sees it unregistered.
    func spawn(_ spec: CommandSpec) -> Result<(ShellProcess, tag: String?), CommandError> {
        state.withLock { state in
            guard state.enabled else { return ShellProcess.spawn(spec).map { ($0, nil) } }
            state.counter += 1
            let tag = "\(getpid())-\(state.counter)"
            var tagged = spec
            tagged.environment[Subreaper.tagVariable] = tag
            let spawned = ShellProcess.spawn(tagged)
            if case .success(let process) = spawned {
                state.shells.insert(process.pid)
                state.tags[tag] = process.pid
            }
            return spawned.map { ($0, tag) }
        }
    }

    /// The shell `pid` was reaped: from now on it is not a command's.
    func reaped(_ pid: Int32) {
        state.withLock { _ = $0.shells.remove(pid) }
    }

    /// Kills and reaps what the command tagged `tag`, whose group was `group`, left behind (see ``Subreaper``): until
    /// none of its processes is left and its group is empty, at most 2 s.
    func sweep(tag: String, group: Int32) {
        let deadline = ContinuousClock.now + .seconds(2)
        let ownGroup = getpgrp()
        while true {
            let acted = state.withLock { state -> Bool in
                var acted = false
                let others = Set(state.tags.keys).subtracting([tag])
                for child in ProcessTable.children() where !state.shells.contains(child) {
                    guard let stat = ProcFiles.stat(of: child), stat.state != "Z" else {
                        // Ended (or ending): reaped, whoever it was; a command's shell is never here.
                        var status: Int32 = 0
                        if waitpid(child, &status, WNOHANG) == child { acted = true }
                        continue
                    }
                    let owner = ProcessTable.environmentValue(Subreaper.tagVariable, of: child)
                    if let owner, others.contains(owner) { continue }
                    if owner == nil, !others.isEmpty { continue }
                    if stat.processGroup == child, child != ownGroup { kill(-child, SIGKILL) }
                    kill(child, SIGKILL)
                    acted = true
                }
                return acted
            }
            // Members of the group (zombies included) pin its number: it is empty once they are all reaped.
            let groupLeft = group > 1 && group != ownGroup && kill(-group, 0) == 0
            if !acted && !groupLeft { break }
            if ContinuousClock.now >= deadline { break }
            usleep(5000)
        }
        state.withLock { _ = $0.tags.removeValue(forKey: tag) }
    }
}
