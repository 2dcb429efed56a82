import FiletRunbook

/// The secrets of one run: what the masker hides, and which are too short to hide safely.
enum RunSecrets {
    static func masker(for runbook: Runbook, configuration: RunConfiguration) -> Masker {
        var masker = Masker(runbook: runbook, environment: configuration.environment)
        let values = configuration.values(for: runbook)
        // Webhook URLs and signing secrets are secrets by nature, rendered as the run sends them (`--var` included);
        // so is each token of a webhook URL, which a receiver may echo alone.
        for channel in runbook.channels {
            for template in [channel.webhookTemplate, channel.drillWebhook].compactMap({ $0 }) {
                let url = values.render(template)
                masker.add(url)
                masker.addParts(ofURL: url)
            }
            if let secret = channel.signingSecret { masker.add(values.render(secret)) }
        }
        return masker
    }

    /// Names of listed secrets whose values are set but shorter than ``Masker/recommendedMinimumLength``.
    static func shortSecrets(of runbook: Runbook, environment: [String: String]) -> [String] {
        runbook.secrets.filter { name in environment[name].map { !$0.isEmpty && $0.count < Masker.recommendedMinimumLength } ?? false }
    }
}
