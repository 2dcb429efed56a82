public import FiletRunbook
public import FiletSupport
public import FiletTransport
public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How a delivery ended.
public enum DeliveryOutcome: Sendable, Hashable, CustomStringConvertible {
    /// A 2xx other than 202.
    case delivered(status: Int)
    /// A 202: the receiver queued the message; it has not necessarily been posted yet.
    case accepted
    /// Not delivered. `retryable` is true when trying again later may work (timeouts, 5xx,
    /// connection errors, retries or deadline exhausted, cancellation), false when it will not
    /// (4xx other than 408/425/429, a redirect, a TLS failure, a bad URL or secret).
    case failed(reason: String, retryable: Bool)
    /// A 410: the receiver wants no more messages; the engine disables the channel for the run.
    case gone

    public var isSuccess: Bool {
        switch self {
        case .delivered, .accepted: true
        case .failed, .gone: false
        }
    }

    public var description: String {
        switch self {
        case .delivered(let status): "delivered (status \(status))"
        case .accepted: "accepted (status 202: the receiver queued the message)"
        case .failed(let reason, let retryable): "failed\(retryable ? " (retryable)" : ""): \(reason)"
        case .gone: "gone (status 410: the receiver wants no more messages from this channel)"
        }
    }
}

/// One HTTP attempt of a delivery, as recorded in the report.
public struct DeliveryAttempt: Sendable, Hashable, CustomStringConvertible {
    /// From 1.
    public var number: Int
    /// The `webhook-timestamp` sent (Unix seconds).
    public var timestamp: Int64
    /// The status of the answer; nil when there was none.
    public var status: Int?
    /// Why there was no answer, in words (`connection refused by 127.0.0.1:8080`); nil with an answer.
    public var error: String?
    /// The stable kind of `error`.
    public var errorCode: ProbeFailure.Code?
    /// From sending the request to the answer (or the failure).
    public var latency: Duration
    /// The `Location` of a 3xx, reduced to scheme and host (it may repeat the secret URL).
    public var location: String?
    /// The `Retry-After` header of a 429 or 503, as received.
    public var retryAfter: String?
    /// At most 512 bytes of the body of a failed answer.
    public var excerpt: String?
    /// Why another attempt follows; nil when none does.
    public var retryReason: String?
    /// The pause before the next attempt; nil when none follows.
    public var wait: Duration?
    /// How `wait` was chosen: `backoff`, `Retry-After 2s`, `Retry-After 120s, capped at 60s`.
    public var waitReason: String?

    public var retried: Bool { retryReason != nil }

    /// `status 503` or the error.
    public var result: String {
        if let status { return "status \(status)" + (location.map { " (Location: \($0))" } ?? "") }
        return error ?? "no answer"
    }

    /// `attempt 1: status 503 in 12ms; retrying in 2.0s (Retry-After 2s)`.
    public var description: String {
        var text = "attempt \(number): \(result) in \(ProbeTime.measured(latency))"
        if let excerpt, !excerpt.isEmpty { text += ", body: \(DeliveryReport.quoted(excerpt))" }
        if retried, let wait { text += "; retrying in \(ProbeTime.measured(wait))" + (waitReason.map { " (\($0))" } ?? "") }
        return text
    }
}

/// Everything a delivery did. Its texts name the webhook by scheme and host only.
public struct DeliveryReport: Sendable, Hashable, CustomStringConvertible {
    public var messageID: String
    public var format: Channel.Format
    /// The webhook, redacted (`https://hooks.slack.com/***`).
    public var target: String
    public var attempts: [DeliveryAttempt]
    public var outcome: DeliveryOutcome

    /// The outcome, then each attempt on its own line.
    public var description: String {
        ([("\(format.rawValue) webhook \(target): \(outcome)")] + attempts.map { "  " + $0.description }).joined(separator: "\n")
    }

    static func quoted(_ text: String) -> String {
        JSONValue.quoted(text.count > 200 ? String(text.prefix(200)) + "…" : text)
    }
}

/// Posts notifications to webhooks: one message, several attempts, one report.
///
/// The rules (see `docs/notifications.md`):
/// - `POST`, `Content-Type: application/json`, `User-Agent: filet/<version>`, the endpoint's
///   headers, then `webhook-id`, `webhook-timestamp` (fresh per attempt) and, with secrets,
///   `webhook-signature` (Standard Webhooks); the body is the same bytes on every attempt.
/// - Each attempt has the endpoint's timeout (shortened to the deadline), enforced by filet's
///   own timer; redirects are not followed.
/// - 2xx succeeds (202 is `accepted`); 410 is `gone`; connection errors, timeouts, 408, 425,
///   429 and 5xx are retried, up to `endpoint.retries` more attempts, with exponential
///   backoff ±20% (``backoff`` doubling up to ``backoffCap``) or, on 429/503, the
///   `Retry-After` (seconds or HTTP-date) capped at ``retryAfterCap``; nothing is retried
///   past the deadline. Other 4xx and 3xx fail at once.
/// - Cancellation of the task stops the attempt in flight and the waits.
/// - Never throws for the network; never writes the URL in any text.
public struct WebhookDelivery: Sendable {
    public static let excerptLength = 512

    /// The first backoff (before the second attempt).
    public var backoff: Duration
    public var backoffCap: Duration
    /// The longest `Retry-After` honoured; a longer one is cut to this (and the report says so).
    public var retryAfterCap: Duration
    /// Spaces requests per URL; nil sends at once.
    public var pacer: DeliveryPacer?
    /// Draws the jitter, in 0..<1.
    public var random: @Sendable () -> Double
    /// The wall clock, for `webhook-timestamp` and HTTP-date `Retry-After`.
    public var now: @Sendable () -> Date

    public init(
        backoff: Duration = .milliseconds(500), backoffCap: Duration = .seconds(30), retryAfterCap: Duration = .seconds(60),
        pacer: DeliveryPacer? = nil, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.backoff = backoff
        self.backoffCap = backoffCap
        self.retryAfterCap = retryAfterCap
        self.pacer = pacer
        self.random = random
        self.now = now
    }

    /// The URL, its scheme (lowercased) and host when `text` is what a delivery accepts: an absolute http:// or
    /// https:// URL with a host; nil otherwise.
    static func target(_ text: String) -> (URL, scheme: String, host: String)? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return (url, scheme, host)
    }

    /// Why a webhook URL cannot be delivered to, in words that never repeat it (it is a secret); nil when a
    /// delivery accepts it (``deliver(_:to:deadline:)`` fails at once otherwise).
    public static func problem(withURL text: String) -> Message? {
        guard target(text) == nil else { return nil }
        if text.isEmpty { return Message(en: "it is empty", fr: "elle est vide") }
        guard let schemeEnd = text.firstRange(of: "://") else {
            return Message(en: "it is not an absolute URL (no scheme://)", fr: "ce n’est pas une URL absolue (pas de schéma://)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        if scheme != "http" && scheme != "https" {
            guard scheme.count <= 10, !scheme.isEmpty, scheme.allSatisfy(\.isLetter) else {
                return Message(en: "it has no valid scheme (http or https)", fr: "elle n’a pas de schéma valide (http ou https)")
            }
            return Message(en: "its scheme is '\(scheme)', not http or https", fr: "son schéma est « \(scheme) », ni http ni https")
        }
        return URL(string: text) == nil
            ? Message(en: "it does not parse as a URL", fr: "elle ne se lit pas comme une URL")
            : Message(en: "it has no host", fr: "elle n’a pas d’hôte")
    }

    /// Delivers `message` to `endpoint`, retrying within `endpoint.retries` and before `deadline`.
    public func deliver(_ message: NotificationMessage, to endpoint: WebhookEndpoint, deadline: ContinuousClock.Instant?) async
        -> DeliveryReport
    {
        let target = Masker.redactedURL(endpoint.url)
        var report = DeliveryReport(
            messageID: message.id, format: endpoint.format, target: target, attempts: [],
            outcome: .failed(reason: "not attempted", retryable: true))
        guard let (url, scheme, host) = Self.target(endpoint.url) else {
            report.outcome = .failed(reason: "the webhook URL is not an absolute http:// or https:// URL", retryable: false)
            return report
        }
        let signer: WebhookSigner
        do {
            signer = try WebhookSigner(secrets: endpoint.signingSecrets)
        } catch {
            report.outcome = .failed(reason: error.description, retryable: false)
            return report
        }
        if let broken = endpoint.headers.first(where: { $0.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }) {
            report.outcome = .failed(
                reason: "the value of header '\(broken.name)' holds a line break or a NUL byte, which HTTP does not allow",
                retryable: false)
            return report
        }
        let body = NotificationPayload.body(for: message, format: endpoint.format)
        let address = HTTPEndpoint(host: host, port: url.port ?? (scheme == "https" ? 443 : 80))
        let policy = RetryPolicy(retries: max(endpoint.retries, 0), backoff: backoff, cap: backoffCap)
        let scrub = Scrubber(url: endpoint.url, target: target)
        let clock = ContinuousClock()

        for number in 1...policy.maximumAttempts {
            if Task.isCancelled { return report.ending(.failed(reason: "cancelled before attempt \(number)", retryable: true)) }
            if let pacer { await pacer.waitForTurn(url: endpoint.url, format: endpoint.format) }
            if Task.isCancelled { return report.ending(.failed(reason: "cancelled before attempt \(number)", retryable: true)) }
            var timeout = endpoint.timeout
            if let deadline {
                let left = deadline - clock.now
                guard left > .zero else {
                    return report.ending(.failed(reason: "the deadline passed before attempt \(number)", retryable: true))
                }
                timeout = min(timeout, left)
            }
            let timestamp = Int64(now().timeIntervalSince1970.rounded(.down))
            var headers: [(name: String, value: String)] = [
                ("Content-Type", "application/json"), ("User-Agent", "filet/\(FiletVersion.current)"),
            ]
            headers += endpoint.headers.filter { !Self.reservedHeaders.contains($0.name.lowercased()) }
            headers += signer.headers(id: message.id, timestamp: timestamp, body: body)
            let answer = await Self.post(body: Data(body), to: url, headers: headers, timeout: timeout, endpoint: address)

            var attempt = DeliveryAttempt(number: number, timestamp: timestamp, status: answer.status, latency: answer.latency)
            attempt.error = answer.failure.map { scrub($0.message) }
            attempt.errorCode = answer.failure?.code
            let verdict: Verdict
            if let failure = answer.failure {
                verdict = Self.judge(failure)
            } else if let status = answer.status {
                if (300...399).contains(status) {
                    attempt.location = answer.location.map { scrub(Self.redactedLocation($0, base: url)) }
                }
                if status == 429 || status == 503 { attempt.retryAfter = answer.retryAfter }
                if !(200...299).contains(status) { attempt.excerpt = scrub(answer.excerpt) }
                verdict = Self.judge(status: status, attempt: attempt)
            } else {
                verdict = .retry("no HTTP answer from \(address)")
            }

            switch verdict {
            case .done(let outcome):
                report.attempts.append(attempt)
                return report.ending(outcome)
            case .retry(let reason):
                guard number < policy.maximumAttempts else {
                    report.attempts.append(attempt)
                    let tries = number == 1 ? "1 attempt" : "\(number) attempts"
                    return report.ending(.failed(reason: "\(reason) (\(tries), no retries left)", retryable: true))
                }
                var wait = policy.delay(beforeAttempt: number + 1, random: random())
                var waitReason = "backoff"
                if let text = attempt.retryAfter, let asked = Self.retryAfter(text, now: now()) {
                    if asked > retryAfterCap {
                        wait = retryAfterCap
                        waitReason = "Retry-After \(ProbeTime.measured(asked)), capped at \(ProbeTime.setting(retryAfterCap))"
                    } else {
                        wait = asked
                        waitReason = "Retry-After \(ProbeTime.measured(asked))"
                    }
                }
                if let deadline, clock.now + wait >= deadline {
                    report.attempts.append(attempt)
                    return report.ending(
                        .failed(
                            reason:
                                "\(reason); the next attempt (in \(ProbeTime.measured(wait)), \(waitReason)) would start after the deadline",
                            retryable: true))
                }
                attempt.retryReason = reason
                attempt.wait = wait
                attempt.waitReason = waitReason
                report.attempts.append(attempt)
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    return report.ending(.failed(reason: "cancelled while waiting to retry (\(reason))", retryable: true))
                }
            }
        }
        return report  // not reached: the last attempt always ends the loop
    }

    // MARK: Judging an answer

    enum Verdict {
        case done(DeliveryOutcome)
        case retry(String)
    }

    /// Request headers an endpoint may not set: filet owns them.
    static let reservedHeaders: Set<String> = ["content-length", "host", "webhook-id", "webhook-timestamp", "webhook-signature"]

    static func judge(_ failure: ProbeFailure) -> Verdict {
        switch failure.code {
        case .cancelled: .done(.failed(reason: "cancelled during the attempt", retryable: true))
        case .tls, .invalidRequest: .done(.failed(reason: failure.message, retryable: false))
        default: .retry(failure.message)
        }
    }

    static func judge(status: Int, attempt: DeliveryAttempt) -> Verdict {
        let excerpt = attempt.excerpt.flatMap { $0.isEmpty ? nil : ", body: \(DeliveryReport.quoted($0))" } ?? ""
        switch status {
        case 202: return .done(.accepted)
        case 200...299: return .done(.delivered(status: status))
        case 300...399:
            let location = attempt.location.map { " to \($0)" } ?? " without a Location"
            return .done(
                .failed(reason: "status \(status): a redirect\(location), not followed; update the channel's webhook URL", retryable: false)
            )
        case 410: return .done(.gone)
        case 408, 425, 429, 500...599: return .retry("status \(status)\(excerpt)")
        default: return .done(.failed(reason: "status \(status)\(excerpt)", retryable: false))
        }
    }

    /// A `Retry-After` value (delta-seconds or HTTP-date, RFC 9110 10.2.3) as a wait; nil when unreadable.
    static func retryAfter(_ text: String, now: Date) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .seconds(Int64(trimmed.prefix(9)) ?? 0)
        }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds > 0 ? .milliseconds(Int64((seconds * 1000).rounded(.up))) : .zero
    }

    /// A `Location`, resolved against the webhook URL, shown as scheme and host only.
    static func redactedLocation(_ location: String, base: URL) -> String {
        let absolute = URL(string: location, relativeTo: base)?.absoluteString ?? location
        return Masker.redactedURL(absolute)
    }

    // MARK: One request

    struct Answer: Sendable {
        var status: Int?
        var location: String?
        var retryAfter: String?
        var excerpt = ""
        var latency: Duration = .zero
        var failure: ProbeFailure?
    }

    /// One POST, raced against its timeout and the task's cancellation (as ``HTTPProbe`` does).
    static func post(body: Data, to url: URL, headers: [(name: String, value: String)], timeout: Duration, endpoint: HTTPEndpoint) async
        -> Answer
    {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = HTTPProbe.backstopSeconds(timeout)
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        request.httpShouldHandleCookies = false
        for header in headers { request.setValue(header.value, forHTTPHeaderField: header.name) }

        let exchange = HTTPExchange(bodyLimit: 4 * excerptLength)
        let clock = ContinuousClock()
        let start = clock.now
        let task = SharedHTTPSession.shared.start(request, exchange: exchange)
        let outcome = await exchange.end(within: timeout)
        if let task { SharedHTTPSession.shared.finish(task) }

        var answer = Answer()
        let received = exchange.snapshot()
        if let response = received.response {
            answer.status = response.statusCode
            answer.location = response.value(forHTTPHeaderField: "Location")
            answer.retryAfter = response.value(forHTTPHeaderField: "Retry-After")
        }
        answer.excerpt = HTTPObservation.excerpt(of: received.body, length: excerptLength)
        switch outcome {
        case .completed(let end):
            answer.latency = end - start
        case .failed(let error, let end):
            answer.latency = end - start
            answer.failure = HTTPProbe.failure(for: error, endpoint: endpoint, timeout: timeout)
        case .timedOut(let end):
            answer.latency = end - start
            answer.failure = .timedOut(
                after: timeout, received.response == nil ? "waiting for \(endpoint)" : "reading the answer of \(endpoint)")
        case .cancelled(let end):
            answer.latency = end - start
            answer.failure = .cancelled
        }
        // A status without a complete body is still an answer, unless the time ran out or the task was cancelled.
        if answer.status != nil, let code = answer.failure?.code, code != .timedOut, code != .cancelled { answer.failure = nil }
        if answer.failure != nil { answer.status = nil }
        return answer
    }
}

extension DeliveryReport {
    fileprivate func ending(_ outcome: DeliveryOutcome) -> DeliveryReport {
        var report = self
        report.outcome = outcome
        return report
    }
}

/// Replaces the webhook URL (and its path and query, which carry the secret) in texts that
/// come from elsewhere: a body excerpt, a `Location`, libcurl's messages.
private struct Scrubber: Sendable {
    let url: String
    let target: String
    /// The path and query of the URL (from its first `/`, `?` or `#` after the host).
    let tail: String?

    init(url: String, target: String) {
        self.url = url
        self.target = target
        var tail: String?
        if let schemeEnd = url.firstRange(of: "://") {
            let rest = url[schemeEnd.upperBound...]
            if let start = rest.firstIndex(where: { "/?#".contains($0) }), rest.distance(from: start, to: rest.endIndex) > 1 {
                tail = String(rest[start...])
            }
        }
        self.tail = tail
    }

    func callAsFunction(_ text: String) -> String {
        var text = text.replacing(url, with: target)
        if let tail { text = text.replacing(tail, with: "/" + Masker.mask) }
        return text
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete HTTP-date forms.
enum HTTPDate {
    private static let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]

    static func parse(_ text: String) -> Date? {
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// `date` as an IMF-fixdate.
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
