#if canImport(Glibc)
    import FiletTestSupport
    import Foundation
    import Testing
    import FiletNotify
    import FiletRunbook
    import FiletSupport

    // Payload shapes are checked on the bodies a real loopback receiver got, parsed back.

    /// Delivers `message` in `format` to a fresh server and returns the body it received, parsed.
    private func received(_ message: NotificationMessage, format: Channel.Format) async throws -> (JSONValue, TestHTTPServer.Request) {
        let server = try TestHTTPServer { _ in .respond(.status(200)) }
        defer { server.stop() }
        let report = await quickDelivery().deliver(message, to: WebhookEndpoint(url: server.url("/hook"), format: format), deadline: nil)
        #expect(report.outcome == .delivered(status: 200))
        let request = try #require(server.requests.first)
        return (try JSONValue(parsing: [UInt8](request.body)), request)
    }

    @Suite("Delivery payloads") struct DeliveryPayloadTests {
        @Test func genericIsTheDocumentedObjectInOrder() async throws {
            let message = sampleMessage(drill: true)
            let (body, request) = try await received(message, format: .generic)
            #expect(request.method == "POST")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("User-Agent") == "filet/\(FiletVersion.current)")
            #expect(body.memberKeys == ["id", "runbook", "run", "step", "channel", "severity", "text", "timestamp", "drill"])
            #expect(body.member("id") == .string(message.id))
            #expect(body.at("runbook.id") == "crue-seine")
            #expect(body.at("runbook.title") == "Crue de la Seine — cellule de crise")
            #expect(body.at("run.id") == "20250101T000000Z-ab12")
            #expect(body.at("run.mode") == "drill")
            #expect(body.member("step") == "notify-cell")
            #expect(body.member("channel") == "cellule")
            #expect(body.member("severity") == "warning")
            #expect(body.member("text") == .string(message.text))
            #expect(body.member("timestamp") == "2025-01-01T00:00:00.123Z")
            #expect(body.member("drill") == .bool(true))
            // The exact bytes: compact, stable.
            #expect(request.bodyText == NotificationPayload.payload(for: message, format: .generic).rendered(pretty: false))
        }

        @Test func slackHasFallbackTextAndBlocks() async throws {
            let (body, _) = try await received(sampleMessage(severity: .critical, drill: true), format: .slack)
            #expect(body.memberKeys == ["text", "blocks"])
            let text = try #require(body.member("text")?.stringValue)
            #expect(text.hasPrefix(":rotating_light: [CRITICAL] [EXERCICE] Cellule"), "one drill marker, not two: \(text)")
            #expect(body.at("blocks.0.type") == "section")
            #expect(body.at("blocks.0.text.type") == "mrkdwn")
            #expect(body.at("blocks.0.text.text")?.stringValue?.contains("Cellule de crise ouverte") == true)
            #expect(body.at("blocks.1.type") == "context")
            let context = try #require(body.at("blocks.1.elements.0.text")?.stringValue)
            #expect(context.contains("EXERCICE") && context.contains("crue-seine") && context.contains("20250101T000000Z-ab12"))
            #expect(context.contains("CRITICAL"))

            let (live, _) = try await received(sampleMessage(severity: .info), format: .slack)
            #expect(live.member("text")?.stringValue?.hasPrefix(":information_source: [INFO] Cellule") == true)
            #expect(live.at("blocks.1.elements.0.text")?.stringValue?.contains("EXERCICE") == false)
        }

        @Test func mattermostHasAColouredAttachmentAndProps() async throws {
            let message = sampleMessage(severity: .critical, drill: true)
            let (body, _) = try await received(message, format: .mattermost)
            #expect(body.memberKeys == ["text", "attachments", "props"])
            #expect(body.at("attachments.0.color") == "#D0021B")
            let fields = try #require(body.at("attachments.0.fields"))
            #expect(fields.at("0.title") == "Runbook" && fields.at("0.value") == "crue-seine")
            #expect(fields.at("4.title") == "Mode" && fields.at("4.value") == "EXERCICE")
            #expect(body.at("attachments.0.footer")?.stringValue?.hasSuffix("EXERCICE") == true)
            #expect(body.at("props.filet") == NotificationPayload.generic(message))
            let (warning, _) = try await received(sampleMessage(severity: .warning), format: .mattermost)
            #expect(warning.at("attachments.0.color") == "#F2994A")
            #expect(warning.at("attachments.0.fields.4") == nil, "no Mode field outside a drill")
        }

        @Test func rocketChatHasTextAndAttachmentFields() async throws {
            let (body, _) = try await received(sampleMessage(severity: .info, drill: true), format: .rocketchat)
            #expect(body.memberKeys == ["text", "attachments"])
            #expect(body.member("text")?.stringValue?.contains("Cellule de crise ouverte") == true)
            #expect(body.at("attachments.0.color") == "#2F80ED")
            #expect(body.at("attachments.0.title") == "Crue de la Seine — cellule de crise")
            #expect(body.at("attachments.0.fields.1.title") == "Run")
            #expect(body.at("attachments.0.fields.1.short") == .bool(true))
            #expect(body.at("attachments.0.fields.4.value") == "EXERCICE")
        }

        @Test func teamsIsAWorkflowsAdaptiveCard() async throws {
            let (body, _) = try await received(sampleMessage(severity: .critical, drill: true), format: .teams)
            #expect(body.member("type") == "message")
            #expect(body.at("attachments.0.contentType") == "application/vnd.microsoft.card.adaptive")
            #expect(body.at("attachments.0.contentUrl") == .null)
            let card = try #require(body.at("attachments.0.content"))
            #expect(card.member("$schema") == "http://adaptivecards.io/schemas/adaptive-card.json")
            #expect(card.member("type") == "AdaptiveCard")
            #expect(card.member("version") == "1.4")
            #expect(card.at("body.0.type") == "TextBlock")
            #expect(card.at("body.0.text")?.stringValue?.contains("EXERCICE") == true, "a drill opens the card")
            #expect(card.at("body.1.color") == "Attention")
            #expect(card.at("body.2.text")?.stringValue?.contains("Cellule de crise ouverte") == true)
            #expect(card.at("body.3.type") == "FactSet")
            #expect(card.at("body.3.facts.0.title") == "Runbook")

            let (live, _) = try await received(sampleMessage(severity: .info), format: .teams)
            #expect(live.at("attachments.0.content.body.0.color") == "Accent", "no drill banner outside a drill")
        }

        @Test func payloadsAreStableAndEscaped() {
            let message = sampleMessage(text: "line one\nline \"two\" \\ end")
            for format in Channel.Format.allCases {
                let first = NotificationPayload.body(for: message, format: format)
                #expect(first == NotificationPayload.body(for: message, format: format))
                #expect((try? JSONValue(parsing: first)) != nil, "\(format) is valid JSON")
            }
            #expect(NotificationPayload.payload(for: message, format: .generic).member("text") == .string("line one\nline \"two\" \\ end"))
        }
    }
#endif
