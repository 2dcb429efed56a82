public import FiletRunbook

/// One notification, as the engine hands it to a channel: the final text (interpolated, with the
/// drill prefix when in a drill) and what every payload format shows about it.
public struct NotificationMessage: Sendable, Hashable {
    /// Stable across retries, fallbacks, outbox deliveries and `filet resume`: sent as `webhook-id`,
    /// so that a receiver can drop a delivery it has already seen.
    public var id: String
    public var runbookID: String
    public var runbookTitle: String
    public var runID: String
    public var mode: RunMode
    public var stepID: String
    public var channel: String
    public var severity: Notification.Severity
    public var text: String
    /// When the notification was made: UTC RFC 3339 with milliseconds.
    public var timestamp: String
    /// True in a drill: every format marks the message as an exercise.
    public var drill: Bool

    public init(
        id: String, runbookID: String, runbookTitle: String, runID: String, mode: RunMode, stepID: String, channel: String,
        severity: Notification.Severity, text: String, timestamp: String, drill: Bool
    ) {
        self.id = id
        self.runbookID = runbookID
        self.runbookTitle = runbookTitle
        self.runID = runID
        self.mode = mode
        self.stepID = stepID
        self.channel = channel
        self.severity = severity
        self.text = text
        self.timestamp = timestamp
        self.drill = drill
    }

    /// The id of the notification of `stepID` in `runID`: the same whenever that step notifies again.
    public static func id(runID: String, stepID: String) -> String { "msg_\(runID)_\(stepID)" }
}

/// Where a channel's notifications go, resolved for one run (the URL is a secret: never show it).
public struct WebhookEndpoint: Sendable {
    public var url: String
    public var format: Channel.Format
    public var headers: [(name: String, value: String)]
    /// Standard Webhooks signing secrets (`whsec_<base64>` or raw); several sign for key rotation.
    public var signingSecrets: [String]
    /// The limit of one attempt.
    public var timeout: Duration
    /// Attempts after the first, for retryable failures.
    public var retries: Int

    public init(
        url: String, format: Channel.Format, headers: [(name: String, value: String)] = [], signingSecrets: [String] = [],
        timeout: Duration = .seconds(10), retries: Int = 3
    ) {
        self.url = url
        self.format = format
        self.headers = headers
        self.signingSecrets = signingSecrets
        self.timeout = timeout
        self.retries = retries
    }
}
