#if canImport(Glibc)
    import FiletTestSupport
    import Foundation
    import Testing
    import FiletNotify
    import FiletRunbook

    private let whsecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  // the Standard Webhooks test vector's secret
    private let rawSecret = "une phrase secrète partagée"

    /// Delivers to a server answering `reply(index)` and returns the requests it received.
    private func deliver(
        secrets: [String], retries: Int = 0, delivery: WebhookDelivery = quickDelivery(),
        reply: @escaping @Sendable (Int) -> TestHTTPServer.Reply = { _ in .respond(.status(204)) }
    ) async throws -> (DeliveryReport, [TestHTTPServer.Request]) {
        let server = try TestHTTPServer { reply($0.index) }
        defer { server.stop() }
        let endpoint = WebhookEndpoint(
            url: server.url("/hook"), format: .generic, signingSecrets: secrets, timeout: .seconds(30), retries: retries)
        let report = await delivery.deliver(sampleMessage(), to: endpoint, deadline: nil)
        return (report, server.requests)
    }

    @Suite("Delivery signing") struct DeliverySigningTests {
        /// The test vector of the Standard Webhooks reference libraries.
        @Test func matchesTheReferenceVector() throws {
            let signer = try WebhookSigner(secrets: [whsecSecret])
            let body = #"{"test": 2432232314}"#
            #expect(
                signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(body.utf8))
                    == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        }

        @Test func headersWithoutSecretsCarryNoSignature() throws {
            let headers = try WebhookSigner(secrets: []).headers(id: "msg_a", timestamp: 7, body: Data())
            #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp"])
            #expect(headers.map(\.value) == ["msg_a", "7"])
        }

        @Test func badSecretsAreNamedByPositionNotValue() async throws {
            #expect(throws: WebhookSigner.InvalidSecret.self) { try WebhookSigner(secrets: ["ok", "whsec_!!!not base64!!!"]) }
            do {
                _ = try WebhookSigner(secrets: ["ok", "whsec_!!!not base64!!!"])
            } catch {
                #expect(error.position == 2)
                #expect(!error.description.contains("!!!"))
            }
            let (report, requests) = try await deliver(secrets: [""])
            #expect(requests.isEmpty, "nothing is sent with an unusable secret")
            #expect(report.outcome == .failed(reason: "signing secret #1 is empty", retryable: false))
        }

        @Test(arguments: [[whsecSecret], [rawSecret], [whsecSecret, rawSecret]])
        func pythonVerifierAcceptsTheSignatures(secrets: [String]) async throws {
            guard PythonVerifier.isAvailable else { return }  // no python3 here: nothing to compare with
            let (report, requests) = try await deliver(secrets: secrets)
            #expect(report.outcome == .delivered(status: 204))
            let request = try #require(requests.first)
            #expect(request.header("webhook-id") == sampleMessage().id)
            #expect(request.header("webhook-signature")?.split(separator: " ").count == secrets.count)
            #expect(try PythonVerifier.verify(requests, secrets: secrets) == [Array(repeating: true, count: secrets.count)])
            // And the verifier does reject: another secret, or a changed body.
            #expect(try PythonVerifier.verify(requests, secrets: ["whsec_" + Data("another key".utf8).base64EncodedString()]) == [[false]])
            var tampered = request
            tampered.body = Data(request.body.dropLast()) + Data(" }".utf8)
            #expect(try PythonVerifier.verify([tampered], secrets: [secrets[0]]) == [[false]])
        }

        @Test func sameIDAndAFreshTimestampOnEveryAttempt() async throws {
            let clock = SteppingClock()
            let (report, requests) = try await deliver(
                secrets: [whsecSecret], retries: 3, delivery: quickDelivery(now: { clock.read() }),
                reply: { $0 < 2 ? .respond(.status(500)) : .respond(.status(200)) })
            #expect(report.outcome == .delivered(status: 200))
            #expect(requests.count == 3)
            #expect(Set(requests.map { $0.header("webhook-id") }) == [sampleMessage().id])
            let timestamps = requests.compactMap { $0.header("webhook-timestamp").flatMap { Int64($0) } }
            #expect(timestamps.count == 3)
            #expect(timestamps == timestamps.sorted() && Set(timestamps).count == 3, "fresh per attempt: \(timestamps)")
            #expect(report.attempts.map(\.timestamp) == timestamps)
            #expect(Set(requests.map(\.body)).count == 1, "the same bytes every time")
            if PythonVerifier.isAvailable {
                #expect(try PythonVerifier.verify(requests, secrets: [whsecSecret]) == [[true], [true], [true]])
            }
        }
    }
#endif
