public import FiletRunbook

/// Spaces the requests to one webhook URL by the minimum interval of its format, so that a
/// burst of notifications (ten steps failing at once) does not trip the receiver's rate limit.
///
/// Requests to different URLs never wait for each other. Turns are handed out in the order
/// asked: each caller reserves the next free slot of its URL, then sleeps until it (without
/// holding the actor). A cancelled caller returns at once; its slot stays used, which only
/// makes later callers a little more cautious.
///
/// The intervals (see `docs/notifications.md` for their sources) are minimums between the
/// *starts* of requests; a 429 with `Retry-After` is handled by ``WebhookDelivery`` on top.
public actor DeliveryPacer {
    /// The default minimum interval between two requests to one URL, per format.
    public static func defaultInterval(for format: Channel.Format) -> Duration {
        switch format {
        case .slack: .seconds(1)  // Slack: about one message per second per webhook, short bursts tolerated
        case .teams: .seconds(1)  // Teams Workflows (Power Automate): throttled, exact limits undocumented and subject to change
        case .mattermost, .rocketchat: .milliseconds(100)  // self-hosted: rate limiting off by default, 10/s when enabled
        case .generic: .zero
        }
    }

    private let intervals: [Channel.Format: Duration]
    private let clock = ContinuousClock()
    /// The start of the latest turn handed out, per URL.
    private var lastTurn: [String: ContinuousClock.Instant] = [:]

    /// `intervals` overrides the defaults for the formats it names.
    public init(intervals: [Channel.Format: Duration] = [:]) {
        var all: [Channel.Format: Duration] = [:]
        for format in Channel.Format.allCases { all[format] = intervals[format] ?? Self.defaultInterval(for: format) }
        self.intervals = all
    }

    public func interval(for format: Channel.Format) -> Duration { intervals[format] ?? .zero }

    /// Returns when a request to `url` may start.
    public func waitForTurn(url: String, format: Channel.Format) async {
        let turn = reserveTurn(url: url, format: format)
        guard turn > clock.now else { return }
        try? await Task.sleep(until: turn, clock: clock)
    }

    /// Reserves the next slot for `url` and returns it (now, when the URL has been quiet long enough).
    private func reserveTurn(url: String, format: Channel.Format) -> ContinuousClock.Instant {
        let now = clock.now
        let interval = interval(for: format)
        let turn = lastTurn[url].map { max(now, $0 + interval) } ?? now
        lastTurn[url] = turn
        if lastTurn.count > 1024 { lastTurn = lastTurn.filter { $0.value + .seconds(60) > now } }
        return turn
    }
}
