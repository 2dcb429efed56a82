import FiletRunbook
import FiletSupport
public import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    package import FoundationNetworking
#endif

/// The `check.http` action: one HTTP request, observed.
///
/// What the request does and does not do, on purpose:
/// - **One request, no redirects.** A 3xx is the answer: its status and `Location` are
///   observed and the expectation judges them (a health URL that suddenly redirects to a
///   login page is news during a crisis).
/// - **TLS is always verified** against the system's CA bundle; there is no way to turn
///   verification off.
/// - **Nothing is remembered between probes**: each probe has its own ephemeral
///   `URLSession`, with no cookie storage, no cache and no credential storage, invalidated
///   afterwards (so no connection is reused either).
/// - **Proxies**: on Linux, URLSession hands the request to libcurl, which reads the
///   standard proxy variables itself — `http_proxy` (lowercase only), `https_proxy` /
///   `HTTPS_PROXY`, `all_proxy` and `no_proxy` — exactly as the `curl` command does, so an
///   operator can reproduce a check with `curl`. filet sets no proxy of its own.
/// - **The timeout covers the whole exchange** (connection, TLS, request, complete body);
///   filet enforces it itself rather than relying on libcurl's idle timer.
/// - **The body is read up to ``bodyLimit``** (1 MiB by default); past that the transfer
///   is stopped, the first `bodyLimit` bytes are kept and ``HTTPObservation/bodyTruncated``
///   is set. This is not a failure.
/// - **Cancellation** of the Swift task cancels the URLSession task at once; the
///   observation then carries a `cancelled` failure.
public struct HTTPProbe: Sendable {
    public static let defaultBodyLimit = 1 << 20
    /// The number of body bytes in ``HTTPObservation/excerpt``.
    public static let excerptLength = 512

    /// The absolute `http://` or `https://` URL, as text.
    public var url: String
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`.
    public var method: String
    /// Request headers, in order. A `User-Agent` is added unless one is given.
    public var headers: [(name: String, value: String)]
    public var timeout: Duration
    public var bodyLimit: Int

    public init(
        url: String, method: String = "GET", headers: [(name: String, value: String)] = [],
        timeout: Duration = .seconds(30), bodyLimit: Int = HTTPProbe.defaultBodyLimit
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.timeout = timeout
        self.bodyLimit = bodyLimit
    }

    /// Sends the request and observes the answer. Never throws: a failure is part of the observation.
    public func run() async -> HTTPObservation {
        var observation = HTTPObservation(method: method, url: url)
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = target.host, !host.isEmpty
        else {
            observation.failure = ProbeFailure(.invalidRequest, "not an absolute http:// or https:// URL: '\(Masker.redactedURL(url))'")
            return observation
        }
        guard !Task.isCancelled else {
            observation.failure = .cancelled
            return observation
        }
        // A value that became several lines (a variable, an environment value) is refused, never silently cut.
        if let broken = headers.first(where: { $0.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }) {
            observation.failure = ProbeFailure(
                .invalidRequest, "the value of header '\(broken.name)' holds a line break or a NUL byte, which HTTP does not allow")
            return observation
        }
        let endpoint = HTTPEndpoint(host: host, port: target.port ?? (scheme == "https" ? 443 : 80))

        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = Self.backstopSeconds(timeout)
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        request.httpShouldHandleCookies = false
        for header in headers { request.addValue(header.value, forHTTPHeaderField: header.name) }
        if request.value(forHTTPHeaderField: "User-Agent") == nil {
            request.setValue("filet/\(FiletVersion.current)", forHTTPHeaderField: "User-Agent")
        }

        let exchange = HTTPExchange(bodyLimit: max(bodyLimit, 0))
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "filet.http-probe"
        let session = URLSession(configuration: Self.configuration(timeout: timeout), delegate: exchange, delegateQueue: queue)
        let task = session.dataTask(with: request)

        let clock = ContinuousClock()
        let start = clock.now
        task.resume()
        let outcome = await exchange.end(within: timeout)
        task.cancel()
        session.invalidateAndCancel()

        let received = exchange.snapshot()
        if let response = received.response {
            observation.status = response.statusCode
            observation.headers = Self.headerFields(of: response)
            observation.location = response.value(forHTTPHeaderField: "Location")
        }
        observation.body = received.body
        observation.bodyTruncated = received.truncated
        observation.excerpt = HTTPObservation.excerpt(of: received.body, length: Self.excerptLength)
        switch outcome {
        case .completed(let end):
            observation.latency = end - start
            if received.response == nil {
                observation.failure = ProbeFailure(.badResponse, "no HTTP response from \(endpoint)")
            }
        case .failed(let error, let end):
            observation.latency = end - start
            observation.failure = Self.failure(for: error, endpoint: endpoint, timeout: timeout)
        case .timedOut(let end):
            observation.latency = end - start
            let context =
                received.response == nil
                ? "waiting for \(endpoint)"
                : "reading the body from \(endpoint) (status \(received.response!.statusCode) received)"
            observation.failure = .timedOut(after: timeout, context)
        case .cancelled(let end):
            observation.latency = end - start
            observation.failure = .cancelled
        }
        return observation
    }

    /// An ephemeral configuration that keeps nothing: no cookies, no cache, no credentials.
    static func configuration(timeout: Duration) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.timeoutIntervalForRequest = backstopSeconds(timeout)
        configuration.timeoutIntervalForResource = backstopSeconds(timeout)
        configuration.httpMaximumConnectionsPerHost = 1
        return configuration
    }

    /// URLSession's own timeouts, a backstop behind filet's timer: in whole seconds (libcurl
    /// is given whole seconds), at least one second after the probe's timeout.
    package static func backstopSeconds(_ timeout: Duration) -> TimeInterval {
        ProbeTime.seconds(timeout).rounded(.up) + 1
    }

    static func headerFields(of response: HTTPURLResponse) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            fields[String(describing: name)] = String(describing: value)
        }
        return fields
    }

    /// A URLSession error in words, classified by its `URLError` code; libcurl's own text
    /// (carried as the error's description) refines the cases URLSession leaves as "unknown".
    package static func failure(for error: any Error, endpoint: HTTPEndpoint, timeout: Duration) -> ProbeFailure {
        let nsError = error as NSError
        let detail = nsError.localizedDescription
        guard nsError.domain == NSURLErrorDomain else {
            return ProbeFailure(.other, "request to \(endpoint) failed: \(detail)")
        }
        switch URLError.Code(rawValue: nsError.code) {
        case .cannotConnectToHost:
            return ProbeFailure(.refused, "connection refused by \(endpoint)")
        case .timedOut:
            return .timedOut(after: timeout, "waiting for \(endpoint)")
        case .cannotFindHost, .dnsLookupFailed:
            return ProbeFailure(.noAddress, "'\(endpoint.host)' does not resolve")
        case .networkConnectionLost:
            return ProbeFailure(.connectionLost, "\(endpoint) reset the connection before a complete answer")
        case .badServerResponse:
            return ProbeFailure(.connectionLost, "\(endpoint) closed the connection without answering")
        case .cannotParseResponse:
            return ProbeFailure(.badResponse, "\(endpoint) did not answer in HTTP")
        case .notConnectedToInternet:
            return ProbeFailure(.unreachable, "no network to reach \(endpoint)")
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
            .clientCertificateRequired:
            return ProbeFailure(.tls, "TLS with \(endpoint) failed: \(detail)")
        case .badURL where endpoint.host.contains(":"):
            // swift-corelibs-foundation before the fix of its issue 5496 rejects every IPv6 literal URL.
            return ProbeFailure(
                .invalidRequest,
                "cannot request \(endpoint): URLSession on Linux rejects URLs with an IPv6 address in this Swift version; use a host name that resolves to it"
            )
        case .badURL, .unsupportedURL:
            return ProbeFailure(.invalidRequest, "the URL cannot be requested: \(detail)")
        case .cancelled:
            return .cancelled
        default:
            return refinedFailure(detail: detail, endpoint: endpoint, timeout: timeout)
        }
    }

    /// URLSession on Linux reports TLS errors and several connect errors as `.unknown`;
    /// libcurl's message tells them apart.
    private static func refinedFailure(detail: String, endpoint: HTTPEndpoint, timeout: Duration) -> ProbeFailure {
        let lowered = detail.lowercased()
        if ["ssl", "tls", "certificate"].contains(where: { lowered.contains($0) }) {
            return ProbeFailure(.tls, "TLS with \(endpoint) failed: \(detail)")
        }
        if lowered.contains("no route to host") || lowered.contains("network is unreachable") {
            return ProbeFailure(.unreachable, "\(endpoint) is unreachable: \(detail)")
        }
        if lowered.contains("connection refused") {
            return ProbeFailure(.refused, "connection refused by \(endpoint)")
        }
        if lowered.contains("connection reset") || lowered.contains("empty reply") {
            return ProbeFailure(.connectionLost, "\(endpoint) closed the connection without answering")
        }
        if lowered.contains("timed out") || lowered.contains("timeout") {
            return .timedOut(after: timeout, "waiting for \(endpoint)")
        }
        return ProbeFailure(.other, "request to \(endpoint) failed: \(detail.isEmpty ? "unknown error" : detail)")
    }
}

/// Host and port, as shown in messages (never the path or query, which may hold secrets).
package struct HTTPEndpoint: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// What an ``HTTPProbe`` saw.
public struct HTTPObservation: Sendable {
    public var method: String
    public var url: String
    /// The status of the answer; nil when there was none.
    public var status: Int?
    /// The response's header fields, as URLSession reports them (names as sent by the server).
    public var headers: [String: String] = [:]
    /// The `Location` of the answer, for a 3xx.
    public var location: String?
    /// From sending the request to the complete answer (or to the failure, the timeout, the cut of the body).
    public var latency: Duration = .zero
    /// The body, at most the probe's `bodyLimit` bytes.
    public var body = Data()
    /// True when the body was longer than the limit and was cut.
    public var bodyTruncated = false
    /// The first ``HTTPProbe/excerptLength`` bytes of the body as UTF-8 (invalid bytes replaced
    /// by U+FFFD), cut on a character boundary: for the journal and the report.
    public var excerpt = ""
    /// Why there is no answer; nil when there is one (whatever its status).
    public var failure: ProbeFailure?

    public init(method: String, url: String) {
        self.method = method
        self.url = url
    }

    public var isRedirect: Bool { status.map { (300...399).contains($0) } ?? false }

    /// The first `length` bytes as text, without a character cut in half at the end.
    package static func excerpt(of body: Data, length: Int) -> String {
        var bytes = [UInt8](body.prefix(length))
        if body.count > length {
            // Drop a trailing, incomplete UTF-8 sequence (at most 3 bytes).
            var lead = bytes.count - 1
            while lead >= 0, lead >= bytes.count - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            if lead >= 0 {
                let first = bytes[lead]
                let needed = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
                if bytes.count - lead < needed { bytes.removeSubrange(lead...) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a `check.http` step expects of the answer.
public struct HTTPExpectation: Sendable, Hashable {
    /// Accepted statuses; empty means any 2xx.
    public var statuses: [Int]
    /// Text the body must contain (compared as UTF-8 bytes, case-sensitive).
    public var contains: String?
    /// The slowest acceptable answer.
    public var maxLatency: Duration?

    public init(statuses: [Int] = [], contains: String? = nil, maxLatency: Duration? = nil) {
        self.statuses = statuses
        self.contains = contains
        self.maxLatency = maxLatency
    }

    /// Judges an observation: every unmet expectation is named in the reason.
    public func evaluate(_ observation: HTTPObservation) -> ProbeVerdict {
        if let failure = observation.failure { return ProbeVerdict(passed: false, reason: failure.message) }
        guard let status = observation.status else { return ProbeVerdict(passed: false, reason: "no HTTP response") }
        var problems: [String] = []
        let accepted = statuses.isEmpty ? (200...299).contains(status) : statuses.contains(status)
        if !accepted {
            let redirect = observation.isRedirect ? " (redirect to \(observation.location ?? "nowhere"))" : ""
            problems.append("status \(status)\(redirect), expected \(expectedStatuses)")
        }
        if let contains, !contains.isEmpty, observation.body.range(of: Data(contains.utf8)) == nil {
            let body = observation.bodyTruncated ? "the first \(observation.body.count) bytes of the body do" : "body does"
            problems.append("\(body) not contain '\(contains)'")
        }
        if let maxLatency, observation.latency > maxLatency {
            problems.append("took \(ProbeTime.measured(observation.latency)), more than max_latency \(ProbeTime.setting(maxLatency))")
        }
        guard problems.isEmpty else { return ProbeVerdict(passed: false, reason: problems.joined(separator: "; ")) }
        return ProbeVerdict(passed: true, reason: "status \(status) in \(ProbeTime.measured(observation.latency))")
    }

    /// `2xx`, `200`, `200 or 204`, `200, 201 or 204`.
    var expectedStatuses: String {
        let texts = statuses.map(String.init)
        switch texts.count {
        case 0: return "2xx"
        case 1: return texts[0]
        default: return texts.dropLast().joined(separator: ", ") + " or " + texts.last!
        }
    }
}

/// Whether a check passed, and why, in words.
public struct ProbeVerdict: Sendable, Hashable {
    public var passed: Bool
    public var reason: String

    public init(passed: Bool, reason: String) {
        self.passed = passed
        self.reason = reason
    }
}

/// The URLSession delegate of one probe: collects the response and a capped body, refuses
/// redirects, and tells the end of the exchange.
package final class HTTPExchange: NSObject, URLSessionDataDelegate, Sendable {
    package enum Outcome: Sendable {
        case completed(ContinuousClock.Instant)
        case failed(any Error, ContinuousClock.Instant)
        case timedOut(ContinuousClock.Instant)
        case cancelled(ContinuousClock.Instant)
    }

    package struct Received {
        package var response: HTTPURLResponse?
        package var body = Data()
        package var truncated = false
    }

    private let bodyLimit: Int
    /// Decided by the delegate (completed, failed) or by the task waiting in ``end(within:)`` (cancelled).
    private let finished = FirstOutcome<Outcome>()
    private let received = Mutex(Received())

    package init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    package func snapshot() -> Received {
        received.withLock { $0 }
    }

    /// Waits for the end of the exchange, at most `timeout`; cancelling the task ends the wait at once.
    package func end(within timeout: Duration) async -> Outcome {
        let raced = await TimeLimit.race(within: timeout) {
            await self.finished.value(ifCancelled: { .cancelled(ContinuousClock.now) })
        }
        switch raced.winner {
        case .work: return raced.value
        case .deadline: return .timedOut(ContinuousClock.now)
        case .cancellation: return .cancelled(ContinuousClock.now)
        }
    }

    package func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)  // the 3xx itself is the answer
    }

    package func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        received.withLock { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    package func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let cut = received.withLock { received in
            if received.response == nil { received.response = dataTask.response as? HTTPURLResponse }
            let room = bodyLimit - received.body.count
            let cut = data.count > room
            received.body.append(data.prefix(max(room, 0)))
            if cut { received.truncated = true }
            return cut
        }
        if cut {
            finished.finish(.completed(ContinuousClock.now))
            dataTask.cancel()
        }
    }

    package func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let now = ContinuousClock.now
        received.withLock { received in
            if received.response == nil { received.response = task.response as? HTTPURLResponse }
        }
        if let error {
            finished.finish(.failed(error, now))
        } else {
            finished.finish(.completed(now))
        }
    }
}
