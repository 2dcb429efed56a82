import ArgumentParser
import FiletJournal

/// The environment variable that names the signing key file when `--signing-key` is not given.
enum SigningKeyOption {
    static let environmentVariable = "FILET_SIGNING_KEY"
}

extension RunOptions {
    /// The checkpoint policy of `--signing-key FILE` (or `FILET_SIGNING_KEY`), nil without one.
    /// Throws a message for a person when the key file cannot be used.
    func checkpointPolicy(environment: [String: String]) throws(CheckpointError) -> CheckpointPolicy? {
        let path = signingKey ?? environment[SigningKeyOption.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let path else { return nil }
        let key = try SigningKey(path: path)
        return CheckpointPolicy(signingKey: key, everyRecords: checkpointEvery, interval: .seconds(checkpointSeconds))
    }

    func validateSigning() throws {
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every takes a number of records, at least 1") }
        guard checkpointSeconds >= 1 else { throw ValidationError("--checkpoint-seconds takes a number of seconds, at least 1") }
    }
}
