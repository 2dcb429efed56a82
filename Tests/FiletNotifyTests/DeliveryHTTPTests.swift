#if canImport(Glibc)
    import FiletTestSupport
    import Foundation
    import Testing
    import FiletNotify
    import FiletTransport
    import FiletRunbook

    // All traffic goes to 127.0.0.1. Time bounds are loose: the machine is shared.

    /// Delivers the sample message to `path` on a server answering with `handler`.
    private func deliver(
        path: String = "/hook", retries: Int = 3, timeout: Duration = .seconds(30), deadline: Duration? = nil,
        delivery: WebhookDelivery = quickDelivery(), handler: @escaping TestHTTPServer.Handler
    ) async throws -> (DeliveryReport, [TestHTTPServer.Request]) {
        let server = try TestHTTPServer(handler: handler)
        defer { server.stop() }
        let endpoint = WebhookEndpoint(url: server.url(path), format: .slack, timeout: timeout, retries: retries)
        let report = await delivery.deliver(sampleMessage(), to: endpoint, deadline: deadline.map { ContinuousClock.now + $0 })
        return (report, server.requests)
    }

    @Suite("Delivery over HTTP") struct DeliveryHTTPTests {
        @Test func retriesA500ThenSucceeds() async throws {
            let (report, requests) = try await deliver { $0.index < 2 ? .respond(.text("boom", status: 500)) : .respond(.text("ok")) }
            #expect(report.outcome == .delivered(status: 200))
            #expect(requests.count == 3)
            #expect(report.attempts.map(\.status) == [500, 500, 200])
            #expect(report.attempts.map(\.retried) == [true, true, false])
            #expect(report.attempts[0].retryReason == #"status 500, body: "boom""#)
            #expect(report.attempts[0].waitReason == "backoff")
            #expect(report.attempts[0].excerpt == "boom")
            // Exponential: 20 ms then 40 ms (jitter fixed at the middle).
            #expect(report.attempts[0].wait == .milliseconds(20))
            #expect(report.attempts[1].wait == .milliseconds(40))
            #expect(report.attempts[2].wait == nil)
        }

        @Test func retriesAreBoundedByTheEndpoint() async throws {
            let (report, requests) = try await deliver(retries: 2) { _ in .respond(.status(502)) }
            #expect(requests.count == 3)
            #expect(report.outcome == .failed(reason: "status 502 (3 attempts, no retries left)", retryable: true))
            let (once, single) = try await deliver(retries: 0) { _ in .respond(.status(429)) }
            #expect(single.count == 1)
            #expect(once.outcome == .failed(reason: "status 429 (1 attempt, no retries left)", retryable: true))
        }

        @Test func honoursRetryAfterSeconds() async throws {
            let (report, requests) = try await deliver {
                $0.index == 0 ? .respond(.retryAfter(seconds: 1, status: 503)) : .respond(.status(200))
            }
            #expect(report.outcome == .delivered(status: 200))
            #expect(requests.count == 2)
            #expect(requests[1].receivedAt - requests[0].receivedAt >= .seconds(1))
            #expect(report.attempts[0].retryAfter == "1")
            #expect(report.attempts[0].wait == .seconds(1))
            #expect(report.attempts[0].waitReason == "Retry-After 1.0s")
        }

        @Test func honoursRetryAfterAsHTTPDate() async throws {
            let start = Date(timeIntervalSince1970: 1_750_000_000)
            let date = "Sun, 15 Jun 2025 15:06:41 GMT"  // start + 1 s
            let (report, requests) = try await deliver(delivery: quickDelivery(now: { start })) {
                $0.index == 0 ? .respond(TestHTTPServer.Response(status: 429, headers: [("Retry-After", date)])) : .respond(.status(200))
            }
            #expect(report.outcome == .delivered(status: 200))
            #expect(requests.count == 2)
            #expect(report.attempts[0].wait == .seconds(1))
            #expect(requests[1].receivedAt - requests[0].receivedAt >= .seconds(1))
        }

        @Test func capsALongRetryAfterAndSaysSo() async throws {
            let delivery = WebhookDelivery(backoff: .milliseconds(20), retryAfterCap: .milliseconds(300), random: { 0.5 })
            let (report, requests) = try await deliver(delivery: delivery) {
                $0.index == 0 ? .respond(.retryAfter(seconds: 120, status: 429)) : .respond(.status(200))
            }
            #expect(requests.count == 2)
            #expect(report.attempts[0].wait == .milliseconds(300))
            #expect(report.attempts[0].waitReason == "Retry-After 120.0s, capped at 300ms")
        }

        @Test func stopsWhenTheNextAttemptWouldPassTheDeadline() async throws {
            let clock = ContinuousClock()
            let start = clock.now
            let (report, requests) = try await deliver(deadline: .milliseconds(500)) { _ in .respond(.retryAfter(seconds: 3, status: 503)) }
            #expect(clock.now - start < .seconds(60), "does not sleep past the deadline (loose: the machine is shared)")
            #expect(requests.count == 1)
            #expect(report.attempts.count == 1 && report.attempts[0].wait == nil, "no wait was started")
            guard case .failed(let reason, let retryable) = report.outcome else {
                Issue.record("\(report.outcome)")
                return
            }
            #expect(retryable)
            #expect(reason.contains("would start after the deadline"))
        }

        @Test func doesNotRetryA400() async throws {
            let (report, requests) = try await deliver { _ in
                .respond(.text(String(repeating: "invalid_payload ", count: 100), status: 400))
            }
            #expect(requests.count == 1)
            #expect(report.attempts.count == 1)
            #expect(report.attempts[0].status == 400)
            let excerpt = try #require(report.attempts[0].excerpt)
            #expect(excerpt.utf8.count == 512)
            #expect(excerpt.hasPrefix("invalid_payload invalid_payload"))
            guard case .failed(let reason, let retryable) = report.outcome else {
                Issue.record("\(report.outcome)")
                return
            }
            #expect(!retryable)
            #expect(reason.hasPrefix(#"status 400, body: "invalid_payload"#))
        }

        @Test func goneAcceptedAndDelivered() async throws {
            let (gone, goneRequests) = try await deliver { _ in .respond(.status(410)) }
            #expect(gone.outcome == .gone)
            #expect(goneRequests.count == 1)
            let (accepted, _) = try await deliver { _ in .respond(.status(202)) }
            #expect(accepted.outcome == .accepted)
            let (noContent, _) = try await deliver { _ in .respond(.status(204)) }
            #expect(noContent.outcome == .delivered(status: 204))
        }

        @Test func doesNotFollowRedirects() async throws {
            let (report, requests) = try await deliver { request in
                request.path == "/hook" ? .respond(.redirect(to: "/elsewhere/token", status: 301)) : .respond(.status(200))
            }
            #expect(requests.map(\.path) == ["/hook"], "the Location is never requested")
            #expect(report.attempts[0].status == 301)
            let location = try #require(report.attempts[0].location)
            #expect(location.hasPrefix("http://127.0.0.1:") && location.hasSuffix("/***"), "\(location)")
            guard case .failed(let reason, let retryable) = report.outcome else {
                Issue.record("\(report.outcome)")
                return
            }
            #expect(!retryable)
            #expect(reason.contains("redirect to \(location), not followed"))
        }

        @Test func retriesAHangThenFails() async throws {
            let clock = ContinuousClock()
            let start = clock.now
            let (report, requests) = try await deliver(retries: 1, timeout: .milliseconds(300)) { _ in .hang }
            #expect(clock.now - start < .seconds(60))
            #expect(requests.count == 2)
            #expect(report.attempts.map(\.errorCode) == [.timedOut, .timedOut])
            #expect(report.attempts.allSatisfy { $0.latency >= .milliseconds(250) })
            guard case .failed(let reason, let retryable) = report.outcome else {
                Issue.record("\(report.outcome)")
                return
            }
            #expect(retryable)
            #expect(reason.hasPrefix("timed out after 300ms"))
        }

        @Test func retriesAClosedConnection() async throws {
            let (report, requests) = try await deliver { $0.index == 0 ? .close : .respond(.status(200)) }
            #expect(requests.count == 2)
            #expect(report.outcome == .delivered(status: 200))
            #expect(report.attempts[0].status == nil)
            #expect(report.attempts[0].errorCode == .connectionLost)
            #expect(report.attempts[0].retried)
        }

        @Test func nothingListeningIsARetryableFailure() async throws {
            let server = try TestHTTPServer()
            let url = server.url("/hook")
            server.stop()
            let endpoint = WebhookEndpoint(url: url, format: .generic, timeout: .seconds(10), retries: 1)
            let report = await quickDelivery().deliver(sampleMessage(), to: endpoint, deadline: nil)
            #expect(report.attempts.count == 2)
            #expect(report.attempts.map(\.errorCode) == [.refused, .refused])
            guard case .failed(let reason, let retryable) = report.outcome else {
                Issue.record("\(report.outcome)")
                return
            }
            #expect(retryable)
            #expect(reason.hasPrefix("connection refused by 127.0.0.1:"))
        }

        @Test func cancellationStopsAHangingAttempt() async throws {
            let server = try TestHTTPServer { _ in .hang }
            defer { server.stop() }
            let endpoint = WebhookEndpoint(url: server.url("/hook"), format: .generic, timeout: .seconds(300), retries: 3)
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { await quickDelivery().deliver(sampleMessage(), to: endpoint, deadline: nil) }
            _ = await server.waitForRequests(1)
            task.cancel()
            let report = await task.value
            #expect(clock.now - start < .seconds(120), "well before the 300 s timeout")
            #expect(report.outcome == .failed(reason: "cancelled during the attempt", retryable: true))
            #expect(server.requests.count == 1)
        }

        @Test func theURLNeverAppearsInTheReport() async throws {
            let secretPath = "/services/T0001/B0002/SECRET-TOKEN-xyz?sig=SIGNATURE-abc"
            let server = try TestHTTPServer { request in
                switch request.index {
                case 0: .respond(.text("no such hook: \(request.target)", status: 500))
                case 1: .close
                default: .respond(.redirect(to: "https://127.0.0.1\(request.target)", status: 308))
                }
            }
            defer { server.stop() }
            let url = server.url(secretPath)
            let endpoint = WebhookEndpoint(url: url, format: .slack, headers: [("X-Extra", "1")], timeout: .seconds(30), retries: 3)
            let report = await quickDelivery().deliver(sampleMessage(), to: endpoint, deadline: nil)
            #expect(report.attempts.count == 3)
            #expect(server.requests.first?.header("X-Extra") == "1")
            var texts = [report.description, report.outcome.description, report.target]
            for attempt in report.attempts {
                texts += [
                    attempt.description, attempt.result, attempt.error ?? "", attempt.excerpt ?? "", attempt.location ?? "",
                    attempt.retryReason ?? "",
                ]
            }
            for text in texts {
                #expect(!text.contains("SECRET-TOKEN"), "\(text)")
                #expect(!text.contains("SIGNATURE-abc"), "\(text)")
                #expect(!text.contains("T0001"), "\(text)")
            }
            #expect(report.target == "http://127.0.0.1:\(server.port)/***")
            #expect(report.attempts[0].excerpt == "no such hook: /***")

            let invalid = await quickDelivery().deliver(
                sampleMessage(), to: WebhookEndpoint(url: "ftp://host/SECRET-TOKEN", format: .generic), deadline: nil)
            #expect(!invalid.description.contains("SECRET-TOKEN"))
            #expect(invalid.outcome == .failed(reason: "the webhook URL is not an absolute http:// or https:// URL", retryable: false))
        }
    }
#endif
