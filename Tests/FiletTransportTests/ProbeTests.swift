#if canImport(Glibc)
    import FiletTestSupport
    import Foundation
    import Glibc
    import Testing

    #if canImport(FoundationNetworking)
        import FoundationNetworking
    #endif
    import FiletTransport

    // All traffic in these tests goes to 127.0.0.1 or ::1. Time bounds are loose on purpose:
    // the machine is shared, so "near the timeout" means "well before it would be a hang".

    /// Starts `/usr/bin/openssl` with `arguments`, its output discarded.
    private func runOpenSSL(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `body` and returns its result with the wall time it took.
    private func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try await body()
        return (value, clock.now - start)
    }

    @Suite("HTTP probe") struct HTTPProbeTests {
        @Test func acceptedStatusPasses() async throws {
            let server = try TestHTTPServer { _ in .respond(.text("service ok")) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url("/health"), timeout: .seconds(60)).run()
            #expect(observation.failure == nil)
            #expect(observation.status == 200)
            #expect(observation.excerpt == "service ok")
            #expect(!observation.bodyTruncated)
            #expect(observation.latency > .zero)
            let verdict = HTTPExpectation(statuses: [200]).evaluate(observation)
            #expect(verdict.passed)
            #expect(verdict.reason.hasPrefix("status 200 in "))
            #expect(HTTPExpectation().evaluate(observation).passed, "any 2xx when no status is given")
        }

        @Test func unexpectedStatusFailsWithReason() async throws {
            let server = try TestHTTPServer { _ in .respond(.text("down", status: 503)) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(observation.failure == nil, "a 503 is an answer, not a failure")
            #expect(observation.status == 503)
            #expect(
                HTTPExpectation(statuses: [200]).evaluate(observation) == ProbeVerdict(passed: false, reason: "status 503, expected 200"))
            #expect(HTTPExpectation().evaluate(observation).reason == "status 503, expected 2xx")
            #expect(HTTPExpectation(statuses: [200, 201, 204]).evaluate(observation).reason == "status 503, expected 200, 201 or 204")
            #expect(HTTPExpectation(statuses: [503]).evaluate(observation).passed)
        }

        @Test func containsLooksInTheBody() async throws {
            let server = try TestHTTPServer { _ in .respond(.json(#"{"status":"healthy"}"#)) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(HTTPExpectation(contains: #""status":"healthy""#).evaluate(observation).passed)
            let missing = HTTPExpectation(contains: "ok").evaluate(observation)
            #expect(missing == ProbeVerdict(passed: false, reason: "body does not contain 'ok'"))
            let both = HTTPExpectation(statuses: [204], contains: "ok").evaluate(observation)
            #expect(both.reason == "status 200, expected 204; body does not contain 'ok'")
        }

        @Test func maxLatencyExceededWhenTheServerIsSlow() async throws {
            let server = try TestHTTPServer { _ in .delay(.milliseconds(400), .text("late")) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(observation.status == 200)
            #expect(observation.latency >= .milliseconds(400))
            let verdict = HTTPExpectation(maxLatency: .milliseconds(100)).evaluate(observation)
            #expect(!verdict.passed)
            #expect(verdict.reason.hasPrefix("took "))
            #expect(verdict.reason.hasSuffix(", more than max_latency 100ms"))
            #expect(HTTPExpectation(maxLatency: .seconds(30)).evaluate(observation).passed)
        }

        @Test func hangingServerTimesOutNearTheTimeout() async throws {
            let server = try TestHTTPServer { _ in .hang }
            defer { server.stop() }
            let (observation, elapsed) = await timed { await HTTPProbe(url: server.url("/hang"), timeout: .milliseconds(600)).run() }
            let failure = try #require(observation.failure)
            #expect(failure.code == .timedOut)
            #expect(failure.message.hasPrefix("timed out after 600ms"))
            #expect(observation.status == nil)
            #expect(elapsed >= .milliseconds(550))
            // Far above the timeout: a loaded suite holds tasks back for tens of seconds, a hang would be for ever.
            #expect(elapsed < .seconds(120), "the probe must return after its timeout, not hang with the server")
            #expect(server.requests.count == 1, "the request reached the server")
            #expect(!HTTPExpectation().evaluate(observation).passed)
            #expect(HTTPExpectation().evaluate(observation).reason == failure.message)
        }

        @Test func refusedConnectionIsAnObservation() async throws {
            let port = try Loopback.unusedPort()
            let (observation, elapsed) = await timed { await HTTPProbe(url: "http://127.0.0.1:\(port)/", timeout: .seconds(600)).run() }
            let failure = try #require(observation.failure)
            #expect(failure.code == .refused)
            #expect(failure.message == "connection refused by 127.0.0.1:\(port)")
            #expect(observation.status == nil)
            #expect(elapsed < .seconds(120), "refused at once, not after the 600 s timeout")
        }

        @Test func serverClosingWithoutAnswerIsConnectionLost() async throws {
            let server = try TestHTTPServer { _ in .close }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            let failure = try #require(observation.failure)
            #expect(failure.code == .connectionLost)
            #expect(failure.message.contains("127.0.0.1:\(server.port)"))
        }

        @Test func redirectIsObservedNotFollowed() async throws {
            let server = try TestHTTPServer { request in
                request.path == "/old" ? .respond(.redirect(to: "/new", status: 302)) : .respond(.text("followed"))
            }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url("/old"), timeout: .seconds(60)).run()
            #expect(observation.failure == nil)
            #expect(observation.status == 302)
            #expect(observation.isRedirect)
            #expect(observation.location == "/new")
            #expect(server.requests.map(\.path) == ["/old"], "the redirect must not be followed")
            #expect(HTTPExpectation().evaluate(observation).reason == "status 302 (redirect to /new), expected 2xx")
            #expect(HTTPExpectation(statuses: [301, 302]).evaluate(observation).passed)
        }

        @Test func headersAndMethodAreSent() async throws {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let probe = HTTPProbe(
                url: server.url("/api/status?full=1"), method: "POST",
                headers: [("Authorization", "Bearer secret-token"), ("X-Filet-Run", "run-42")], timeout: .seconds(60))
            let observation = await probe.run()
            #expect(observation.status == 200)
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/api/status")
            #expect(request.query == "full=1")
            #expect(request.header("authorization") == "Bearer secret-token")
            #expect(request.header("X-Filet-Run") == "run-42")
            #expect(request.header("User-Agent")?.hasPrefix("filet/") == true)
            #expect(request.header("Cookie") == nil)
        }

        @Test(arguments: ["HEAD", "DELETE", "OPTIONS"])
        func otherMethodsAreSent(method: String) async throws {
            let server = try TestHTTPServer { _ in .respond(.text("body")) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), method: method, timeout: .seconds(60)).run()
            #expect(observation.failure == nil)
            #expect(observation.status == 200)
            #expect(server.requests.map(\.method) == [method])
            if method == "HEAD" { #expect(observation.body.isEmpty) }
        }

        @Test func retryAfterIsVisibleInTheObservation() async throws {
            let server = try TestHTTPServer { _ in .respond(.retryAfter(seconds: 7, status: 429)) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(observation.status == 429)
            let retryAfter = observation.headers.first { $0.key.lowercased() == "retry-after" }?.value
            #expect(retryAfter == "7")
        }

        @Test func longBodyIsCutAtTheLimitAndTheExcerptAtACharacter() async throws {
            // 1 + 2 × 1000 bytes: the 512-byte excerpt would end in the middle of an "é".
            let text = "a" + String(repeating: "é", count: 1000)
            let server = try TestHTTPServer { _ in .respond(.text(text)) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(10), bodyLimit: 1500).run()
            #expect(observation.failure == nil)
            #expect(observation.bodyTruncated)
            #expect(observation.body.count == 1500)
            #expect(observation.excerpt == "a" + String(repeating: "é", count: 255))
            #expect(!observation.excerpt.contains("\u{FFFD}"))
            let verdict = HTTPExpectation(contains: "b").evaluate(observation)
            #expect(verdict.reason == "the first 1500 bytes of the body do not contain 'b'")

            let whole = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(!whole.bodyTruncated)
            #expect(whole.body.count == 2001)
        }

        @Test func invalidUTF8InTheExcerptIsReplaced() async throws {
            let server = try TestHTTPServer { _ in .respond(TestHTTPServer.Response(body: Data([0x6F, 0x6B, 0xFF, 0x21]))) }
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url(), timeout: .seconds(60)).run()
            #expect(observation.excerpt == "ok\u{FFFD}!")
        }

        @Test func cancellationStopsTheRequest() async throws {
            let server = try TestHTTPServer { _ in .hang }
            defer { server.stop() }
            let url = server.url("/hang")
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { await HTTPProbe(url: url, timeout: .seconds(300)).run() }
            _ = await server.waitForRequests(1, timeout: .seconds(60))
            task.cancel()
            let observation = await task.value
            #expect(observation.failure?.code == .cancelled)
            #expect(clock.now - start < .seconds(120), "cancellation must not wait for the 300 s timeout")
        }

        /// TLS verification is always on: a self-signed certificate (served by `openssl s_server`
        /// on loopback, for a few hundred milliseconds) is refused, not trusted.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs /usr/bin/openssl"))
        func selfSignedCertificateIsRefused() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filet-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let certificate = directory.appendingPathComponent("cert.pem").path
            let key = directory.appendingPathComponent("key.pem").path
            let generate = try runOpenSSL([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ])
            generate.waitUntilExit()
            try #require(generate.terminationStatus == 0)

            let port = try Loopback.unusedPort()
            let server = try runOpenSSL(["s_server", "-quiet", "-www", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key])
            defer {
                // SIGKILL, not terminate(): the child inherits the test process's signal mask,
                // where SIGTERM is blocked, and would outlive the test.
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
            var listening = false
            for _ in 0..<100 where !listening {
                listening = await TCPProbe(host: "127.0.0.1", port: port, timeout: .seconds(1)).run().passed
                if !listening { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(listening, "openssl s_server did not start listening")

            let observation = await HTTPProbe(url: "https://127.0.0.1:\(port)/", timeout: .seconds(60)).run()
            let failure = try #require(observation.failure)
            #expect(failure.code == .tls)
            #expect(failure.message.contains("certificate"), "\(failure.message)")
            #expect(observation.status == nil)
        }

        @Test func notAnHTTPURLIsAnInvalidRequest() async {
            let observation = await HTTPProbe(url: "ftp://127.0.0.1/file", timeout: .seconds(1)).run()
            #expect(observation.failure?.code == .invalidRequest)
            #expect(observation.failure?.message == "not an absolute http:// or https:// URL: 'ftp://127.0.0.1/***'")
        }

        /// URLSession on Linux (Swift 6.3) rejects IPv6 literal URLs before connecting
        /// (swift-corelibs-foundation issue 5496): the probe says so in words. With a toolchain
        /// that has the fix, the request goes through.
        @Test(.enabled(if: Loopback.isIPv6Available, "no IPv6 on the loopback interface here"))
        func ipv6LiteralURLIsRequestedOrExplained() async throws {
            let server = try TestHTTPServer([.ipv4, .ipv6])
            defer { server.stop() }
            let observation = await HTTPProbe(url: server.url("/", family: .ipv6), timeout: .seconds(60)).run()
            if let failure = observation.failure {
                #expect(failure.code == .invalidRequest)
                #expect(
                    failure.message.hasPrefix("cannot request [::1]:\(server.port): URLSession on Linux rejects URLs with an IPv6 address"))
                #expect(server.requests.isEmpty)
            } else {
                #expect(observation.status == 200)
                #expect(server.requests.first?.family == .ipv6)
            }
        }
    }

    @Suite("TCP probe") struct TCPProbeTests {
        @Test func connectsToAListeningSocket() async throws {
            let listener = try Loopback.Listener(.ipv4)
            let observation = await TCPProbe(host: "127.0.0.1", port: listener.port, timeout: .seconds(60)).run()
            #expect(observation.failure == nil)
            #expect(observation.passed)
            #expect(observation.connectedAddress == "127.0.0.1")
            #expect(observation.attempts.count == 1)
            #expect(observation.summary.hasPrefix("connected to 127.0.0.1:\(listener.port) in "))
        }

        @Test(.enabled(if: Loopback.isIPv6Available, "no IPv6 on the loopback interface here"))
        func connectsOverIPv6() async throws {
            let listener = try Loopback.Listener(.ipv6)
            for host in ["::1", "[::1]"] {
                let observation = await TCPProbe(host: host, port: listener.port, timeout: .seconds(60)).run()
                #expect(observation.failure == nil)
                #expect(observation.connectedAddress == "::1")
                #expect(observation.summary.hasPrefix("connected to [::1]:\(listener.port) in "))
            }
        }

        @Test func resolvesANameAndRecordsTheAddress() async throws {
            let listener = try Loopback.Listener(.ipv4)
            let observation = await TCPProbe(host: "localhost", port: listener.port, timeout: .seconds(60)).run()
            // localhost may resolve to ::1 first, where nothing listens: the probe goes on to 127.0.0.1.
            #expect(observation.connectedAddress == "127.0.0.1")
            #expect(observation.attempts.last?.failure == nil)
            #expect(observation.attempts.dropLast().allSatisfy { $0.failure?.code == .refused })
        }

        @Test func refusedInWords() async throws {
            let port = try Loopback.unusedPort()
            let (observation, elapsed) = await timed { await TCPProbe(host: "127.0.0.1", port: port, timeout: .seconds(60)).run() }
            #expect(observation.failure == ProbeFailure(.refused, "could not connect to 127.0.0.1 port \(port): connection refused"))
            #expect(observation.connectedAddress == nil)
            #expect(elapsed < .seconds(30))
        }

        /// A connect that hangs, made on loopback: a listener whose accept queue is full drops
        /// SYNs (see `Loopback.Listener.saturate()`, which checks it on this kernel).
        @Test func timesOutNearTheTimeoutWhenTheConnectHangs() async throws {
            let listener = try Loopback.Listener(.ipv4, backlog: 0)
            try #require(listener.saturate(), "this kernel did not let a loopback connect hang")
            let (observation, elapsed) = await timed {
                await TCPProbe(host: "127.0.0.1", port: listener.port, timeout: .milliseconds(500)).run()
            }
            let failure = try #require(observation.failure)
            #expect(failure.code == .timedOut)
            #expect(failure.message == "could not connect to 127.0.0.1 port \(listener.port): timed out after 500ms")
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .seconds(30))
        }

        /// The deterministic fallback of the timeout path: no time at all leaves no attempt.
        @Test func zeroTimeoutTimesOutWithoutAnAttempt() async throws {
            let listener = try Loopback.Listener(.ipv4)
            let observation = await TCPProbe(host: "127.0.0.1", port: listener.port, timeout: .zero).run()
            #expect(observation.failure?.code == .timedOut)
            #expect(observation.attempts.isEmpty)
        }

        @Test func cancellationWakesAHangingConnect() async throws {
            let listener = try Loopback.Listener(.ipv4, backlog: 0)
            try #require(listener.saturate(), "this kernel did not let a loopback connect hang")
            let port = listener.port
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { await TCPProbe(host: "127.0.0.1", port: port, timeout: .seconds(300)).run() }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let observation = await task.value
            #expect(observation.failure?.code == .cancelled)
            #expect(clock.now - start < .seconds(120), "cancellation must not wait for the 300 s timeout")
        }

        @Test func unknownNameHasNoAddress() async {
            let observation = await TCPProbe(host: "nonexistent.invalid", port: 443, timeout: .seconds(3)).run()
            let failure = observation.failure
            #expect(failure != nil)
            #expect(observation.attempts.isEmpty)
            #expect(failure?.message.contains("nonexistent.invalid") == true)
        }
    }

    @Suite("DNS probe") struct DNSProbeTests {
        @Test func localhostResolvesToLoopback() async {
            let observation = await DNSProbe(name: "localhost", timeout: .seconds(60)).run()
            #expect(observation.failure == nil)
            #expect(!observation.addresses.isEmpty)
            #expect(observation.addresses.allSatisfy { $0 == "127.0.0.1" || $0 == "::1" })
            #expect(Set(observation.addresses).count == observation.addresses.count, "each address once")
        }

        @Test func addressLiteralsResolveToThemselves() async {
            #expect(await DNSProbe(name: "127.0.0.1", timeout: .seconds(1)).run().addresses == ["127.0.0.1"])
            #expect(await DNSProbe(name: "::1", timeout: .seconds(1)).run().ipv6Addresses == ["::1"])
        }

        @Test func invalidNameFailsInWords() async throws {
            let (observation, elapsed) = await timed { await DNSProbe(name: "nonexistent.invalid", timeout: .seconds(3)).run() }
            let failure = try #require(observation.failure)
            #expect(observation.addresses.isEmpty)
            #expect([.noAddress, .resolutionFailed, .timedOut].contains(failure.code))
            #expect(failure.message.hasPrefix("'nonexistent.invalid' "))
            #expect(failure.message.count > "'nonexistent.invalid' ".count + 5, "the reason is in words")
            #expect(elapsed < .seconds(30))
        }

        @Test func cancelledBeforeStartingDoesNotResolve() async {
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await DNSProbe(name: "localhost", timeout: .seconds(60)).run()
            }
            #expect(await task.value.failure?.code == .cancelled)
        }
    }

    /// Sends `text` on a new connection and reads until the server closes it (at most 5 s).
    private func rawExchange(_ text: String, port: UInt16, family: Loopback.Family = .ipv4) throws -> String {
        let fd = try Loopback.boundSocket(family, port: 0)
        defer { close(fd) }
        let status = Loopback.connect(fd, family: family, port: port)
        guard status == 0 else { throw Loopback.SocketError(call: "connect", errno: status) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw Loopback.SocketError(call: "send", errno: errno)
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            received += chunk[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Suite("Test HTTP server") struct TestHTTPServerTests {
        @Test func readsChunkedBodiesAndPipelinedRequests() throws {
            let server = try TestHTTPServer { request in .respond(.text("[\(request.bodyText)]")) }
            defer { server.stop() }
            let reply = try rawExchange(
                "POST /hook HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
                port: server.port)
            #expect(reply.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 3, "two answers: \(reply)")
            #expect(reply.contains("Content-Length: 13\r\n"))
            #expect(reply.hasSuffix("Connection: close\r\n\r\n[]"))
            let requests = server.requests
            #expect(requests.map(\.path) == ["/hook", "/second"])
            #expect(requests.map(\.bodyText) == ["hello world", ""])
            #expect(requests[0].connection == requests[1].connection)
        }

        @Test func answersExpectContinueAndRejectsMalformedRequests() throws {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let reply = try rawExchange(
                "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nabc", port: server.port
            )
            #expect(reply.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
            #expect(server.requests.first?.bodyText == "abc")
            #expect(try rawExchange("NONSENSE\r\n\r\n", port: server.port).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(server.requests.count == 1, "a malformed request is not recorded")
        }

        @Test(.enabled(if: Loopback.isIPv6Available, "no IPv6 on the loopback interface here"))
        func listensOnIPv6WhenAsked() throws {
            let server = try TestHTTPServer([.ipv6, .ipv4])
            defer { server.stop() }
            #expect(server.families == [.ipv4, .ipv6])
            let reply = try rawExchange("GET /v6 HTTP/1.0\r\nHost: [::1]\r\n\r\n", port: server.port, family: .ipv6)
            #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(reply.hasSuffix("\r\n\r\nok"))
            #expect(server.requests.map(\.family) == [.ipv6])
            #expect(server.url("/a", family: .ipv6) == "http://[::1]:\(server.port)/a")
        }

        @Test func keepsConnectionsAliveAndRecordsBodies() async throws {
            let server = try TestHTTPServer { request in .respond(.text("got \(request.body.count) bytes")) }
            defer { server.stop() }
            let session = URLSession(configuration: .ephemeral)
            defer { session.invalidateAndCancel() }
            for index in 0..<2 {
                var request = URLRequest(url: URL(string: server.url("/hook/\(index)"))!)
                request.httpMethod = "POST"
                request.httpBody = Data(#"{"n":\#(index)}"#.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                let (data, response) = try await session.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                #expect(String(decoding: data, as: UTF8.self) == "got 7 bytes")
            }
            let requests = server.requests
            #expect(requests.map(\.index) == [0, 1])
            #expect(requests.map(\.bodyText) == [#"{"n":0}"#, #"{"n":1}"#])
            #expect(requests[0].connection == requests[1].connection, "one kept-alive connection")
            #expect(requests[0].receivedAt <= requests[1].receivedAt)
        }

        @Test func scriptsASequenceByRequestIndex() async throws {
            let server = try TestHTTPServer { request in
                request.index < 2 ? .respond(.retryAfter(seconds: 1, status: 503)) : .respond(.status(204))
            }
            defer { server.stop() }
            var statuses: [Int?] = []
            for _ in 0..<3 { statuses.append(await HTTPProbe(url: server.url(), timeout: .seconds(60)).run().status) }
            #expect(statuses == [503, 503, 204])
            #expect(await server.waitForRequests(3).count == 3)
        }

        @Test func stopEndsHangingConnectionsAndRefusesNewOnes() async throws {
            let server = try TestHTTPServer { _ in .hang }
            let url = server.url()
            let task = Task { await HTTPProbe(url: url, timeout: .seconds(300)).run() }
            _ = await server.waitForRequests(1, timeout: .seconds(60))
            let (_, stopping) = await timed { server.stop() }
            #expect(stopping < .seconds(5))
            let observation = await task.value
            #expect(observation.failure?.code == .connectionLost)
            let after = await HTTPProbe(url: url, timeout: .seconds(60)).run()
            #expect(after.failure?.code == .refused)
        }
    }
#endif
