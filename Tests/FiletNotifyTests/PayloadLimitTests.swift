#if canImport(Glibc)
    import FiletNotify
    import FiletRunbook
    import FiletTestSupport
    import FiletSupport
    import Foundation
    import Testing

    /// Texts longer than a service accepts, and lines a card would join, through a real loopback receiver.
    @Suite struct PayloadLimitTests {
        static func received(_ text: String, format: Channel.Format) async throws -> JSONValue {
            let server = try TestHTTPServer { _ in .respond(.status(200)) }
            defer { server.stop() }
            let endpoint = WebhookEndpoint(url: server.url("/hook"), format: format)
            _ = await quickDelivery().deliver(sampleMessage(text: text), to: endpoint, deadline: nil)
            let request = try #require(server.requests.first)
            return try JSONValue(parsing: [UInt8](request.body))
        }

        static func sections(_ body: JSONValue) -> [String] {
            guard case .array(let blocks)? = body.member("blocks") else { return [] }
            return blocks.filter { $0.member("type") == "section" }.compactMap { $0.at("text.text")?.stringValue }
        }

        /// 5,000 characters (the size Slack refused with 400): two sections of at most 3,000, the text whole across them.
        @Test func aLongSlackTextTakesSeveralSections() async throws {
            let text = (1...500).map { "ligne \($0) é" }.joined(separator: " ").prefix(5_000)
            let body = try await Self.received(String(text), format: .slack)
            let sections = Self.sections(body)
            #expect(sections.count == 2)
            #expect(sections.allSatisfy { $0.unicodeScalars.count <= 3_000 })
            #expect(sections.joined() == ":warning: " + text)
        }

        /// Beyond 49 sections (50 blocks with the context line): the last one is cut, and says so.
        @Test func aHugeSlackTextIsCutWithANotice() async throws {
            let text = String(repeating: "0123456789", count: 20_000)
            let body = try await Self.received(text, format: .slack)
            guard case .array(let blocks)? = body.member("blocks") else { throw POSIXError(.EINVAL) }
            #expect(blocks.count == 50)
            let sections = Self.sections(body)
            #expect(sections.allSatisfy { $0.unicodeScalars.count <= 3_000 })
            #expect(sections.last?.hasSuffix("characters cut: the whole text is in filet's journal]") == true)
            let fallback = try #require(body.member("text")?.stringValue)
            #expect(fallback.unicodeScalars.count <= 40_000 && fallback.contains("characters cut"))
        }

        @Test func rocketChatTextStaysWithinItsLimit() async throws {
            let body = try await Self.received(String(repeating: "é", count: 6_000), format: .rocketchat)
            let text = try #require(body.member("text")?.stringValue)
            #expect(text.unicodeScalars.count <= 5_000 && text.hasSuffix("characters cut: the whole text is in filet's journal]"))
            let short = try await Self.received("court", format: .rocketchat)
            #expect(short.member("text")?.stringValue?.hasSuffix("court") == true)
        }

        /// A header value that a variable made two lines is never sent, cut or whole: the delivery fails for good.
        @Test func aHeaderValueWithALineBreakIsNotSent() async throws {
            let server = try TestHTTPServer { _ in .respond(.status(200)) }
            defer { server.stop() }
            let endpoint = WebhookEndpoint(url: server.url("/hook"), format: .generic, headers: [("X-Jeton", "a\r\nX-Injected: 1")])
            let report = await quickDelivery().deliver(sampleMessage(), to: endpoint, deadline: nil)
            #expect(
                report.outcome
                    == .failed(
                        reason: "the value of header 'X-Jeton' holds a line break or a NUL byte, which HTTP does not allow",
                        retryable: false))
            #expect(server.requests.isEmpty)
        }

        /// Each line of the text is a TextBlock of its own (a card joins single line breaks); a blank line is a gap.
        @Test func teamsLinesAreBlocksOfTheirOwn() async throws {
            let body = try await Self.received("Salle B\nÉtage 2\n\nAppeler le 17", format: .teams)
            guard case .array(let blocks)? = body.at("attachments.0.content.body") else { throw POSIXError(.EINVAL) }
            let texts = blocks.compactMap { block -> (String, String?)? in
                guard let text = block.member("text")?.stringValue, block.member("spacing") != nil else { return nil }
                return (text, block.member("spacing")?.stringValue)
            }
            #expect(texts.map(\.0) == ["Salle B", "Étage 2", "Appeler le 17"])
            #expect(texts.map(\.1) == ["None", "None", "Medium"])
        }
    }
#endif
