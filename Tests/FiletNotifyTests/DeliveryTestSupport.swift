#if canImport(Glibc)
    import FiletTestSupport
    import Foundation
    import Synchronization
    import Testing
    import FiletNotify
    import FiletRunbook
    import FiletSupport

    /// A notification as the engine would make it.
    func sampleMessage(
        id: String = "msg_20250101T000000Z-ab12_notify-cell", severity: FiletRunbook.Notification.Severity = .warning, drill: Bool = false,
        text: String? = nil
    ) -> NotificationMessage {
        NotificationMessage(
            id: id, runbookID: "crue-seine", runbookTitle: "Crue de la Seine — cellule de crise", runID: "20250101T000000Z-ab12",
            mode: drill ? .drill : .run, stepID: "notify-cell", channel: "cellule", severity: severity,
            text: text ?? ((drill ? "[EXERCICE] " : "") + "Cellule de crise ouverte: salle B, 14h \"urgent\""),
            timestamp: "2025-01-01T00:00:00.123Z", drill: drill)
    }

    extension JSONValue {
        /// The member `key` of an object.
        func member(_ key: String) -> JSONValue? {
            guard case .object(let members) = self else { return nil }
            return members.first { $0.0 == key }?.1
        }

        /// The member keys of an object, in order.
        var memberKeys: [String] {
            guard case .object(let members) = self else { return [] }
            return members.map(\.0)
        }

        func item(_ index: Int) -> JSONValue? {
            guard case .array(let items) = self, items.indices.contains(index) else { return nil }
            return items[index]
        }

        var stringValue: String? {
            guard case .string(let text) = self else { return nil }
            return text
        }

        /// `a.b.0.c` → the value there.
        func at(_ path: String) -> JSONValue? {
            var value: JSONValue? = self
            for part in path.split(separator: ".") {
                value = Int(part).flatMap { value?.item($0) } ?? value?.member(String(part))
            }
            return value
        }
    }

    /// A delivery that retries quickly, with a fixed jitter.
    func quickDelivery(pacer: DeliveryPacer? = nil, now: @escaping @Sendable () -> Date = { Date() }) -> WebhookDelivery {
        WebhookDelivery(
            backoff: .milliseconds(20), backoffCap: .milliseconds(200), retryAfterCap: .seconds(5), pacer: pacer,
            random: { 0.5 }, now: now)
    }

    /// A wall clock that moves ten seconds on each reading, from a fixed start.
    final class SteppingClock: Sendable {
        private let current: Mutex<Date>

        init(start: Date = Date(timeIntervalSince1970: 1_750_000_000)) { current = Mutex(start) }

        func read() -> Date {
            current.withLock { current in
                defer { current += 10 }
                return current
            }
        }
    }

    /// An independent Standard Webhooks verifier: Python's standard library only.
    enum PythonVerifier {
        static let script = #"""
            import base64, hashlib, hmac, json, sys

            def key_of(secret):
                if secret.startswith("whsec_"):
                    return base64.b64decode(secret[len("whsec_"):])
                return secret.encode("utf-8")

            def verify(request, secret):
                signed = (request["id"] + "." + request["timestamp"] + ".").encode("utf-8") + base64.b64decode(request["body"])
                expected = "v1," + base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest()).decode("ascii")
                return any(hmac.compare_digest(expected, given) for given in request["signature"].split(" "))

            data = json.load(sys.stdin)
            results = [[verify(request, secret) for secret in data["secrets"]] for request in data["requests"]]
            print(json.dumps(results))
            """#

        static var isAvailable: Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", "import hmac, hashlib, base64, json"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }

        /// For each request, for each secret: whether one of the request's signatures verifies with it.
        static func verify(_ requests: [TestHTTPServer.Request], secrets: [String]) throws -> [[Bool]] {
            let input = JSONValue.object([
                ("secrets", .array(secrets.map { .string($0) })),
                (
                    "requests",
                    .array(
                        requests.map { request in
                            .object([
                                ("id", .string(request.header("webhook-id") ?? "")),
                                ("timestamp", .string(request.header("webhook-timestamp") ?? "")),
                                ("signature", .string(request.header("webhook-signature") ?? "")),
                                ("body", .string(request.body.base64EncodedString())),
                            ])
                        })
                ),
            ]).rendered(pretty: false)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script]
            let stdin = Pipe()
            let stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw VerifierFailed(status: process.terminationStatus) }
            let parsed = try JSONValue(parsing: [UInt8](output))
            guard case .array(let rows) = parsed else { throw VerifierFailed(status: -1) }
            return rows.map { row in
                guard case .array(let cells) = row else { return [] }
                return cells.map { $0 == .bool(true) }
            }
        }

        struct VerifierFailed: Error {
            var status: Int32
        }
    }
#endif
