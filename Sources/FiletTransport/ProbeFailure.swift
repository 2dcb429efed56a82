/// Why a probe (`check.http`, `check.tcp`, `check.dns`) got no usable answer.
///
/// A failure is an observation, not an exception: probes return it inside their
/// observation and never throw it, and the engine records it in the journal as it is.
/// The `message` is written for the operator reading the journal or the terminal
/// ("connection refused by 127.0.0.1:8080", "timed out after 2s"); the `code` is for
/// programs and tests, and new codes may be added without breaking anyone.
public struct ProbeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable kind of failure.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        /// The probe's time ran out before an answer.
        public static let timedOut: Code = "timed-out"
        /// The peer answered the connection attempt with a reset (nothing listens there).
        public static let refused: Code = "connection-refused"
        /// No route to the network or the host.
        public static let unreachable: Code = "unreachable"
        /// The name does not exist, or has no address of the families asked for.
        public static let noAddress: Code = "no-address"
        /// The resolver could not answer (server failure, temporary failure, no resolver).
        public static let resolutionFailed: Code = "resolution-failed"
        /// The TLS handshake failed, including an untrusted, expired or mismatched certificate.
        public static let tls: Code = "tls"
        /// The connection was closed or reset before a complete answer.
        public static let connectionLost: Code = "connection-lost"
        /// The answer was not valid HTTP.
        public static let badResponse: Code = "bad-response"
        /// The probe was asked for something it cannot do (a malformed URL, an unsupported scheme).
        public static let invalidRequest: Code = "invalid-request"
        /// The surrounding Swift task was cancelled (Ctrl-C, a step timeout, an aborted run).
        public static let cancelled: Code = "cancelled"
        /// Anything else; the message says what.
        public static let other: Code = "network-error"
    }

    public var code: Code
    /// What happened, in words, ready to show.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ProbeFailure {
    package static func timedOut(after timeout: Duration, _ context: String = "") -> ProbeFailure {
        ProbeFailure(.timedOut, "timed out after \(ProbeTime.setting(timeout))" + (context.isEmpty ? "" : " " + context))
    }

    package static let cancelled = ProbeFailure(.cancelled, "cancelled")
}
