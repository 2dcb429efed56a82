public import FiletEngine
public import FiletRunbook
public import FiletSupport
import Foundation

/// The readiness summary printed at the end of a drill: what each check saw, which channels were
/// reached, and the share of steps that would have succeeded.
public struct DrillReadiness: Sendable {
    public struct CheckLine: Sendable {
        public var step: String
        public var kind: String
        public var status: StepStatus
        public var latencyMilliseconds: Int?
        public var reason: String?
    }

    public struct ChannelLine: Sendable {
        public var channel: String
        /// True when a notification reached it; nil when none was tried (simulated or skipped).
        public var reached: Bool?
        public var steps: [String]
    }

    public var runID: String
    public var checks: [CheckLine]
    public var channels: [ChannelLine]
    /// Steps that count: all but those skipped on purpose (`when` false, `drill: skip`).
    public var considered: Int
    /// Of those, the ones that succeeded or were simulated.
    public var wouldSucceed: Int
    public var duration: Duration

    /// The share of steps that would have succeeded, in whole percent (rounded down; 100 with no step).
    public var percentage: Int { Readiness.percentage(considered: considered, wouldSucceed: wouldSucceed) }

    public init(outcome: RunOutcome, plan: Plan) {
        let results = outcome.steps + outcome.finallySteps
        runID = outcome.runID
        duration = outcome.duration
        checks = results.filter { ActionKind(rawValue: $0.action)?.isCheck == true }.map { result in
            CheckLine(
                step: result.stepID, kind: result.action, status: result.status,
                latencyMilliseconds: Readiness.latencyMilliseconds(result.observed), reason: result.reason)
        }
        var channels: [ChannelLine] = []
        for planned in plan.steps + plan.finallySteps {
            guard case .notify(let notification) = planned.step.action,
                let result = results.first(where: { $0.stepID == planned.step.id })
            else { continue }
            let reached: Bool? =
                switch result.status {
                case .succeeded: true
                case .failed, .cancelled: false
                case .skipped, .simulated: nil
                }
            if let index = channels.firstIndex(where: { $0.channel == notification.channel }) {
                channels[index].steps.append(result.stepID)
                channels[index].reached = Readiness.reached(channels[index].reached, adding: reached)
            } else {
                channels.append(ChannelLine(channel: notification.channel, reached: reached, steps: [result.stepID]))
            }
        }
        self.channels = channels
        let counted = results.filter { !$0.isDeliberateSkip }
        considered = counted.count
        wouldSucceed = counted.filter { Readiness.wouldSucceed(status: $0.status.rawValue) }.count
    }

    public func meets(minimum percent: Int) -> Bool { percentage >= percent }

    public func text() -> String {
        var out =
            "Readiness of drill \(runID): \(percentage)% (\(wouldSucceed) of \(considered) steps would have succeeded) in \(RunSummary.elapsed(duration))\n"
        if !checks.isEmpty {
            out += "Checks:\n"
            for check in checks {
                out += "  \(RunSummary.symbol(check.status)) \(check.step) (\(check.kind))"
                out += check.latencyMilliseconds.map { " \($0) ms" } ?? ""
                out += check.status == .succeeded ? "" : ": \(check.reason ?? check.status.rawValue)"
                out += "\n"
            }
        }
        if !channels.isEmpty {
            out += "Channels:\n"
            for channel in channels {
                let state = channel.reached.map { $0 ? "reached" : "NOT reached" } ?? "not tried"
                out += "  \(channel.channel): \(state) (\(channel.steps.joined(separator: ", ")))\n"
            }
        }
        return out
    }

    /// The summary's members, for `--format json`.
    public func jsonMembers(minimum: Int) -> [(String, JSONValue)] {
        [
            ("run", .string(runID)),
            ("readiness_percent", .integer(percentage)),
            ("minimum_percent", .integer(minimum)),
            ("ready", .bool(meets(minimum: minimum))),
            ("steps_considered", .integer(considered)),
            ("steps_would_succeed", .integer(wouldSucceed)),
            ("duration_ms", .integer(Int(duration.milliseconds))),
            (
                "checks",
                .array(
                    checks.map { check in
                        .object([
                            ("step", .string(check.step)), ("kind", .string(check.kind)), ("status", .string(check.status.rawValue)),
                            ("latency_ms", check.latencyMilliseconds.map { .integer($0) } ?? .null), ("reason", .optional(check.reason)),
                        ])
                    })
            ),
            (
                "channels",
                .array(
                    channels.map { channel in
                        .object([
                            ("channel", .string(channel.channel)), ("reached", channel.reached.map { .bool($0) } ?? .null),
                            ("steps", .array(channel.steps.map { .string($0) })),
                        ])
                    })
            ),
        ]
    }
}
