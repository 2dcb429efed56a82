import Crypto
public import Foundation

/// Signs webhook requests the Standard Webhooks way (spec 1.0.0, symmetric scheme):
///
/// ```
/// webhook-id:        msg_…            (the message id: the same on every attempt)
/// webhook-timestamp: 1674087231       (Unix seconds of this attempt)
/// webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")> [v1,… for each further secret]
/// ```
///
/// The body is signed as the exact bytes sent. A secret written `whsec_<base64>` has the
/// decoded base64 as its key; any other secret is used as its UTF-8 bytes. Several secrets
/// (key rotation) give several space-separated signatures, in the order given.
public struct WebhookSigner: Sendable {
    /// A secret that cannot be used; it names the secret by position, never by value.
    public struct InvalidSecret: Error, Sendable, Hashable, CustomStringConvertible {
        /// 1-based position in the list of secrets.
        public var position: Int
        public var reason: String
        public var description: String { "signing secret #\(position) \(reason)" }
    }

    let keys: [SymmetricKey]

    /// Fails for an empty secret or a `whsec_` secret whose rest is not base64.
    public init(secrets: [String]) throws(InvalidSecret) {
        var keys: [SymmetricKey] = []
        for (index, secret) in secrets.enumerated() {
            keys.append(SymmetricKey(data: try Self.key(of: secret, position: index + 1)))
        }
        self.keys = keys
    }

    /// The key bytes of one secret.
    static func key(of secret: String, position: Int) throws(InvalidSecret) -> [UInt8] {
        guard secret.hasPrefix("whsec_") else {
            guard !secret.isEmpty else { throw InvalidSecret(position: position, reason: "is empty") }
            return Array(secret.utf8)
        }
        var encoded = String(secret.dropFirst("whsec_".count))
        // Tolerate missing padding, as several Standard Webhooks libraries do.
        if encoded.count % 4 != 0 { encoded += String(repeating: "=", count: 4 - encoded.count % 4) }
        guard let key = Data(base64Encoded: encoded), !key.isEmpty else {
            throw InvalidSecret(position: position, reason: "starts with whsec_ but the rest is not base64")
        }
        return Array(key)
    }

    public var isSigning: Bool { !keys.isEmpty }

    /// The `webhook-signature` value, or nil without secrets.
    public func signature(id: String, timestamp: Int64, body: some DataProtocol) -> String? {
        guard !keys.isEmpty else { return nil }
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return keys.map { key in
            let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }

    /// The three `webhook-*` headers (`webhook-signature` only when there are secrets).
    public func headers(id: String, timestamp: Int64, body: some DataProtocol) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("webhook-id", id), ("webhook-timestamp", String(timestamp))]
        if let signature = signature(id: id, timestamp: timestamp, body: body) { headers.append(("webhook-signature", signature)) }
        return headers
    }
}
