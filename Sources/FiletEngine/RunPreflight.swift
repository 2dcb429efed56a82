import Crypto
public import FiletRunbook
import FiletSupport
public import FiletSyntax

/// The checks made before anything runs, beyond validation: the `--var` names exist and
/// every `${env.NAME}` the runbook will read is set.
public struct RunPreflight: Sendable {
    /// What prevents the run, in words; nil when it may start.
    public let problem: String?
    /// Listed secrets whose values are too short to mask safely.
    public let shortSecrets: [String]

    public init(plan: Plan, overrides: [String: String], environment: [String: String]) {
        let runbook = plan.runbook
        shortSecrets = RunSecrets.shortSecrets(of: runbook, environment: environment)
        if let unknown = runbook.unknownVariable(in: overrides) {
            problem = unknown
            return
        }
        let overridden = Set(overrides.keys)
        let varTemplates = runbook.vars.filter { !overridden.contains($0.name) }.map(\.value)
        var missing: [String] = []
        for template in varTemplates + runbook.templates {
            for case .environment(let name) in template.references where environment[name] == nil && !missing.contains(name) {
                missing.append(name)
            }
        }
        problem =
            missing.isEmpty
            ? nil
            : "the runbook reads " + missing.map { "${env.\($0)}" }.joined(separator: ", ")
                + (missing.count == 1 ? ", which is not set" : ", which are not set") + " in the environment: export "
                + (missing.count == 1 ? "it" : "them") + " before the run (an empty value is allowed)"
    }
}

extension SourceFile {
    /// Hex SHA-256 of the file's bytes: recorded in the journal, and the first record's `prev`.
    public var sha256: String { Hex.string(SHA256.hash(data: bytes)) }
}
