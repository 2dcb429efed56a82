import FiletSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `check.tcp` action: opens a TCP connection to `host:port` within a timeout, then closes it.
///
/// The host is a DNS name, an IPv4 address or an IPv6 address (with or without brackets:
/// the caller has already split `[::1]:443` into host and port). Every address the
/// resolver returns is tried in its order until one connects. The timeout covers the
/// whole probe, resolution included; each address but the last gets an equal share of
/// the time left, so a first address that swallows packets cannot starve the others, and
/// one that refuses at once hands its share on.
///
/// Sockets are non-blocking and close-on-exec; the connects wait in `poll(2)` on a thread
/// of their own (never on Swift's cooperative pool), together with a socket pair through which
/// cancellation wakes them at once.
public struct TCPProbe: Sendable {
    public var host: String
    public var port: UInt16
    public var timeout: Duration

    public init(host: String, port: UInt16, timeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// One connection attempt to one address.
    public struct Attempt: Sendable, Hashable {
        /// The address tried, as text (`127.0.0.1`, `::1`).
        public var address: String
        public var duration: Duration
        /// Why this address did not connect; nil for the one that did.
        public var failure: ProbeFailure?
    }

    /// Connects. Never throws: a failure is part of the observation.
    public func run() async -> TCPObservation {
        let clock = ContinuousClock()
        let start = clock.now
        var observation = TCPObservation(host: host, port: port, connectedAddress: nil, latency: .zero, attempts: [], failure: nil)
        let resolved = await AddressResolver.resolve(host: host, port: port, timeout: timeout)
        let addresses: [ResolvedAddress]
        switch resolved {
        case .success(let found):
            addresses = found
        case .failure(let failure):
            observation.latency = clock.now - start
            observation.failure = failure
            return observation
        }
        let connector = TCPConnector(addresses: addresses, deadline: start + timeout)
        let attempts = await connector.run()
        observation.latency = clock.now - start
        observation.attempts = attempts
        if let connected = attempts.last, connected.failure == nil {
            observation.connectedAddress = connected.address
        } else {
            observation.failure = overallFailure(attempts, addresses: addresses)
        }
        return observation
    }

    private func overallFailure(_ attempts: [Attempt], addresses: [ResolvedAddress]) -> ProbeFailure {
        let target = "\(host) port \(port)"
        if let cancelled = attempts.first(where: { $0.failure?.code == .cancelled })?.failure { return cancelled }
        guard let last = attempts.last?.failure else {
            return ProbeFailure(.timedOut, "could not connect to \(target): timed out after \(ProbeTime.setting(timeout))")
        }
        var parts: [String]
        if attempts.count == 1 && addresses.count == 1 {
            // One address and one attempt: its time was the probe's whole timeout.
            parts = [last.code == .timedOut ? "timed out after \(ProbeTime.setting(timeout))" : last.message]
            if attempts[0].address != AddressResolver.unbracketed(host) { parts[0] = "\(attempts[0].address) " + parts[0] }
        } else {
            parts = attempts.map { "\($0.address) \($0.failure?.message ?? "connected")" }
        }
        let untried = addresses.dropFirst(attempts.count).map(\.text)
        if !untried.isEmpty { parts.append("no time left to try \(untried.joined(separator: ", "))") }
        let code: ProbeFailure.Code = untried.isEmpty ? last.code : .timedOut
        return ProbeFailure(code, "could not connect to \(target): " + parts.joined(separator: "; "))
    }
}

/// What a ``TCPProbe`` saw.
public struct TCPObservation: Sendable, Hashable {
    public var host: String
    public var port: UInt16
    /// The address that accepted the connection, as text; nil when none did.
    public var connectedAddress: String?
    /// From the start of the probe (resolution included) to the connection, or to the failure.
    public var latency: Duration
    /// Each address tried, in order; the last one is the one that connected, if any.
    public var attempts: [TCPProbe.Attempt]
    /// Why no connection was made; nil when one was.
    public var failure: ProbeFailure?

    public var passed: Bool { failure == nil }

    /// One line for the operator.
    public var summary: String {
        if let failure { return failure.message }
        let address = connectedAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? host
        let via = connectedAddress == AddressResolver.unbracketed(host) ? "" : " (\(host))"
        return "connected to \(address):\(port)\(via) in \(ProbeTime.measured(latency))"
    }
}

/// Tries addresses one after the other on a dedicated thread; cancellable through a wake-up socket pair.
final class TCPConnector: Sendable {
    private struct State {
        var cancelled = false
        /// The wake-up channel: [read end, write end], or nil once closed.
        var wake: [Int32]?
    }

    private let addresses: [ResolvedAddress]
    private let deadline: ContinuousClock.Instant
    private let state = Mutex(State())

    init(addresses: [ResolvedAddress], deadline: ContinuousClock.Instant) {
        self.addresses = addresses
        self.deadline = deadline
    }

    /// Connects on a thread of its own; cancelling the task wakes the `poll` in progress, and the attempts stop.
    func run() async -> [TCPProbe.Attempt] {
        do throws(DedicatedThread.Failure) {
            return try await DedicatedThread.run("filet-tcp-connect", onCancel: .wake({ self.cancel() })) { self.connectAll() }
        } catch {
            return [
                TCPProbe.Attempt(address: addresses.first?.text ?? "?", duration: .zero, failure: ProbeFailure(.other, error.description))
            ]
        }
    }

    /// Makes any wait in progress return at once, and the attempts stop.
    func cancel() {
        state.withLock { state in
            state.cancelled = true
            #if canImport(Glibc)
                if let wake = state.wake {
                    var byte: UInt8 = 1
                    _ = write(wake[1], &byte, 1)
                }
            #endif
        }
    }

    private var isCancelled: Bool { state.withLock { $0.cancelled } }

    #if canImport(Glibc)
        private func connectAll() -> [TCPProbe.Attempt] {
            guard let fds = makeWakeChannel() else {
                let message = "cannot create a socket pair: \(String(cString: strerror(errno)))"
                return [TCPProbe.Attempt(address: addresses.first?.text ?? "?", duration: .zero, failure: ProbeFailure(.other, message))]
            }
            let alreadyCancelled = state.withLock { state in
                state.wake = fds
                return state.cancelled
            }
            defer {
                state.withLock { state in
                    state.wake = nil
                    close(fds[0])
                    close(fds[1])
                }
            }
            var attempts: [TCPProbe.Attempt] = []
            let clock = ContinuousClock()
            if alreadyCancelled { return [TCPProbe.Attempt(address: addresses[0].text, duration: .zero, failure: .cancelled)] }
            for (index, address) in addresses.enumerated() {
                let now = clock.now
                guard now < deadline else { break }
                let remaining = deadline - now
                let left = addresses.count - index
                let share = left == 1 ? remaining : remaining / left
                let attemptStart = clock.now
                let failure = connect(to: address, within: share, wakeFD: fds[0])
                attempts.append(TCPProbe.Attempt(address: address.text, duration: clock.now - attemptStart, failure: failure))
                if failure == nil || failure?.code == .cancelled { break }
            }
            return attempts
        }

        /// One non-blocking connect, waited for with `poll(2)`; nil when it connected.
        private func connect(to address: ResolvedAddress, within limit: Duration, wakeFD: Int32) -> ProbeFailure? {
            let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            let fd = socket(address.family, socketType, 0)
            guard fd >= 0 else { return Self.failure(errno: errno) }
            defer { close(fd) }
            let status = address.sockaddr.withUnsafeBytes { raw in
                Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if status == 0 { return nil }
            guard errno == EINPROGRESS else { return Self.failure(errno: errno) }

            let clock = ContinuousClock()
            let end = clock.now + limit
            while true {
                if isCancelled { return .cancelled }
                let left = end - clock.now
                guard left > .zero else { return ProbeFailure(.timedOut, "timed out after \(ProbeTime.measured(limit))") }
                var polled = [
                    pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                    pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
                ]
                let waitMilliseconds = Int32(clamping: ProbeTime.milliseconds(left))
                let ready = poll(&polled, 2, waitMilliseconds)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return Self.failure(errno: errno)
                }
                if polled[1].revents != 0 { return .cancelled }
                if polled[0].revents != 0 { break }
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0 else { return Self.failure(errno: errno) }
            return socketError == 0 ? nil : Self.failure(errno: socketError)
        }

        /// A connect error in words.
        static func failure(errno code: Int32) -> ProbeFailure {
            switch code {
            case ECONNREFUSED: ProbeFailure(.refused, "connection refused")
            case ETIMEDOUT: ProbeFailure(.timedOut, "timed out (no answer from the host)")
            case ENETUNREACH: ProbeFailure(.unreachable, "network unreachable")
            case EHOSTUNREACH: ProbeFailure(.unreachable, "host unreachable")
            case EADDRNOTAVAIL: ProbeFailure(.unreachable, "address not available from this machine")
            case EAFNOSUPPORT: ProbeFailure(.unreachable, "address family not supported on this machine")
            default: ProbeFailure(.other, String(cString: strerror(code)))
            }
        }
    #else
        private func connectAll() -> [TCPProbe.Attempt] {
            [
                TCPProbe.Attempt(
                    address: addresses.first?.text ?? "?", duration: .zero,
                    failure: ProbeFailure(.other, "check.tcp is implemented for Linux only"))
            ]
        }
    #endif
}
