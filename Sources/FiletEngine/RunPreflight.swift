import Crypto
import FiletJournal
import FiletNotify
public import FiletRunbook
public import FiletSupport
public import FiletSyntax
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything that can be known to stop a run before it starts, checked at once, before the journal is created
/// and before any step with a side effect: each problem is reported, not only the first.
///
/// - the `--var` names exist;
/// - every `${env.NAME}` that the run reads **in its mode** is set (``Runbook/environmentNeeded(in:overridden:)``:
///   a real run does not need the variables of a `drill_webhook`, a drill those of a simulated command);
/// - the confirmations it will ask can be answered: a terminal to ask on, or `--yes`; the operator among the
///   step's `approvers`;
/// - the webhooks it sends to parse as http(s) URLs once rendered, and their signing secrets can sign;
/// - the journal directory can be written.
public struct RunPreflight: Sendable {
    /// What prevents the run, each for the operator; empty when it may start.
    public let problems: [Message]
    /// Listed secrets whose values are too short to mask safely.
    public let shortSecrets: [String]

    /// How the run's confirmations can be answered, as the command line knows it.
    public struct Answering: Sendable {
        /// `--yes`: every confirmation approved in advance.
        public var preApproved: Bool
        /// Whether a confirmation can be asked (stdin is a terminal).
        public var canAsk: Bool

        public init(preApproved: Bool, canAsk: Bool) {
            self.preApproved = preApproved
            self.canAsk = canAsk
        }
    }

    /// - Parameters:
    ///   - overrides: `--var NAME=VALUE` values (for a resume, the values the run recorded).
    ///   - journalDirectory: where the journal will be created; nil when it exists already (a resume).
    ///   - settled: steps that will not run (a resume's settled steps): their confirmations are not asked.
    public init(
        plan: Plan, mode: RunMode, overrides: [String: String], environment: [String: String], operatorName: String,
        answering: Answering, journalDirectory: String?, settled: Set<String> = []
    ) {
        let runbook = plan.runbook
        shortSecrets = RunSecrets.shortSecrets(of: runbook, environment: environment)
        var problems: [Message] = []
        if let unknown = runbook.unknownVariableMessage(in: overrides) { problems.append(unknown) }

        let declared = Set(runbook.vars.map(\.name))
        let overrides = overrides.filter { declared.contains($0.key) }
        let missing = runbook.environmentNeeded(in: mode, overridden: Set(overrides.keys)).filter { environment[$0] == nil }
        if !missing.isEmpty { problems.append(.unsetEnvironment(missing, mode: mode)) }

        var confirmations: [(id: String, approvers: [String])] = []
        for step in runbook.stepsPerformed(in: mode) where !settled.contains(step.id) {
            if case .confirm(let confirmation) = step.action { confirmations.append((step.id, confirmation.approvers)) }
        }
        for confirmation in confirmations where !confirmation.approvers.isEmpty && !confirmation.approvers.contains(operatorName) {
            problems.append(.notAnApprover(operatorName, step: confirmation.id, approvers: confirmation.approvers))
        }
        if !confirmations.isEmpty && !answering.preApproved && !answering.canAsk {
            problems.append(.noTerminalToConfirm(confirmations.map(\.id)))
        }

        let values = RunValues(runbook: runbook, overrides: overrides, environment: environment)
        for channel in runbook.channelsUsed(in: mode) {
            problems += Self.problems(of: channel, in: mode, values: values)
        }
        if let journalDirectory, let problem = Self.unwritable(journalDirectory) { problems.append(problem) }
        self.problems = problems
    }

    /// A webhook that does not parse once rendered, a signing secret that cannot sign. What reads an unset
    /// variable is not judged: the unset variable is the problem, already reported.
    private static func problems(of channel: Channel, in mode: RunMode, values: RunValues) -> [Message] {
        guard case .webhook = channel.destination else { return [] }
        func isKnown(_ template: Template) -> Bool { template.references.allSatisfy { values.knownValue(of: $0) != nil } }
        var problems: [Message] = []
        let template = channel.destinationTemplate(in: mode)
        let key = mode == .drill && channel.drillWebhook != nil ? "drill_webhook" : "webhook"
        if isKnown(template), let why = WebhookDelivery.problem(withURL: values.render(template)) {
            problems.append(.badWebhook(channel: channel.name, key: key, why: why, reads: template.references))
        }
        if let secret = channel.signingSecret, isKnown(secret) {
            let text = values.render(secret)
            if !text.isEmpty {
                do throws(WebhookSigner.InvalidSecret) { _ = try WebhookSigner(secrets: [text]) } catch {
                    problems.append(.badSigningSecret(channel: channel.name, reads: secret.references))
                }
            }
        }
        return problems
    }

    /// Why the journal cannot be created in `directory`: it, or the nearest of its parents that exists (the journal
    /// creates the others), is not a directory or cannot be written; nil when it can.
    static func unwritable(_ directory: String) -> Message? {
        var path = directory.isEmpty ? "." : directory
        while true {
            var info = stat()
            if stat(path, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { return .journalDirectory(directory, notDirectory: path) }
                guard access(path, W_OK | X_OK) == 0 else {
                    return .journalDirectory(directory, cannotWrite: path, String(cString: strerror(errno)))
                }
                return nil
            }
            let code = errno
            // Missing, or under something that is not a directory: the nearest parent that exists says which.
            guard code == ENOENT || code == ENOTDIR else {
                return .journalDirectory(directory, cannotWrite: path, String(cString: strerror(code)))
            }
            let next = FilePaths.parent(of: path)
            if next == path { return nil }
            path = next
        }
    }
}

extension Message {
    static func unsetEnvironment(_ names: [String], mode: RunMode) -> Message {
        let list = names.map { "${env.\($0)}" }.joined(separator: ", ")
        let one = names.count == 1
        return Message(
            en: "the runbook reads \(list), which \(one ? "is" : "are") not set in the environment: export \(one ? "it" : "them") "
                + "before the \(mode == .drill ? "drill" : "run") (an empty value is allowed)",
            fr: "le runbook lit \(list), \(one ? "qui n’est pas définie" : "qui ne sont pas définies") dans l’environnement : "
                + "\(one ? "exportez-la" : "exportez-les") avant \(mode == .drill ? "l’exercice" : "l’exécution") (une valeur vide suffit)"
        )
    }

    static func notAnApprover(_ operatorName: String, step: String, approvers: [String]) -> Message {
        let list = approvers.joined(separator: ", ")
        return Message(
            en: "operator '\(operatorName)' may not approve step '\(step)' (approvers: \(list)); run with --operator NAME, "
                + "one of them (a label compared with the list, not an authentication)",
            fr: "l’opérateur « \(operatorName) » ne peut pas approuver l’étape « \(step) » (approbateurs : \(list)) ; "
                + "lancez avec --operator NOM, l’un d’eux (une étiquette comparée à la liste, pas une authentification)")
    }

    static func noTerminalToConfirm(_ steps: [String]) -> Message {
        let list = steps.map { "'\($0)'" }.joined(separator: ", ")
        let listFR = steps.map { "« \($0) »" }.joined(separator: ", ")
        let one = steps.count == 1
        return Message(
            en: "\(one ? "step \(list) asks" : "steps \(list) ask") for a confirmation and there is no terminal to ask on "
                + "(stdin is not a terminal): run filet interactively, or pass --yes to approve in advance",
            fr: "\(one ? "l’étape \(listFR) demande" : "les étapes \(listFR) demandent") une confirmation et il n’y a pas de terminal "
                + "où la poser (l’entrée standard n’est pas un terminal) : lancez filet dans un terminal, ou passez --yes pour approuver d’avance"
        )
    }

    static func badWebhook(channel: String, key: String, why: Message, reads: [Reference]) -> Message {
        let from = reads.isEmpty ? "" : " (" + reads.map { "${\($0)}" }.joined(separator: ", ") + ")"
        return Message(
            en: "channel '\(channel)': its \(key)\(from) is not an http:// or https:// URL once rendered: \(why.en)",
            fr: "canal « \(channel) » : son \(key)\(from) n’est pas une URL http:// ou https:// une fois résolu : \(why.fr)")
    }

    static func badSigningSecret(channel: String, reads: [Reference]) -> Message {
        let from = reads.isEmpty ? "" : " (" + reads.map { "${\($0)}" }.joined(separator: ", ") + ")"
        return Message(
            en: "channel '\(channel)': its signing_secret\(from) cannot sign: a whsec_ secret must be followed by base64",
            fr: "canal « \(channel) » : son signing_secret\(from) ne peut pas signer : un secret whsec_ doit être suivi de base64")
    }

    static func journalDirectory(_ directory: String, notDirectory path: String) -> Message {
        Message(
            en: "the journal directory \(directory) cannot be created: \(path == directory ? "it" : path) exists and is not a directory; "
                + "choose another with --journal DIR",
            fr: "le dossier des journaux \(directory) ne peut pas être créé : \(path == directory ? "il" : path) existe et n’est pas un "
                + "dossier ; choisissez-en un autre avec --journal DOSSIER")
    }

    static func journalDirectory(_ directory: String, cannotWrite path: String, _ reason: String) -> Message {
        let which = path == directory ? "" : " (its parent \(path) is not writable)"
        let whichFR = path == directory ? "" : " (son parent \(path) n’est pas accessible en écriture)"
        return Message(
            en: "the journal directory \(directory) cannot be written\(which): \(reason); choose another with --journal DIR",
            fr: "le dossier des journaux \(directory) n’est pas accessible en écriture\(whichFR) : \(reason) ; "
                + "choisissez-en un autre avec --journal DOSSIER")
    }
}

extension SourceFile {
    /// Hex SHA-256 of the file's bytes: recorded in the journal, and the first record's `prev`.
    public var sha256: String { Hex.string(SHA256.hash(data: bytes)) }
}
