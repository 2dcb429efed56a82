import FiletEngine
import FiletRunbook
public import FiletSupport

/// The readiness of a drill: what each check saw, which channels were reached, and the share of steps
/// that would have succeeded.
///
/// There is one computation, ``init(steps:notifications:runID:duration:)``, over what ``RunTimeline``
/// rebuilt from the journal's records; the summary `filet drill` prints at its end reads back the journal
/// the drill just wrote, so the terminal and `filet audit report` of the same journal cannot disagree.
public struct DrillReadiness: Sendable {
    public struct Check: Sendable {
        public var step: String
        public var kind: String
        /// `succeeded`, `failed`, `skipped`, `cancelled`, `simulated`, or `running` when no `step.finished` was found.
        public var status: String
        /// Milliseconds, as the last attempt recorded it.
        public var latency: Int?
        public var reason: String?
    }

    public struct Channel: Sendable {
        public var channel: String
        /// True when every delivery tried on it succeeded; nil when none was tried (a simulated notification).
        public var reached: Bool?
        /// The notification steps that tried it, or would have.
        public var steps: [String]
    }

    public var runID: String
    /// Steps that count: all that finished but those skipped on purpose (`when` false, `drill: skip`).
    public var considered: Int
    /// Of those, the ones that succeeded or were simulated.
    public var wouldSucceed: Int
    /// The simulated steps, with what each would have done.
    public var simulated: [(step: String, would: String?)]
    public var checks: [Check]
    public var channels: [Channel]
    /// The run's duration, in milliseconds.
    public var duration: Int

    /// The share of steps that would have succeeded, in whole percent (rounded down; 100 with no step).
    public var percentage: Int { considered == 0 ? 100 : wouldSucceed * 100 / considered }

    public func meets(minimum percent: Int) -> Bool { percentage >= percent }

    /// The readiness of a drill from its steps' final records and its notifications, as ``RunTimeline`` rebuilt them.
    init(steps: [RunTimeline.Step], notifications: [RunTimeline.Notification], runID: String, duration: Int) {
        self.runID = runID
        self.duration = duration
        let finished = steps.filter { $0.status != "running" }
        let counted = finished.filter { !StepResult.isDeliberateSkip(status: $0.status, reason: $0.reason) }
        considered = counted.count
        wouldSucceed = counted.filter { $0.status == StepStatus.succeeded.rawValue || $0.status == StepStatus.simulated.rawValue }.count
        simulated = steps.filter { $0.status == StepStatus.simulated.rawValue }.map { ($0.id, $0.would) }
        checks = steps.filter { ActionKind(rawValue: $0.action)?.isCheck == true }.map { step in
            let latency: Int? =
                if case .integer(let value)? = step.observations.first(where: { $0.0 == "latency_ms" })?.1 { value } else { nil }
            return Check(step: step.id, kind: step.action, status: step.status, latency: latency, reason: step.reason)
        }
        // Each channel a notification tried, reached when every delivery tried on it succeeded: a notification
        // delivered by its fallback leaves its own channel NOT reached. A notification that tried nothing
        // (simulated) names the channel it would have used, not tried.
        var channels: [Channel] = []
        func add(_ name: String, reached: Bool?, step: String) {
            guard let index = channels.firstIndex(where: { $0.channel == name }) else {
                channels.append(Channel(channel: name, reached: reached, steps: [step]))
                return
            }
            if !channels[index].steps.contains(step) { channels[index].steps.append(step) }
            if let reached { channels[index].reached = (channels[index].reached ?? true) && reached }
        }
        for notification in notifications {
            if notification.deliveries.isEmpty {
                let tried = !notification.outcome.hasPrefix("not sent")
                add(notification.channel ?? "(not sent)", reached: tried ? notification.isDelivered : nil, step: notification.step)
            } else {
                for delivery in notification.deliveries {
                    add(
                        delivery.channel, reached: delivery.outcome == "delivered" || delivery.outcome == "accepted",
                        step: notification.step)
                }
            }
        }
        self.channels = channels
    }

    // MARK: Rendering for `filet drill`

    /// The summary printed at the end of `filet drill`, in `language`; with the minimum the drill is held to, a
    /// last line says whether it was met.
    public func text(language: Language, minimum: Int? = nil) -> String {
        let colon = Message.colon.text(language)
        var out =
            Message.readinessHeadline(
                runID: runID, percentage: percentage, wouldSucceed: wouldSucceed, considered: considered,
                duration: RunTimeline.durationText(duration)
            ).text(language) + "\n"
        if !checks.isEmpty {
            out += Message.readinessChecks.text(language) + "\n"
            for check in checks {
                let status = StepStatus(rawValue: check.status)
                out += "  \(status.map(RunSummary.symbol) ?? "?") \(check.step) (\(check.kind))"
                out += check.latency.map { " \($0) ms" } ?? ""
                if status != .succeeded {
                    out +=
                        colon
                        + TerminalText.displayable(check.reason ?? status.map { Message.word(for: $0).text(language) } ?? check.status)
                }
                out += "\n"
            }
        }
        if !channels.isEmpty {
            out += Message.readinessChannels.text(language) + "\n"
            for channel in channels {
                let state = channel.reached.map { $0 ? Message.channelReached : .channelNotReached } ?? .channelNotTried
                out += "  \(channel.channel)\(colon)\(state.text(language)) (\(channel.steps.joined(separator: ", ")))\n"
            }
        }
        if let minimum {
            out += (meets(minimum: minimum) ? Message.readinessMet(minimum) : .readinessNotMet(percentage, minimum)).text(language) + "\n"
        }
        return out
    }

    /// The members of `filet drill --format json`'s `drill.readiness` event.
    public func jsonMembers(minimum: Int) -> [(String, JSONValue)] {
        [
            ("run", .string(runID)),
            ("readiness_percent", .integer(percentage)),
            ("minimum_percent", .integer(minimum)),
            ("ready", .bool(meets(minimum: minimum))),
            ("steps_considered", .integer(considered)),
            ("steps_would_succeed", .integer(wouldSucceed)),
            ("duration_ms", .integer(duration)),
            ("checks", checksJSON),
            ("channels", channelsJSON),
            ("simulated", simulatedJSON),
        ]
    }

    // MARK: JSON parts, shared with the report

    var checksJSON: JSONValue {
        .array(
            checks.map { check in
                .object([
                    ("step", .string(check.step)), ("kind", .string(check.kind)), ("status", .string(check.status)),
                    ("latency_ms", check.latency.map { .integer($0) } ?? .null), ("reason", .optional(check.reason)),
                ])
            })
    }

    var channelsJSON: JSONValue {
        .array(
            channels.map { channel in
                .object([
                    ("channel", .string(channel.channel)), ("reached", channel.reached.map { .bool($0) } ?? .null),
                    ("steps", .array(channel.steps.map { .string($0) })),
                ])
            })
    }

    var simulatedJSON: JSONValue {
        .array(simulated.map { .object([("step", .string($0.step)), ("would", .optional($0.would))]) })
    }
}

extension Message {
    static func readinessHeadline(runID: String, percentage: Int, wouldSucceed: Int, considered: Int, duration: String) -> Message {
        Message(
            en: "Readiness of drill \(runID): \(percentage)% (\(wouldSucceed) of \(considered) steps would have succeeded) in \(duration)",
            fr:
                "Préparation de l’exercice \(runID)\u{A0}: \(percentage)\u{A0}% (\(wouldSucceed) étapes sur \(considered) auraient réussi) en \(duration)"
        )
    }

    static let readinessChecks = Message(en: "Checks:", fr: "Vérifications\u{A0}:")
    static let readinessChannels = Message(en: "Channels:", fr: "Canaux\u{A0}:")
    static let channelReached = Message(en: "reached", fr: "atteint")
    static let channelNotReached = Message(en: "NOT reached", fr: "NON atteint")
    static let channelNotTried = Message(en: "not tried", fr: "non essayé")

    static func readinessMet(_ minimum: Int) -> Message {
        Message(
            en: "At or above the minimum of \(minimum)% (--min-readiness).",
            fr: "Au moins le minimum de \(minimum)\u{A0}% (--min-readiness).")
    }

    static func readinessNotMet(_ percentage: Int, _ minimum: Int) -> Message {
        Message(
            en: "BELOW the minimum: \(percentage)% < \(minimum)% (--min-readiness): the drill fails (exit 1).",
            fr: "SOUS le minimum\u{A0}: \(percentage)\u{A0}% < \(minimum)\u{A0}% (--min-readiness)\u{A0}: l’exercice échoue (code 1).")
    }
}
