import FiletSupport

/// When to try a failed step again: attempt N (N ≥ 2) waits backoff·2^(N-2) ± 20%, capped.
public struct RetryPolicy: Sendable {
    public var retries: Int
    public var backoff: Duration
    public var cap: Duration

    public static let defaultCap: Duration = .seconds(300)

    public init(retries: Int, backoff: Duration, cap: Duration = RetryPolicy.defaultCap) {
        self.retries = retries
        self.backoff = backoff
        self.cap = cap
    }

    public var maximumAttempts: Int { retries + 1 }

    /// The pause before `attempt` (2 for the first retry), with ±20% jitter drawn from `random` in 0..<1.
    public func delay(beforeAttempt attempt: Int, random: Double) -> Duration {
        guard attempt >= 2 else { return .zero }
        let base = Double(backoff.milliseconds) * Double(1 << min(attempt - 2, 30))
        let jittered = base * (0.8 + 0.4 * random)
        return .milliseconds(Int64(min(jittered, Double(cap.milliseconds))))
    }
}

extension Step {
    /// How the step is tried again after a failure: its `retries` and `backoff`; never for a `confirm` or a
    /// `wait` (``ActionKind/isRetried``), whatever is set.
    public var retryPolicy: RetryPolicy {
        RetryPolicy(retries: action.kind.isRetried ? retries : 0, backoff: backoff.duration)
    }
}

extension RunbookDuration {
    public var duration: Duration { .milliseconds(milliseconds) }
}
