import FiletRunbook

/// The secrets of one run: what the masker hides, and which are too short to hide safely.
enum RunSecrets {
    static func masker(for runbook: Runbook, configuration: RunConfiguration) -> Masker {
        var masker = Masker(runbook: runbook, environment: configuration.environment)
        let values = configuration.values(for: runbook)
        // Webhook URLs and signing secrets are secrets by nature, rendered as the run sends them (`--var` included).
        for channel in runbook.channels {
            for template in [channel.webhookTemplate, channel.signingSecret, channel.drillWebhook].compactMap({ $0 }) {
                masker.add(values.render(template))
            }
        }
        return masker
    }

    /// Names of listed secrets whose values are set but shorter than ``Masker/recommendedMinimumLength``.
    static func shortSecrets(of runbook: Runbook, environment: [String: String]) -> [String] {
        runbook.secrets.filter { name in environment[name].map { !$0.isEmpty && $0.count < Masker.recommendedMinimumLength } ?? false }
    }
}
