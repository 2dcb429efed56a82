import FiletSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The `check.dns` action: resolves a name with the system resolver (`getaddrinfo`, both
/// IPv4 and IPv6, so `/etc/hosts`, `nsswitch.conf` and `resolv.conf` apply as for any
/// program on the machine), within a timeout.
///
/// `getaddrinfo` blocks and cannot be interrupted, so it runs on a dedicated thread and the
/// probe stops *waiting* at the timeout or on cancellation: the thread then finishes on its
/// own, bounded by the resolver's own timeouts (`options timeout:` and `attempts:` in
/// `resolv.conf`), and its answer is dropped.
public struct DNSProbe: Sendable {
    /// The name to resolve: a host name, or an address literal (which resolves to itself).
    public var name: String
    public var timeout: Duration

    public init(name: String, timeout: Duration = .seconds(30)) {
        self.name = name
        self.timeout = timeout
    }

    /// Resolves the name. Never throws: a failure is part of the observation.
    public func run() async -> DNSObservation {
        let clock = ContinuousClock()
        let start = clock.now
        let result = await AddressResolver.resolve(host: name, port: nil, timeout: timeout)
        let latency = clock.now - start
        switch result {
        case .success(let addresses):
            return DNSObservation(name: name, addresses: addresses.map(\.text), latency: latency, failure: nil)
        case .failure(let failure):
            return DNSObservation(name: name, addresses: [], latency: latency, failure: failure)
        }
    }
}

/// What a ``DNSProbe`` saw.
public struct DNSObservation: Sendable, Hashable {
    public var name: String
    /// The addresses as text (`192.0.2.7`, `2001:db8::7`), in the resolver's order, each once.
    public var addresses: [String]
    /// From the start of the resolution to its answer (or to the timeout).
    public var latency: Duration
    /// Why the name did not resolve; nil when it did.
    public var failure: ProbeFailure?

    public var passed: Bool { failure == nil }
    public var ipv4Addresses: [String] { addresses.filter { !$0.contains(":") } }
    public var ipv6Addresses: [String] { addresses.filter { $0.contains(":") } }

    /// One line for the operator: the addresses, or what went wrong.
    public var summary: String {
        if let failure { return failure.message }
        return "'\(name)' resolves to \(addresses.joined(separator: ", ")) in \(ProbeTime.measured(latency))"
    }
}

/// One address found by the resolver, ready to `connect(2)` to.
struct ResolvedAddress: Sendable, Hashable {
    var family: Int32
    /// The `sockaddr_in` or `sockaddr_in6` bytes.
    var sockaddr: [UInt8]
    /// The address as text, without the port.
    var text: String
}

/// `getaddrinfo` with a timeout.
enum AddressResolver {
    /// Resolves `host` on a dedicated thread, waiting at most `timeout`, and honouring cancellation.
    /// Address literals (`127.0.0.1`, `::1`, `[::1]`) come back without a lookup.
    static func resolve(host: String, port: UInt16?, timeout: Duration) async -> Result<[ResolvedAddress], ProbeFailure> {
        let host = unbracketed(host)
        guard !host.isEmpty else { return .failure(ProbeFailure(.invalidRequest, "no host name to resolve")) }
        guard !Task.isCancelled else { return .failure(.cancelled) }
        if let literal = resolveBlocking(host: host, port: port, numericOnly: true), case .success = literal {
            return literal
        }
        let raced = await TimeLimit.race(within: timeout) { () -> Result<[ResolvedAddress], ProbeFailure> in
            do throws(DedicatedThread.Failure) {
                return try await DedicatedThread.run("filet-getaddrinfo", onCancel: .abandon) {
                    resolveBlocking(host: host, port: port, numericOnly: false) ?? .failure(ProbeFailure(.other, "no answer"))
                }
            } catch .cancelled {
                return .failure(.cancelled)
            } catch {
                return .failure(ProbeFailure(.other, "cannot resolve '\(host)': \(error)"))
            }
        }
        switch raced.winner {
        case .work: return raced.value
        case .deadline: return .failure(ProbeFailure(.timedOut, "'\(host)' did not resolve within \(ProbeTime.setting(timeout))"))
        case .cancellation: return .failure(.cancelled)
        }
    }

    /// `[::1]` → `::1`; anything else unchanged.
    static func unbracketed(_ host: String) -> String {
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 { return String(host.dropFirst().dropLast()) }
        return host
    }

    #if canImport(Glibc)
        /// The blocking call. With `numericOnly`, only address literals are accepted (no lookup),
        /// and nil means "not a literal".
        static func resolveBlocking(host: String, port: UInt16?, numericOnly: Bool) -> Result<[ResolvedAddress], ProbeFailure>? {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = (numericOnly ? AI_NUMERICHOST : 0) | (port == nil ? 0 : AI_NUMERICSERV)
            var list: UnsafeMutablePointer<addrinfo>?
            let status: Int32
            if let port {
                status = getaddrinfo(host, String(port), &hints, &list)
            } else {
                status = getaddrinfo(host, nil, &hints, &list)
            }
            defer { if let list { freeaddrinfo(list) } }
            guard status == 0 else {
                if numericOnly { return nil }
                return .failure(failure(status: status, errno: errno, host: host))
            }
            var addresses: [ResolvedAddress] = []
            var cursor = list
            while let entry = cursor?.pointee {
                cursor = entry.ai_next
                guard let address = entry.ai_addr, entry.ai_family == AF_INET || entry.ai_family == AF_INET6 else { continue }
                let bytes = [UInt8](UnsafeRawBufferPointer(start: address, count: Int(entry.ai_addrlen)))
                let text = numericText(address, length: entry.ai_addrlen)
                guard !addresses.contains(where: { $0.text == text }) else { continue }
                addresses.append(ResolvedAddress(family: entry.ai_family, sockaddr: bytes, text: text))
            }
            guard !addresses.isEmpty else {
                return .failure(ProbeFailure(.noAddress, "'\(host)' has no IPv4 or IPv6 address"))
            }
            return .success(addresses)
        }

        /// The address part of a socket address, as text (`getnameinfo` with `NI_NUMERICHOST`,
        /// so an IPv6 link-local address keeps its `%interface`).
        static func numericText(_ address: UnsafePointer<sockaddr>, length: socklen_t) -> String {
            var buffer = [CChar](repeating: 0, count: 1025)
            let status = getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
            guard status == 0 else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        /// A `getaddrinfo` error code in words, with `gai_strerror`'s own text.
        static func failure(status: Int32, errno savedErrno: Int32, host: String) -> ProbeFailure {
            let reason: String
            if status == EAI_SYSTEM {
                reason = String(cString: strerror(savedErrno))
            } else {
                reason = String(cString: gai_strerror(status))
            }
            // EAI_NODATA (-5) and EAI_ADDRFAMILY (-9) are GNU extensions: compared by value.
            let code: ProbeFailure.Code =
                switch status {
                case EAI_NONAME, -5, -9: .noAddress
                default: .resolutionFailed
                }
            return ProbeFailure(code, "'\(host)' does not resolve: \(reason)")
        }
    #else
        static func resolveBlocking(host: String, port: UInt16?, numericOnly: Bool) -> Result<[ResolvedAddress], ProbeFailure>? {
            .failure(ProbeFailure(.other, "name resolution is implemented for Linux only"))
        }
    #endif
}
