/// Hides secrets from every text that leaves filet: the values of the environment
/// variables a runbook lists under `secrets:`, and any other value registered as secret
/// (webhook URLs, signing secrets). Built once, used wherever text is shown or written.
public struct Masker: Sendable {
    public static let mask = "***"
    private var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { add(secret) }
    }

    /// A masker for a runbook's `secrets:`, read from `environment`.
    public init(runbook: Runbook, environment: [String: String]) {
        self.init(secrets: runbook.secrets.compactMap { environment[$0] })
    }

    /// Registers one more value to hide. Longer secrets are replaced first, so a secret
    /// that contains another is hidden whole.
    public mutating func add(_ secret: String) {
        guard !secret.isEmpty, !secrets.contains(secret) else { return }
        secrets.append(secret)
        secrets.sort { $0.count > $1.count }
    }

    public func callAsFunction(_ text: String) -> String {
        secrets.reduce(text) { $0.replacing($1, with: Self.mask) }
    }

    /// A URL shown without what may be a credential: only the scheme and host stay.
    public static func redactedURL(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return mask }
        let afterScheme = url[schemeEnd.upperBound...]
        let authority = afterScheme.prefix { !"/?#".contains($0) }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let rest = afterScheme.dropFirst(authority.count)
        return url[..<schemeEnd.upperBound] + host + (rest.isEmpty ? "" : "/" + mask)
    }
}
