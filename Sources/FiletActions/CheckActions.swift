import FiletSupport
import FiletTransport

/// `check.http`: one request, within the step's timeout; the step's expectations decide whether it passed.
package enum HTTPCheckAction {
    package static func perform(_ check: PreparedHTTPCheck) async -> ActionResult {
        var probe = HTTPProbe(url: check.url, method: check.method, headers: check.headers)
        if let timeout = check.timeout { probe.timeout = timeout }
        let observation = await probe.run()
        if observation.failure?.code == .cancelled { return ActionResult(.cancelled, reason: "cancelled") }
        let verdict = HTTPExpectation(statuses: check.statuses, contains: check.contains, maxLatency: check.maxLatency).evaluate(
            observation)
        var observations: [(String, JSONValue)] = [
            ("method", .string(observation.method)),
            ("status", observation.status.map { .integer($0) } ?? .null),
            ("latency_ms", .integer(Int(observation.latency.milliseconds))),
            ("body_excerpt", .string(observation.excerpt)),
        ]
        if let location = observation.location { observations.append(("location", .string(location))) }
        if let failure = observation.failure { observations.append(("error", .string(failure.message))) }
        return ActionResult(
            verdict.passed ? .succeeded : .failed, reason: verdict.passed ? nil : verdict.reason,
            observations: observations, output: observation.status.map(String.init) ?? "")
    }
}

/// `check.tcp`: a connection to host:port.
package enum TCPCheckAction {
    package static func perform(host: String, port: Int, timeout: Duration? = nil) async -> ActionResult {
        guard let port = UInt16(exactly: port), port > 0 else { return .failed("'\(host):\(port)' has no valid port") }
        var probe = TCPProbe(host: host, port: port)
        if let timeout { probe.timeout = timeout }
        let observation = await probe.run()
        if observation.failure?.code == .cancelled { return ActionResult(.cancelled, reason: "cancelled") }
        let observations: [(String, JSONValue)] = [
            ("address", .optional(observation.connectedAddress)),
            ("latency_ms", .integer(Int(observation.latency.milliseconds))),
            ("tried", .array(observation.attempts.map { .string($0.address) })),
        ]
        guard observation.passed else { return .failed(observation.summary, observations: observations) }
        return ActionResult(.succeeded, observations: observations, output: observation.connectedAddress ?? "")
    }
}

/// `check.dns`: the name resolves.
package enum DNSCheckAction {
    package static func perform(name: String, timeout: Duration? = nil) async -> ActionResult {
        var probe = DNSProbe(name: name)
        if let timeout { probe.timeout = timeout }
        let observation = await probe.run()
        if observation.failure?.code == .cancelled { return ActionResult(.cancelled, reason: "cancelled") }
        let observations: [(String, JSONValue)] = [
            ("addresses", .array(observation.addresses.map { .string($0) })),
            ("latency_ms", .integer(Int(observation.latency.milliseconds))),
        ]
        guard observation.passed else { return .failed(observation.summary, observations: observations) }
        return ActionResult(.succeeded, observations: observations, output: observation.addresses.first ?? "")
    }
}
